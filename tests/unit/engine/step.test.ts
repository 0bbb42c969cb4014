import { beforeAll, describe, expect, it } from 'vitest';
import { step } from '../../../src/engine/step.js';
import { FlowEngineError, type RunState } from '../../../src/engine/types.js';
import { createLocalizer, type I18n } from '../../../src/i18n/index.js';
import { flow, later, NOW, Runner, realI18n, sends, types } from './helpers.js';

let i18n: I18n;
beforeAll(async () => {
  i18n = await realI18n();
});

const colours = () =>
  flow({
    kind: 'consultation',
    nodes: [
      { id: 'hello', say: 'Bonjour. Répondre est libre.' },
      { id: 'hello2', say: 'Deux questions.', notify: 'facilitators' },
      {
        id: 'colour',
        ask: 'single',
        text: 'Votre couleur ?',
        result: 'colour',
        timeout: '1h',
        choices: [
          { id: 'red', label: 'Rouge', keywords: ['rouge', 'vermillon'] },
          { id: 'blue', label: 'Bleu', next: 'bye' },
          { id: 'green', label: 'Vert' },
        ],
      },
      { id: 'more', ask: 'yesno', text: 'Encore ?', result: 'more' },
      { id: 'bye', end: 'Merci.' },
    ],
  });

describe('start', () => {
  it('sends say nodes in order up to the first ask, then schedules the timeout and the expiry', () => {
    const r = new Runner(colours(), i18n);
    const effects = r.start();
    expect(types(effects)).toEqual([
      'send:say',
      'notify',
      'send:say',
      'send:ask',
      'schedule',
      'schedule',
    ]);
    expect(sends(effects).map((s) => s.text)).toEqual([
      'Bonjour. Répondre est libre.',
      'Deux questions.',
      'Votre couleur ?',
    ]);
    expect(sends(effects)[2]?.ask).toEqual({
      kind: 'single',
      choices: [
        { id: 'red', label: 'Rouge' },
        { id: 'blue', label: 'Bleu' },
        { id: 'green', label: 'Vert' },
      ],
    });
    expect(effects).toContainEqual({
      type: 'schedule',
      kind: 'flow.timeout',
      at: later(60),
      nodeId: 'colour',
      step: 1,
    });
    expect(effects).toContainEqual({
      type: 'schedule',
      kind: 'flow.expire',
      at: later(3 * 24 * 60),
      step: 1,
    });
    expect(effects).toContainEqual({
      type: 'notify',
      target: 'facilitators',
      reason: 'node',
      nodeId: 'hello2',
      results: {},
    });
    expect(r.state).toEqual({
      flowId: 't',
      flowVersion: 1,
      status: 'active',
      nodeId: 'colour',
      misses: 0,
      step: 1,
      results: {},
      startedAt: NOW.toISOString(),
      expiresAt: later(3 * 24 * 60).toISOString(),
    });
  });

  it('keeps the state JSON-serialisable', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.answer('1');
    expect(JSON.parse(JSON.stringify(r.state))).toEqual(r.state);
  });

  it('does not schedule an expiry for kinds without one', () => {
    const r = new Runner(
      flow({
        nodes: [
          { id: 'q', ask: 'text', text: 'Q', result: 'q' },
          { id: 'e', end: 'F' },
        ],
      }),
      i18n,
    );
    const effects = r.start();
    expect(types(effects)).toEqual(['send:ask']);
    expect(r.state?.expiresAt).toBeUndefined();
  });

  it('completes at once a flow without a question', () => {
    const r = new Runner(
      flow({
        nodes: [
          { id: 'a', say: 'Info' },
          { id: 'e', end: 'Fin' },
        ],
      }),
      i18n,
    );
    expect(types(r.start())).toEqual(['send:say', 'send:end', 'cancelFires', 'end']);
    expect(r.state?.status).toBe('completed');
    expect(r.state?.nodeId).toBeNull();
  });

  it('honours an explicit start node', () => {
    const r = new Runner(
      flow({
        start: 'q',
        nodes: [
          { id: 'e', end: 'Fin' },
          { id: 'q', ask: 'text', text: 'Q', result: 'q', next: 'e' },
        ],
      }),
      i18n,
    );
    r.start();
    expect(r.state?.nodeId).toBe('q');
  });
});

