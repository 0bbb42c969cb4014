import { beforeAll, describe, expect, it } from 'vitest';
import type { SendEffect } from '../../../src/engine/types.js';
import type { I18n } from '../../../src/i18n/index.js';
import { flow, Runner, realI18n, sends, types } from './helpers.js';

let i18n: I18n;
beforeAll(async () => {
  i18n = await realI18n();
});

/** A flow with one ask of the given shape, then an end. */
function oneAsk(ask: Record<string, unknown>) {
  return flow({
    nodes: [
      { id: 'q', text: 'Question ?', result: 'r', ...ask },
      { id: 'after', ask: 'text', text: 'Suite', result: 'after' },
    ],
  });
}

function retryHint(effects: ReturnType<Runner['answer']>): string | undefined {
  const retry = sends(effects).find((s) => s.role === 'retry') as SendEffect | undefined;
  return retry?.hint;
}

interface Case {
  name: string;
  ask: Record<string, unknown>;
  valid: [string, Record<string, unknown>][];
  unclear: string[];
  hint: string;
}

const cases: Case[] = [
  {
    name: 'single',
    ask: {
      ask: 'single',
      choices: [
        { id: 'car', label: 'En voiture', keywords: ['auto'] },
        { id: 'bus', label: 'En bus' },
        { id: 'foot', label: 'À pied' },
      ],
    },
    valid: [
      ['2', { value: 'bus', category: 'bus', input: '2' }],
      ['n°1', { value: 'car', category: 'car', input: 'n°1' }],
      ['deuxième', { value: 'bus', category: 'bus', input: 'deuxième' }],
      ['a pied', { value: 'foot', category: 'foot', input: 'a pied' }],
      ['auto', { value: 'car', category: 'car', input: 'auto' }],
    ],
    unclear: ['7', 'en avion'],
    hint: 'Répondez 1, 2 ou 3.',
  },
  {
    name: 'single with many options',
    ask: {
      ask: 'single',
      choices: Array.from({ length: 7 }, (_, i) => ({
        id: `c${i + 1}`,
        label: `Option ${String.fromCharCode(65 + i)}`,
      })),
    },
    valid: [['7', { value: 'c7', category: 'c7', input: '7' }]],
    unclear: ['8', 'rien'],
    hint: 'Répondez par un numéro de 1 à 7.',
  },
  {
    name: 'multiple',
    ask: {
      ask: 'multiple',
      choices: [
        { id: 'licence', label: 'Pas de permis', keywords: ['permis'] },
        { id: 'fuel', label: "Le prix de l'essence", keywords: ['essence'] },
        { id: 'far', label: 'Trop loin' },
      ],
    },
    valid: [
      ['1 3', { value: 'licence far', input: '1 3' }],
      ['3, 1', { value: 'licence far', input: '3, 1' }],
      ['essence et permis', { value: 'licence fuel', input: 'essence et permis' }],
      ['2', { value: 'fuel', input: '2' }],
    ],
    unclear: ['9', 'la météo'],
    hint: 'Répondez par un ou plusieurs numéros, par exemple 1 3.',
  },
  {
    name: 'yesno',
    ask: { ask: 'yesno' },
    valid: [
      ['oui', { value: 'yes', category: 'yes', input: 'oui' }],
      ['Non merci', { value: 'no', category: 'no', input: 'Non merci' }],
      ["d'accord", { value: 'yes', category: 'yes', input: "d'accord" }],
      ['d’acc', { value: 'yes', category: 'yes', input: 'd’acc' }],
      ['Si !', { value: 'yes', category: 'yes', input: 'Si !' }],
      // The numbers of "Répondez OUI (1) ou NON (2).", as typed on a keypad.
      ['1', { value: 'yes', category: 'yes', input: '1' }],
      ['1.', { value: 'yes', category: 'yes', input: '1.' }],
      [' 2 ', { value: 'no', category: 'no', input: '2' }],
      ['2️⃣', { value: 'no', category: 'no', input: '2️⃣' }],
    ],
    unclear: ['peut-être', 'oui et non', '3', '12', 'si je peux'],
    hint: 'Répondez OUI (1) ou NON (2).',
  },
  {
    name: 'scale',
    ask: { ask: 'scale', min: 1, max: 5, labels: { min: 'Pas difficile', max: 'Très difficile' } },
    valid: [
      ['4', { value: '4' }],
      ['trois', { value: '3', input: 'trois' }],
      ['très difficile', { value: '5', input: 'très difficile' }],
    ],
    unclear: ['9', 'beaucoup'],
    hint: 'Répondez par un nombre de 1 à 5.',
  },
  {
    name: 'number',
    ask: { ask: 'number', min: 0, max: 10 },
    valid: [
      ['3', { value: '3' }],
      ['3,5', { value: '3.5', input: '3,5' }],
      ['deux', { value: '2', input: 'deux' }],
    ],
    unclear: ['12', 'plein'],
    hint: 'Répondez par un nombre de 0 à 10.',
  },
  {
    name: 'date',
    ask: { ask: 'date' },
    valid: [
      ['12/03', { value: '2025-03-12', input: '12/03' }],
      ['demain', { value: '2025-03-11', input: 'demain' }],
      ['15 avril', { value: '2025-04-15', input: '15 avril' }],
    ],
    unclear: ['bientôt', '45/13'],
    hint: 'Écrivez une date, par exemple 12/03.',
  },
  {
    name: 'text',
    ask: { ask: 'text' },
    valid: [
      ['Le bus passe trop peu', { value: 'Le bus passe trop peu' }],
      // Typed, it is text: only a voice note the channel received is marked 'voice'.
      ['[voice:AwACAgQAAxkBAAIB]', { value: '[voice:AwACAgQAAxkBAAIB]' }],
    ],
    unclear: ['', '   '],
    hint: 'Écrivez votre réponse en quelques mots.',
  },
];

