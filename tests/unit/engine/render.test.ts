import { beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../../src/engine/render.js';
import type { AskSpec, SendEffect } from '../../../src/engine/types.js';
import { createLocalizer, type I18n, type Localizer } from '../../../src/i18n/index.js';
import { realI18n } from './helpers.js';

let i18n: I18n;
let fr: Localizer;
beforeAll(async () => {
  i18n = await realI18n();
  fr = createLocalizer(i18n, 'fr');
});

const sms = { buttons: false, maxChoiceLabel: 1000 };
const telegram = { buttons: true, maxChoiceLabel: 32 };

function ask(spec: AskSpec, extra: Partial<SendEffect> = {}): SendEffect {
  return {
    type: 'send',
    nodeId: 'q',
    role: 'ask',
    text: 'Comment venez-vous ?',
    ask: spec,
    ...extra,
  };
}

const single: AskSpec = {
  kind: 'single',
  choices: [
    { id: 'car', label: 'En voiture' },
    { id: 'bus', label: 'En bus' },
    { id: 'foot', label: 'À pied' },
  ],
};

describe('render for SMS (no buttons)', () => {
  it('numbers the options and adds the footer', () => {
    expect(render(ask(single), sms, fr)).toEqual({
      text: 'Comment venez-vous ?\n1. En voiture\n2. En bus\n3. À pied\nRépondez 1, 2 ou 3.',
    });
  });

  it('puts the author hint before the options', () => {
    expect(render(ask(single, { hint: 'Le plus souvent.' }), sms, fr).text).toBe(
      'Comment venez-vous ?\nLe plus souvent.\n1. En voiture\n2. En bus\n3. À pied\nRépondez 1, 2 ou 3.',
    );
  });

  it('asks yes/no as OUI (1) ou NON (2), and a scale from min to max with its ends', () => {
    expect(render(ask({ kind: 'yesno' }), sms, fr).text).toBe(
      'Comment venez-vous ?\nRépondez OUI (1) ou NON (2).',
    );
    expect(
      render(
        ask({ kind: 'scale', min: 1, max: 5, labels: { min: 'Facile', max: 'Difficile' } }),
        sms,
        fr,
      ).text,
    ).toBe('Comment venez-vous ?\n1 = Facile, 5 = Difficile\nRépondez de 1 à 5.');
  });

  it('gives multiple, number, date and text their own last line', () => {
    expect(
      render(ask({ ...single, kind: 'multiple' }), sms, fr)
        .text.split('\n')
        .at(-1),
    ).toBe('Répondez par un ou plusieurs numéros, par exemple 1 3.');
    expect(render(ask({ kind: 'number', min: 0, max: 10 }), sms, fr).text).toBe(
      'Comment venez-vous ?\nRépondez par un nombre de 0 à 10.',
    );
    expect(render(ask({ kind: 'date' }), sms, fr).text).toBe(
      'Comment venez-vous ?\nÉcrivez une date, par exemple 12/03.',
    );
    expect(render(ask({ kind: 'text' }), sms, fr).text).toBe('Comment venez-vous ?');
  });

  it('renders a retry as one short line', () => {
    const retry: SendEffect = {
      type: 'send',
      nodeId: 'q',
      role: 'retry',
      text: "Je n'ai pas compris.",
      ask: single,
      hint: 'Répondez 1, 2 ou 3.',
    };
    expect(render(retry, sms, fr)).toEqual({ text: "Je n'ai pas compris. Répondez 1, 2 ou 3." });
  });

  it('speaks English', () => {
    const en = createLocalizer(i18n, 'en');
    expect(render(ask(single), sms, en).text.split('\n').at(-1)).toBe('Reply 1, 2, or 3.');
    expect(
      render(ask({ kind: 'yesno' }), sms, en)
        .text.split('\n')
        .at(-1),
    ).toBe('Reply YES (1) or NO (2).');
  });

  it('passes say, end, stale and closed texts through', () => {
    for (const role of ['say', 'end', 'stale', 'closed'] as const) {
      expect(render({ type: 'send', nodeId: 'x', role, text: 'Merci.' }, sms, fr)).toEqual({
        text: 'Merci.',
      });
    }
  });
});

describe('render with buttons', () => {
  it('gives one button per choice with its payload', () => {
    expect(render(ask(single), telegram, fr)).toEqual({
      text: 'Comment venez-vous ?',
      buttons: [
        { label: 'En voiture', payload: { nodeId: 'q', choiceId: 'car' } },
        { label: 'En bus', payload: { nodeId: 'q', choiceId: 'bus' } },
        { label: 'À pied', payload: { nodeId: 'q', choiceId: 'foot' } },
      ],
    });
  });

  it('gives yes/no and scale buttons', () => {
    expect(render(ask({ kind: 'yesno' }), telegram, fr).buttons).toEqual([
      { label: 'Oui', payload: { nodeId: 'q', choiceId: 'yes' } },
      { label: 'Non', payload: { nodeId: 'q', choiceId: 'no' } },
    ]);
    const scale = render(
      ask({ kind: 'scale', min: 0, max: 3, labels: { max: 'Beaucoup' } }),
      telegram,
      fr,
    );
    expect(scale.text).toBe('Comment venez-vous ?\n3 = Beaucoup');
    expect(scale.buttons?.map((b) => [b.label, b.payload.choiceId])).toEqual([
      ['0', '0'],
      ['1', '1'],
      ['2', '2'],
      ['3', '3'],
    ]);
  });

  it('numbers the buttons of a multiple question and says several can be written', () => {
    const r = render(ask({ ...single, kind: 'multiple' }), telegram, fr);
    expect(r.text).toBe(
      'Comment venez-vous ?\nTouchez une réponse, ou écrivez les numéros de plusieurs réponses.',
    );
    expect(r.buttons?.map((b) => b.label)).toEqual(['1. En voiture', '2. En bus', '3. À pied']);
  });

  it('has no buttons for number, date and text', () => {
    for (const kind of ['number', 'date', 'text'] as const) {
      expect(render(ask({ kind }), telegram, fr).buttons).toBeUndefined();
    }
  });

  it('cuts labels longer than the channel shows', () => {
    const r = render(
      ask({
        kind: 'single',
        choices: [
          { id: 'a', label: 'Une réponse vraiment longue' },
          { id: 'b', label: 'B' },
        ],
      }),
      { buttons: true, maxChoiceLabel: 10 },
      fr,
    );
    expect(r.buttons?.[0]?.label).toBe('Une répon…');
  });

  it('shows the buttons again on a retry and points at them', () => {
    const retry: SendEffect = {
      type: 'send',
      nodeId: 'q',
      role: 'retry',
      text: "Je n'ai pas compris.",
      ask: single,
      hint: 'Répondez 1, 2 ou 3.',
    };
    const r = render(retry, telegram, fr);
    expect(r.text).toBe("Je n'ai pas compris. Touchez une réponse.");
    expect(r.buttons).toHaveLength(3);
  });
});