describe('answers', () => {
  it('saves a valid answer, cancels the wait timeout and moves on', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.now = later(5);
    const effects = r.answer('1');
    expect(effects[0]).toEqual({
      type: 'save',
      name: 'colour',
      nodeId: 'colour',
      value: 'red',
      category: 'red',
      input: '1',
    });
    expect(effects[1]).toEqual({ type: 'cancelFires', kind: 'flow.timeout' });
    expect(sends(effects).map((s) => [s.role, s.text])).toEqual([['ask', 'Encore ?']]);
    expect(r.state).toMatchObject({ nodeId: 'more', step: 2, misses: 0 });
    expect(r.state?.results).toEqual({
      colour: { value: 'red', category: 'red', input: '1', nodeId: 'colour' },
    });
  });

  it('matches label words and keywords', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.answer('vermillon !');
    expect(r.state?.results.colour?.value).toBe('red');
  });

  it('follows a choice-level next', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    const effects = r.answer('bleu');
    expect(types(effects)).toEqual(['save', 'cancelFires', 'send:end', 'cancelFires', 'end']);
    expect(effects.at(-1)).toEqual({ type: 'end', status: 'completed' });
    expect(sends(effects)[0]?.text).toBe('Merci.');
    expect(r.state).toMatchObject({ status: 'completed', nodeId: null });
  });

  it('accepts the button payload of the current question', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.tap('colour', 'green');
    expect(r.state?.results.colour).toEqual({
      value: 'green',
      category: 'green',
      nodeId: 'colour',
    });
  });

  it('answers a payload for an older question with one stale message and no change', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.answer('1');
    const before = r.state as RunState;
    const result = step(
      r.def,
      before,
      { type: 'answer', payload: { nodeId: 'colour', choiceId: 'blue' } },
      later(9),
      {
        localizer: r.loc,
      },
    );
    expect(result.state).toBe(before);
    expect(result.effects).toEqual([
      {
        type: 'send',
        nodeId: 'colour',
        role: 'stale',
        text: 'Cette question est terminée, merci.',
      },
    ]);
  });

  it('asks again after an unclear answer, restarting the wait', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.now = later(10);
    const effects = r.answer('violet');
    expect(effects).toEqual([
      {
        type: 'send',
        nodeId: 'colour',
        role: 'retry',
        text: "Je n'ai pas compris.",
        hint: 'Répondez 1, 2 ou 3.',
        ask: {
          kind: 'single',
          choices: [
            { id: 'red', label: 'Rouge' },
            { id: 'blue', label: 'Bleu' },
            { id: 'green', label: 'Vert' },
          ],
        },
      },
      { type: 'cancelFires', kind: 'flow.timeout' },
      { type: 'schedule', kind: 'flow.timeout', at: later(70), nodeId: 'colour', step: 2 },
    ]);
    expect(r.state).toMatchObject({ nodeId: 'colour', misses: 1, step: 2, results: {} });
  });

  it('offers a human and takes the no-response path on the second unclear answer', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.answer('violet');
    const effects = r.answer('je sais pas');
    expect(types(effects)).toEqual(['offerHuman', 'cancelFires', 'send:ask']);
    expect(effects[0]).toEqual({ type: 'offerHuman', nodeId: 'colour' });
    expect(r.state).toMatchObject({ nodeId: 'more', misses: 0, results: {} });
  });

  it('goes to noResponse when one is set', () => {
    const def = flow({
      nodes: [
        { id: 'q', ask: 'yesno', text: 'Oui ?', result: 'q', noResponse: 'skip' },
        { id: 'next', ask: 'text', text: 'Suite', result: 'next' },
        { id: 'skip', end: 'Tant pis.' },
      ],
    });
    const r = new Runner(def, i18n);
    r.start();
    r.answer('bof');
    // No timeout on q: only the run's end cancels its fires.
    expect(types(r.answer('hmm'))).toEqual(['offerHuman', 'send:end', 'cancelFires', 'end']);
    expect(r.state?.status).toBe('completed');
  });

  it('treats an empty answer or a sticker (no text) as unclear', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    expect(types(r.send({ type: 'answer' }))).toContain('send:retry');
    expect(r.state?.misses).toBe(1);
  });

  it('notifies when entering a node with notify, with the results so far', () => {
    const def = flow({
      nodes: [
        { id: 'theme', ask: 'text', text: 'Votre avis ?', result: 'avis' },
        { id: 'bye', end: 'Merci.', notify: 'facilitators' },
      ],
    });
    const r = new Runner(def, i18n);
    r.start();
    const effects = r.answer('Le bus passe trop peu');
    expect(effects).toContainEqual({
      type: 'notify',
      target: 'facilitators',
      reason: 'node',
      nodeId: 'bye',
      results: { avis: { value: 'Le bus passe trop peu', nodeId: 'theme' } },
    });
  });

  it('notifies when a question with notify is asked', () => {
    const def = flow({
      nodes: [
        { id: 'q', ask: 'text', text: 'Q', result: 'q', notify: 'referent' },
        { id: 'e', end: null },
      ],
    });
    const r = new Runner(def, i18n);
    expect(types(r.start())).toEqual(['notify', 'send:ask']);
    expect(types(r.answer('ok'))).toEqual(['save', 'cancelFires', 'end']);
  });
});