describe.each(cases)('ask $name', ({ ask, valid, unclear, hint }) => {
  it.each(valid)('saves %j', (input, expected) => {
    const r = new Runner(oneAsk(ask), i18n);
    r.start();
    const effects = r.answer(input);
    expect(effects[0]).toEqual({ type: 'save', name: 'r', nodeId: 'q', ...expected });
    expect(r.state?.results.r).toEqual({ nodeId: 'q', ...expected });
    expect(r.state?.nodeId).toBe('after');
  });

  it('asks again once with a hint, then offers a human and moves on without a result', () => {
    const r = new Runner(oneAsk(ask), i18n);
    r.start();
    const first = r.answer(unclear[0] as string);
    expect(types(first)).toEqual(['send:retry']);
    expect(retryHint(first)).toBe(hint);
    expect(r.state).toMatchObject({ nodeId: 'q', misses: 1 });
    const second = r.answer(unclear[1] as string);
    // No timeout on these questions: nothing to cancel.
    expect(types(second)).toEqual(['offerHuman', 'send:ask']);
    expect(r.state).toMatchObject({ nodeId: 'after', misses: 0, results: {} });
  });
});

describe('button payloads per ask kind', () => {
  it('accepts yes/no, scale points and choice ids', () => {
    const yes = new Runner(oneAsk({ ask: 'yesno' }), i18n);
    yes.start();
    yes.tap('q', 'no');
    expect(yes.state?.results.r).toEqual({ value: 'no', category: 'no', nodeId: 'q' });

    const scale = new Runner(oneAsk({ ask: 'scale', min: 0, max: 10 }), i18n);
    scale.start();
    scale.tap('q', '10');
    expect(scale.state?.results.r?.value).toBe('10');

    const multi = new Runner(
      oneAsk({
        ask: 'multiple',
        choices: [
          { id: 'a', label: 'A' },
          { id: 'b', label: 'B' },
        ],
      }),
      i18n,
    );
    multi.start();
    multi.tap('q', 'b');
    expect(multi.state?.results.r?.value).toBe('b');
  });

  it('treats an unknown choice id of the current question as unclear', () => {
    const r = new Runner(oneAsk({ ask: 'scale' }), i18n);
    r.start();
    expect(types(r.tap('q', '9'))).toEqual(['send:retry']);
  });
});

