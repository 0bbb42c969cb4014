import { beforeAll, describe, expect, it } from 'vitest';
import type { I18n } from '../../../src/i18n/index.js';
import { flow, Runner, realI18n } from './helpers.js';

let i18n: I18n;
beforeAll(async () => {
  i18n = await realI18n();
});

/** 200 single-choice questions in a row, each storing its own result. */
function longFlow(count: number) {
  const nodes: Record<string, unknown>[] = [];
  for (let i = 1; i <= count; i++) {
    nodes.push({
      id: `q${i}`,
      ask: 'single',
      text: `Question ${i} ?`,
      result: `r${i}`,
      choices: [
        { id: 'a', label: 'Réponse A' },
        { id: 'b', label: 'Réponse B' },
      ],
    });
  }
  nodes.push({ id: 'end', end: 'Merci.' });
  return flow({ id: 'long', nodes });
}

describe('the state does not grow with the conversation', () => {
  it('after answer 200 is the size after answer 10 plus the added results only', () => {
    const r = new Runner(longFlow(200), i18n);
    r.start();
    const sizes: number[] = [];
    const effectCounts: number[] = [];
    for (let i = 1; i <= 200; i++) {
      const effects = r.answer(i % 2 === 0 ? '1' : '2');
      effectCounts.push(effects.length);
      sizes[i] = JSON.stringify(r.state).length;
    }
    const results = r.state?.results ?? {};
    const added = Object.entries(results)
      .filter(([name]) => Number(name.slice(1)) > 10)
      .reduce((sum, [name, value]) => sum + JSON.stringify({ [name]: value }).length - 1, 0);
    const after10 = sizes[10] as number;
    const after200 = sizes[200] as number;
    // A small constant covers the step counter and node ids gaining digits.
    expect(Math.abs(after200 - after10 - added)).toBeLessThan(32);
    // One answer's work stays the same: save, ask the next question (no timeout to cancel).
    expect(new Set(effectCounts.slice(0, 199))).toEqual(new Set([2]));
    expect(r.state?.status).toBe('completed');
  });

  it('a loop that asks the same question again overwrites its result', () => {
    const def = flow({
      nodes: [
        { id: 'q', ask: 'text', text: 'Encore ?', result: 'again' },
        { id: 'b', branch: 'again', cases: [{ when: ['fin'], next: 'e' }], default: 'q' },
        { id: 'e', end: null },
      ],
    });
    const r = new Runner(def, i18n);
    r.start();
    r.answer('un');
    const size = JSON.stringify(r.state).length;
    for (let i = 0; i < 500; i++) r.answer('un');
    expect(JSON.stringify(r.state).length - size).toBeLessThan(8);
    r.answer('fin');
    expect(r.state?.status).toBe('completed');
  });
});