describe('timeouts', () => {
  it('follows the no-response path when the timeout matches the current wait', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.now = later(60);
    const effects = r.send({ type: 'timeout', nodeId: 'colour', step: 1 });
    expect(types(effects)).toEqual(['send:ask']);
    expect(r.state).toMatchObject({ nodeId: 'more', step: 2, results: {} });
  });

  it('ignores a timeout for another node or an older step', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.answer('violet'); // restarts the wait: step 2
    const before = r.state as RunState;
    for (const event of [
      { type: 'timeout' as const, nodeId: 'colour', step: 1 },
      { type: 'timeout' as const, nodeId: 'more', step: 2 },
    ]) {
      const result = step(r.def, before, event, later(60), { localizer: r.loc });
      expect(result.state).toBe(before);
      expect(result.effects).toEqual([]);
    }
  });

  it('ignores a timeout once the person has answered', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.answer('2'); // completes
    const before = r.state as RunState;
    const result = step(r.def, before, { type: 'timeout', nodeId: 'colour', step: 1 }, later(60), {
      localizer: r.loc,
    });
    expect(result).toEqual({ state: before, effects: [] });
  });
});

describe('expiry, leaving and answers after the end', () => {
  it('expires the run', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    const effects = r.send({ type: 'expire' });
    expect(effects).toEqual([
      { type: 'cancelFires', kind: 'all' },
      { type: 'end', status: 'expired' },
    ]);
    expect(r.state).toMatchObject({ status: 'expired', nodeId: null, step: 2 });
  });

  it('lets the person leave', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.answer('1');
    const effects = r.send({ type: 'leave' });
    expect(effects).toEqual([
      { type: 'cancelFires', kind: 'all' },
      { type: 'end', status: 'left' },
    ]);
    expect(r.state).toMatchObject({ status: 'left', nodeId: null });
    expect(r.state?.results.colour?.value).toBe('red');
  });

  it('answers "closed" to anything sent after the end, without changing the state', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.send({ type: 'leave' });
    const before = r.state as RunState;
    for (const event of [
      { type: 'answer' as const, text: '1' },
      { type: 'answer' as const, payload: { nodeId: 'colour', choiceId: 'red' } },
    ]) {
      const result = step(r.def, before, event, later(5), { localizer: r.loc });
      expect(result.state).toBe(before);
      expect(result.effects).toEqual([
        {
          type: 'send',
          nodeId: '',
          role: 'closed',
          text: 'Ce questionnaire est terminé. Merci pour vos réponses !',
        },
      ]);
    }
    for (const event of [
      { type: 'expire' as const },
      { type: 'leave' as const },
      { type: 'timeout' as const, nodeId: 'colour', step: 1 },
    ]) {
      expect(step(r.def, before, event, later(5), { localizer: r.loc })).toEqual({
        state: before,
        effects: [],
      });
    }
  });

  it('treats an answer after expiresAt as expired even if the expiry fire has not run', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    r.now = later(3 * 24 * 60 + 1);
    const effects = r.answer('1');
    expect(types(effects)).toEqual(['send:closed', 'cancelFires', 'end']);
    expect(r.state).toMatchObject({ status: 'expired', results: {} });
  });
});