describe('branches', () => {
  const branching = (cases: unknown[], ask: Record<string, unknown>) =>
    flow({
      nodes: [
        { id: 'q', text: 'Question ?', result: 'r', ...ask },
        { id: 'b', branch: 'r', cases, default: 'other' },
        { id: 'low', end: 'bas' },
        { id: 'mid', end: 'milieu' },
        { id: 'high', end: 'haut' },
        { id: 'other', end: 'autre' },
      ],
    });
  const endText = (r: Runner, answer: string) => sends(r.answer(answer)).at(-1)?.text;

  it('routes on categories', () => {
    const def = branching(
      [
        { when: ['yes'], next: 'high' },
        { when: ['no'], next: 'low' },
      ],
      { ask: 'yesno' },
    );
    for (const [answer, expected] of [
      ['oui', 'haut'],
      ['non', 'bas'],
    ]) {
      const r = new Runner(def, i18n);
      r.start();
      expect(endText(r, answer as string)).toBe(expected);
    }
  });

  it('routes on numeric ranges, in order, with a default', () => {
    const def = branching(
      [
        { when: { lte: 2 }, next: 'low' },
        { when: { gte: 3, lte: 4 }, next: 'mid' },
        { when: { gte: 5 }, next: 'high' },
      ],
      { ask: 'scale', min: 1, max: 6 },
    );
    const seen = ['1', '2', '3', '4', '5', '6'].map((a) => {
      const r = new Runner(def, i18n);
      r.start();
      return endText(r, a);
    });
    expect(seen).toEqual(['bas', 'bas', 'milieu', 'milieu', 'haut', 'haut']);
  });

  it('matches any selected choice of a multiple answer', () => {
    const def = branching([{ when: ['fuel'], next: 'high' }], {
      ask: 'multiple',
      choices: [
        { id: 'licence', label: 'Permis' },
        { id: 'fuel', label: 'Essence' },
      ],
    });
    const r = new Runner(def, i18n);
    r.start();
    expect(endText(r, '1 2')).toBe('haut');
    const r2 = new Runner(def, i18n);
    r2.start();
    expect(endText(r2, '1')).toBe('autre');
  });

  it('takes the default when the result is missing (no response)', () => {
    const def = branching([{ when: ['yes'], next: 'high' }], { ask: 'yesno', timeout: '1h' });
    const r = new Runner(def, i18n);
    r.start();
    const effects = r.send({ type: 'timeout', nodeId: 'q', step: 1 });
    expect(sends(effects).at(-1)?.text).toBe('autre');
  });

  it('runs several branches and says in a row before the next question', () => {
    const def = flow({
      nodes: [
        { id: 'q', ask: 'scale', text: 'Note ?', result: 'n' },
        { id: 'b1', branch: 'n', cases: [{ when: { gte: 4 }, next: 's1' }], default: 'q2' },
        { id: 's1', say: 'Super.' },
        { id: 'b2', branch: 'n', cases: [{ when: ['5'], next: 's2' }], default: 'q2' },
        { id: 's2', say: 'Vraiment super.' },
        { id: 'q2', ask: 'text', text: 'Pourquoi ?', result: 'why' },
        { id: 'e', end: null },
      ],
    });
    const r = new Runner(def, i18n);
    r.start();
    expect(sends(r.answer('5')).map((s) => s.text)).toEqual([
      'Super.',
      'Vraiment super.',
      'Pourquoi ?',
    ]);
    expect(types(r.answer('parce que'))).toEqual(['save', 'cancelFires', 'end']);
  });
});
