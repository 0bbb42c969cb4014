import { isEnglish, type Lang, normalizeAnswer, tokenize } from './normalize.js';

export type YesNo = 'yes' | 'no';

// Apostrophes become spaces before matching, so "d'accord", "d accord" and "d’accord" are one phrase.
const YES_FR = [
  'oui',
  'ouais',
  'ouai',
  'ouaip',
  'ouep',
  'ui',
  'wi',
  'ok',
  'okay',
  'oke',
  'okey',
  'oki',
  'd accord',
  'dac',
  'dacc',
  // "d'acc", "d’acc": the apostrophe becomes a space.
  'd acc',
  'd ac',
  'daccord',
  'bien sur',
  'bien sur que oui',
  'bien entendu',
  'tout a fait',
  'exact',
  'exactement',
  'absolument',
  'certainement',
  'evidemment',
  'volontiers',
  'avec plaisir',
  'parfait',
  'entendu',
  'c est bon',
  'ca marche',
  'je confirme',
  // "Si" contradicts a negative question ("Vous ne venez pas ?" "Si !"). Alone it also means
  // "if", so a bare "si" only counts when it is the whole answer (see SOLO_YES).
  'mais si',
  'ben si',
  'bah si',
  'eh si',
  'si si',
  'pas de souci',
  'pas de soucis',
  'pas de probleme',
  'sans probleme',
  'aucun probleme',
  'no souci',
  'no soucis',
  'no problem',
  // Many French speakers answer in English.
  'yes',
];

const NO_FR = [
  'non',
  'nan',
  'nn',
  'no',
  'pas du tout',
  'jamais',
  'absolument pas',
  'surtout pas',
  'certainement pas',
  'pas vraiment',
  'pas question',
  'hors de question',
  'bien sur que non',
  'non merci',
];

const YES_EN = [
  'yes',
  'yeah',
  'yep',
  'yup',
  'sure',
  'ok',
  'okay',
  'of course',
  'absolutely',
  'certainly',
  'definitely',
  'no problem',
];
const NO_EN = ['no', 'nope', 'nah', 'not at all', 'never', 'absolutely not', 'no way'];

// Words that say yes only when they are the whole answer: "si" inside a sentence is "if"
// ("je viens si je peux").
const SOLO_YES_FR = new Set(['si']);

// Emoji mean the same whatever the language.
const YES_EMOJI = ['👍', '👌', '✅', '✔', '☑', '🆗', '🙆'];
const NO_EMOJI = ['👎', '❌', '✖', '🚫', '⛔', '🙅'];

// Hesitation must not be read as a decision, even next to a "oui".
const DOUBT_FR = [
  'peut etre',
  'je sais pas',
  'je ne sais pas',
  'sais pas',
  'chais pas',
  'jsp',
  'pas sur',
  'pas sure',
  'bof',
  'on verra',
];
const DOUBT_EN = ['maybe', 'not sure', 'don t know', 'dont know', 'dunno', 'perhaps'];

// A negator right before an approval turns it into a refusal: "pas d'accord", "pas ok".
const NEGATORS_FR = ['pas'];
const NEGATORS_EN = ['not'];

// Words that may sit between a negation and what it negates: "pas trop d'accord".
const INTENSIFIERS = [
  'trop',
  'vraiment',
  'tres',
  'tellement',
  'completement',
  'really',
  'very',
  'quite',
];

type Polarity = YesNo | 'doubt';
interface Phrase {
  tokens: string[];
  polarity: Polarity;
}

// Emoji skin tones are separate code points that carry no meaning for yes/no.
const SKIN_TONES = /[\u{1F3FB}-\u{1F3FF}]/gu;

function toTokens(text: string): string[] {
  return tokenize(normalizeAnswer(text).replace(/'/g, ' ').replace(SKIN_TONES, ''));
}

function squeeze(token: string): string {
  return token.replace(/(.)\1+/gu, '$1');
}

// People stretch words ("ouiii", "nooon", "okkk"); squeezing repeated letters on both sides lets
// one spelling cover them all. Not below two letters, or "nn" would match the "n" of "n'importe".
function sameWord(typed: string, known: string): boolean {
  if (typed === known) return true;
  const squeezed = squeeze(known);
  return squeezed.length >= 2 && squeeze(typed) === squeezed;
}

const defaultPhrases = new Map<boolean, Phrase[]>();

function phrasesFor(lang: Lang | undefined, yes: string[], no: string[]): Phrase[] {
  const en = isEnglish(lang);
  if (yes.length > 0 || no.length > 0) return buildPhrases(en, yes, no);
  let phrases = defaultPhrases.get(en);
  if (!phrases) {
    phrases = buildPhrases(en, [], []);
    defaultPhrases.set(en, phrases);
  }
  return phrases;
}

function buildPhrases(en: boolean, yes: string[], no: string[]): Phrase[] {
  const entries: [string[], Polarity][] = [
    [[...YES_FR, ...YES_EMOJI, ...yes], 'yes'],
    [[...NO_FR, ...NO_EMOJI, ...no], 'no'],
    [DOUBT_FR, 'doubt'],
  ];
  if (en) entries.push([YES_EN, 'yes'], [NO_EN, 'no'], [DOUBT_EN, 'doubt']);
  const phrases: Phrase[] = [];
  for (const [words, polarity] of entries) {
    for (const word of words) {
      const tokens = toTokens(word);
      if (tokens.length > 0) phrases.push({ tokens, polarity });
    }
  }
  // Longest first, so "pas d accord" or "bien sur que non" win over their shorter parts.
  return phrases.sort((a, b) => b.tokens.length - a.tokens.length);
}

function matchAt(tokens: string[], at: number, phrases: Phrase[]): Phrase | undefined {
  return phrases.find((p) =>
    p.tokens.every((known, i) => {
      const typed = tokens[at + i];
      return typed !== undefined && sameWord(typed, known);
    }),
  );
}

/**
 * 'yes' | 'no' or undefined when unclear. Words that are neither are ignored ("oui merci"),
 * but both polarities, or any hesitation, make the answer unclear.
 */
export function parseYesNo(
  input: string,
  opts: { lang?: Lang; yes?: string[]; no?: string[] } = {},
): YesNo | undefined {
  const tokens = toTokens(input);
  if (tokens.length === 0) return undefined;
  if (tokens.length === 1 && SOLO_YES_FR.has(squeeze(tokens[0] as string))) return 'yes';
  const phrases = phrasesFor(opts.lang, opts.yes ?? [], opts.no ?? []);
  const negators = isEnglish(opts.lang) ? [...NEGATORS_FR, ...NEGATORS_EN] : NEGATORS_FR;
  const found = new Set<Polarity>();
  // True right after a negation: approvals that follow are refusals ("pas du tout d'accord").
  let negating = false;
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i] as string;
    const phrase = matchAt(tokens, i, phrases);
    if (phrase) {
      const polarity: Polarity = negating && phrase.polarity === 'yes' ? 'no' : phrase.polarity;
      found.add(polarity);
      negating =
        (negating && phrase.polarity === 'yes') ||
        (polarity === 'no' && phrase.tokens.some((t) => negators.includes(t)));
      i += phrase.tokens.length;
    } else if (negators.includes(token)) {
      negating = true;
      i += 1;
    } else {
      negating = negating && INTENSIFIERS.includes(token);
      i += 1;
    }
  }
  if (found.has('doubt') || found.size !== 1) return undefined;
  return found.has('yes') ? 'yes' : 'no';
}