describe('misuse', () => {
  it('refuses a start with an existing state and other events without one', () => {
    const r = new Runner(colours(), i18n);
    r.start();
    const loc = createLocalizer(i18n, 'fr');
    expect(() => step(r.def, r.state, { type: 'start' }, NOW, { localizer: loc })).toThrow(
      FlowEngineError,
    );
    expect(() =>
      step(r.def, undefined, { type: 'answer', text: '1' }, NOW, { localizer: loc }),
    ).toThrow(/needs the run state/);
  });

  it('stops a loop of say and branch nodes instead of spinning', () => {
    const def = flow({
      nodes: [
        { id: 'a', say: 'A', next: 'b' },
        { id: 'b', branch: 'x', cases: [{ when: ['y'], next: 'a' }], default: 'a' },
      ],
    });
    const loc = createLocalizer(i18n, 'fr');
    expect(() => step(def, undefined, { type: 'start' }, NOW, { localizer: loc })).toThrow(
      /loop without a question/,
    );
  });
});

describe('version isolation', () => {
  const v1 = () =>
    flow({
      id: 'sondage',
      version: 1,
      nodes: [
        { id: 'q1', ask: 'yesno', text: 'Version 1 ?', result: 'q1' },
        { id: 'q2', ask: 'text', text: 'Question 2 (v1)', result: 'q2' },
        { id: 'e', end: 'Fin v1' },
      ],
    });
  const v2 = () =>
    flow({
      id: 'sondage',
      version: 2,
      nodes: [
        { id: 'q1', ask: 'yesno', text: 'Version 2 ?', result: 'q1' },
        { id: 'e', end: 'Fin v2' },
      ],
    });

  it('keeps stepping a v1 run with the v1 definition while v2 exists', () => {
    const one = v1();
    const two = v2();
    const catalog = new Map([
      [1, one],
      [2, two],
    ]);
    const loc = createLocalizer(i18n, 'fr');
    let { state } = step(one, undefined, { type: 'start' }, NOW, { localizer: loc });
    const pick = () => catalog.get(state.flowVersion) ?? two;
    const r1 = step(pick(), state, { type: 'answer', text: 'oui' }, NOW, { localizer: loc });
    state = r1.state;
    expect(sends(r1.effects).map((s) => s.text)).toEqual(['Question 2 (v1)']);
    const r2 = step(pick(), state, { type: 'answer', text: 'rien' }, NOW, { localizer: loc });
    expect(sends(r2.effects).map((s) => s.text)).toEqual(['Fin v1']);
    expect(r2.state.flowVersion).toBe(1);
  });

  it('refuses a definition whose id or version differ from the run', () => {
    const loc = createLocalizer(i18n, 'fr');
    const { state } = step(v1(), undefined, { type: 'start' }, NOW, { localizer: loc });
    expect(() =>
      step(v2(), state, { type: 'answer', text: 'oui' }, NOW, { localizer: loc }),
    ).toThrow(/run of flow sondage v1 cannot step with definition sondage v2/);
    expect(() => step(colours(), state, { type: 'expire' }, NOW, { localizer: loc })).toThrow(
      FlowEngineError,
    );
  });
});
