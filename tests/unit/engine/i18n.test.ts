import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createI18n,
  createLocalizer,
  FALC,
  type I18n,
  languageOf,
  languagesOf,
} from '../../../src/i18n/index.js';
import { flow, freshI18n, Runner, sends } from './helpers.js';

function localesDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-locales-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    writeFileSync(
      path.join(dir, file),
      typeof content === 'string' ? content : JSON.stringify(content),
    );
  }
  return dir;
}

describe('createI18n', () => {
  it('loads every namespace of every language folder, with fr as fallback', async () => {
    const dir = localesDir({
      'fr/engine.json': {
        hello: 'Bonjour',
        plural_one: '{{count}} réponse',
        plural_many: '{{count}} de réponses',
        plural_other: '{{count}} réponses',
      },
      'fr/common.json': { app: 'Relais' },
      'en/engine.json': { hello: 'Hello' },
      'fr-x-falc/engine.json': {},
    });
    const i = await createI18n(dir);
    expect(languagesOf(i).sort()).toEqual(['en', 'fr', 'fr-x-falc']);
    expect(i.getFixedT('en', 'engine')('hello')).toBe('Hello');
    expect(i.getFixedT(FALC, 'engine')('hello')).toBe('Bonjour');
    expect(i.getFixedT('en', 'common')('app')).toBe('Relais');
    const t = i.getFixedT('fr', 'engine');
    expect(t('plural', { count: 1 })).toBe('1 réponse');
    expect(t('plural', { count: 3 })).toBe('3 réponses');
    expect(t('plural', { count: 1_000_000 })).toBe('1000000 de réponses');
  });

  it('refuses a folder name i18next would rewrite (fr-FALC)', async () => {
    const dir = localesDir({ 'fr/engine.json': {}, 'fr-FALC/engine.json': {} });
    await expect(createI18n(dir)).rejects.toThrow(/fr-FALC/);
  });

  it('names the file of a JSON syntax error', async () => {
    const dir = localesDir({ 'fr/engine.json': '{ "a": ' });
    await expect(createI18n(dir)).rejects.toThrow(/fr[\\/]engine\.json/);
  });

  it('has fr, en and fr-x-falc system texts in the real locales', async () => {
    const i = await freshI18n();
    for (const lang of ['fr', 'en', FALC]) {
      expect(i.hasResourceBundle(lang, 'engine')).toBe(true);
    }
    expect(createLocalizer(i, 'en').system('hint.choiceList', { list: '1, 2, or 3' })).toBe(
      'Reply 1, 2, or 3.',
    );
    expect(createLocalizer(i, FALC).system('hint.yesno')).toBe('Écrivez OUI (1) ou NON (2).');
  });
});

describe('languageOf', () => {
  it('maps tags to supported languages', () => {
    expect(languageOf('fr-FR')).toBe('fr');
    expect(languageOf('EN-gb')).toBe('en');
    expect(languageOf('fr-x-falc')).toBe(FALC);
    expect(languageOf('FR-X-FALC')).toBe(FALC);
    expect(languageOf('fr-FALC')).toBe(FALC);
    expect(languageOf('de')).toBe('fr');
    expect(languageOf(undefined)).toBe('fr');
    expect(languageOf('pt-BR', ['fr', 'pt-BR'])).toBe('pt-BR');
  });
});

describe('flow translations', () => {
  let i18n: I18n;
  const def = () =>
    flow({
      id: 'pets',
      nodes: [
        { id: 'intro', say: 'Bonjour !' },
        {
          id: 'pet',
          ask: 'single',
          text: 'Quel animal ?',
          result: 'pet',
          hint: 'Un seul.',
          choices: [
            { id: 'cat', label: 'Chat', keywords: ['minou'] },
            { id: 'dog', label: 'Chien', keywords: ['toutou'] },
          ],
        },
        { id: 'bye', end: 'Merci !' },
      ],
    });

  beforeAll(async () => {
    i18n = await freshI18n();
    i18n.addResourceBundle(
      'en',
      'flows',
      {
        pets: {
          intro: { say: 'Hello!' },
          pet: {
            text: 'Which animal?',
            hint: 'Just one.',
            choices: {
              cat: { label: 'Cat', keywords: ['kitty', 'puss'] },
              dog: { label: 'Dog', keywords: ['doggy'] },
            },
          },
          bye: { end: 'Thanks!' },
        },
      },
      true,
      true,
    );
    // Easy-read French translates only the question: the rest falls back to the inline text.
    i18n.addResourceBundle(
      FALC,
      'flows',
      {
        pets: {
          pet: { text: 'Vous avez quel animal ?', choices: { cat: { keywords: ['chaton'] } } },
        },
      },
      true,
      true,
    );
  });

  it('uses the translated texts and labels in English', () => {
    const r = new Runner(def(), i18n, 'en');
    const out = sends(r.start());
    expect(out.map((s) => s.text)).toEqual(['Hello!', 'Which animal?']);
    expect(out[1]?.hint).toBe('Just one.');
    expect(out[1]?.ask?.choices).toEqual([
      { id: 'cat', label: 'Cat' },
      { id: 'dog', label: 'Dog' },
    ]);
    expect(sends(r.answer('doggy')).map((s) => s.text)).toEqual(['Thanks!']);
    expect(r.state?.results.pet?.value).toBe('dog');
  });

  it('matches translated keywords, and still the French ones as a second chance', () => {
    const en = new Runner(def(), i18n, 'en');
    en.start();
    en.answer('puss');
    expect(en.state?.results.pet?.value).toBe('cat');
    const enFr = new Runner(def(), i18n, 'en');
    enFr.start();
    enFr.answer('toutou');
    expect(enFr.state?.results.pet?.value).toBe('dog');
  });

  it('falls back to the inline French text for missing keys in fr-x-falc', () => {
    const r = new Runner(def(), i18n, FALC);
    const out = sends(r.start());
    expect(out.map((s) => s.text)).toEqual(['Bonjour !', 'Vous avez quel animal ?']);
    expect(out[1]?.ask?.choices?.map((c) => c.label)).toEqual(['Chat', 'Chien']);
    r.answer('chaton');
    expect(r.state?.results.pet?.value).toBe('cat');
  });

  it('builds retry hints in the person language', () => {
    const r = new Runner(def(), i18n, 'en');
    r.start();
    const retry = sends(r.answer('a fish'))[0];
    expect([retry?.text, retry?.hint]).toEqual(['Sorry, I did not understand.', 'Reply 1 or 2.']);
  });

  it('exposes keywords and texts through the localizer with fallbacks', () => {
    const en = createLocalizer(i18n, 'en');
    expect(en.flowText('pets', 'pet', 'text', 'x')).toBe('Which animal?');
    expect(en.flowText('pets', 'nope', 'text', 'inline')).toBe('inline');
    expect(en.flowKeywords('pets', 'pet', 'cat', ['minou'])).toEqual(['kitty', 'puss']);
    const falc = createLocalizer(i18n, FALC);
    expect(falc.flowKeywords('pets', 'pet', 'dog', ['toutou'])).toEqual(['toutou']);
    expect(falc.flowText('pets', 'pet', 'choices.cat.label', 'Chat')).toBe('Chat');
  });
});
