import { isEnglish, type Lang, normalizeAnswer } from './normalize.js';

const UNITS_FR = [
  'zero',
  'un',
  'deux',
  'trois',
  'quatre',
  'cinq',
  'six',
  'sept',
  'huit',
  'neuf',
  'dix',
  'onze',
  'douze',
  'treize',
  'quatorze',
  'quinze',
  'seize',
];

/**
 * Every French spelling of 0..99, words joined by one space, "et" left out. Belgian and Swiss
 * tens (septante, huitante, octante, nonante) are included: some beneficiaries use them.
 */
function buildBelow100Fr(): Map<string, number> {
  const map = new Map<string, number>();
  for (const [n, word] of UNITS_FR.entries()) map.set(word, n);
  for (const n of [7, 8, 9]) map.set(`dix ${UNITS_FR[n]}`, 10 + n);
  const addTens = (name: string, tens: number) => {
    map.set(name, tens);
    for (let u = 1; u <= 9; u++) map.set(`${name} ${UNITS_FR[u]}`, tens + u);
  };
  const tens: [string, number][] = [
    ['vingt', 20],
    ['trente', 30],
    ['quarante', 40],
    ['cinquante', 50],
    ['soixante', 60],
    ['septante', 70],
    ['huitante', 80],
    ['octante', 80],
    ['nonante', 90],
  ];
  for (const [name, value] of tens) addTens(name, value);
  // 70-79 and 90-99 in France are built on 60 and 80 plus 10-19.
  for (let n = 10; n <= 19; n++) {
    const teen = n <= 16 ? UNITS_FR[n] : `dix ${UNITS_FR[n - 10]}`;
    map.set(`soixante ${teen}`, 60 + n);
    map.set(`quatre vingt ${teen}`, 80 + n);
  }
  map.set('quatre vingt', 80);
  for (let u = 1; u <= 9; u++) map.set(`quatre vingt ${UNITS_FR[u]}`, 80 + u);
  return map;
}

const UNITS_EN = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS_EN = ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

function buildBelow100En(): Map<string, number> {
  const map = new Map<string, number>();
  for (const [n, word] of UNITS_EN.entries()) map.set(word, n);
  TENS_EN.forEach((word, i) => {
    const tens = 20 + 10 * i;
    map.set(word, tens);
    for (let u = 1; u <= 9; u++) map.set(`${word} ${UNITS_EN[u]}`, tens + u);
  });
  return map;
}

interface Vocabulary {
  below100: Map<string, number>;
  hundred: string;
  thousand: string;
  million: string;
  /** Spelling variants mapped to the one the tables use. */
  aliases: Map<string, string>;
  /** Linking words that carry no value ("vingt et un", "two hundred and five"). */
  ignored: string[];
  minus: string;
}

const FRENCH: Vocabulary = {
  below100: buildBelow100Fr(),
  hundred: 'cent',
  thousand: 'mille',
  million: 'million',
  aliases: new Map([
    ['une', 'un'],
    ['vingts', 'vingt'],
    ['cents', 'cent'],
    ['millions', 'million'],
    ['mil', 'mille'],
  ]),
  ignored: ['et'],
  minus: 'moins',
};

const ENGLISH: Vocabulary = {
  below100: buildBelow100En(),
  hundred: 'hundred',
  thousand: 'thousand',
  million: 'million',
  aliases: new Map([
    ['a', 'one'],
    ['an', 'one'],
    ['hundreds', 'hundred'],
    ['thousands', 'thousand'],
    ['millions', 'million'],
  ]),
  ignored: ['and'],
  minus: 'minus',
};

function below100(words: string[], vocab: Vocabulary): number | undefined {
  return words.length === 0 ? undefined : vocab.below100.get(words.join(' '));
}

/** Splits around a scale word ("cent", "mille"...) and checks each side's range. */
function around(
  words: string[],
  scale: string,
  factor: number,
  count: (left: string[]) => number | undefined,
  rest: (right: string[]) => number | undefined,
): number | undefined {
  const at = words.indexOf(scale);
  if (at === -1) return rest(words);
  if (words.indexOf(scale, at + 1) !== -1) return undefined;
  const right = words.slice(at + 1);
  const multiplier = count(words.slice(0, at));
  // "cent zéro" or "mille zéro" are not numbers anyone writes.
  const remainder = right.length === 0 ? 0 : rest(right);
  if (multiplier === undefined || remainder === undefined) return undefined;
  if (right.length > 0 && remainder === 0) return undefined;
  return multiplier * factor + remainder;
}

function inRange(n: number | undefined, min: number, max: number): number | undefined {
  return n !== undefined && n >= min && n <= max ? n : undefined;
}

function wordsToInteger(words: string[], vocab: Vocabulary): number | undefined {
  const french = vocab === FRENCH;
  // French says "cent" and "mille" alone, never "un cent" or "un mille"; English needs a count.
  const implicitOne = (left: string[], min: number, max: number) =>
    left.length === 0 ? (french ? 1 : undefined) : inRange(below100(left, vocab), min, max);
  const below1000 = (w: string[]) =>
    around(
      w,
      vocab.hundred,
      100,
      (left) => implicitOne(left, french ? 2 : 1, 9),
      (right) => below100(right, vocab),
    );
  const below1e6 = (w: string[]) =>
    around(
      w,
      vocab.thousand,
      1000,
      (left) =>
        left.length === 0
          ? french
            ? 1
            : undefined
          : inRange(below1000(left), french ? 2 : 1, 999),
      below1000,
    );
  return around(
    words,
    vocab.million,
    1_000_000,
    (left) => inRange(below1000(left), 1, 999),
    below1e6,
  );
}

function wordsToNumber(text: string, vocab: Vocabulary): number | undefined {
  const words = text
    .split(/[\s-]+/)
    .filter((w) => w !== '' && !vocab.ignored.includes(w))
    .map((w) => vocab.aliases.get(w) ?? w);
  const negative = words[0] === vocab.minus;
  const value = wordsToInteger(negative ? words.slice(1) : words, vocab);
  if (value === undefined) return undefined;
  return negative ? -value : value;
}

/** Number written in words, French always, English too when lang is 'en'. */
export function parseNumberWords(normalized: string, lang?: Lang): number | undefined {
  const text = normalized.replace(/'/g, ' ');
  const fr = wordsToNumber(text, FRENCH);
  if (fr !== undefined || !isEnglish(lang)) return fr;
  return wordsToNumber(text, ENGLISH);
}

// Digits with an optional sign, French thousands groups ("1 000") and a decimal comma or point.
const DIGITS = /^([+-]?)\s*(\d{1,3}(?: \d{3})+|\d+)(?:[.,](\d+))?$/;

function parseDigits(normalized: string): number | undefined {
  const match = DIGITS.exec(normalized.replace(/\u2212/g, '-'));
  if (!match) return undefined;
  const [, sign, whole = '', fraction] = match;
  // "2.500" or "1,000" is 2500 to some and 2.5 to others: ask again rather than guess.
  if (fraction?.length === 3 && !/^0+$/.test(whole)) return undefined;
  const value = Number(`${whole.replace(/ /g, '')}.${fraction ?? '0'}`);
  return sign === '-' ? -value : value;
}

/**
 * "3", " 3 ", "3,5" and "3.5" (decimal), "-2", "trois", "vingt-deux", "soixante-dix",
 * "quatre-vingt-dix-neuf", "cent", "deux cents", "mille"; English words when lang is 'en'.
 */
export function parseNumber(input: string, opts: { lang?: Lang } = {}): number | undefined {
  const normalized = normalizeAnswer(input);
  if (normalized === '') return undefined;
  return parseDigits(normalized) ?? parseNumberWords(normalized, opts.lang);
}

const ORDINAL_SUFFIX = /^(\d+) ?(?:er|ere|re|e|eme|em|ieme|nd|nde|d|de|st|rd|th)$/;
const ORDINAL_WORDS = new Map([
  ['premier', 1],
  ['premiere', 1],
  ['second', 2],
  ['seconde', 2],
  ['first', 1],
  ['third', 3],
  ['fifth', 5],
  ['eighth', 8],
  ['ninth', 9],
  ['twelfth', 12],
]);

/**
 * "1er", "2e", "2ème", "deuxième", "vingt et unième", "second"; English ordinals when lang is 'en'.
 * Positions of options and days of the month are written this way.
 */
export function parseOrdinal(normalized: string, lang?: Lang): number | undefined {
  const digits = ORDINAL_SUFFIX.exec(normalized);
  if (digits) return Number(digits[1]);
  const known = ORDINAL_WORDS.get(normalized);
  if (known !== undefined) return known;
  const en = isEnglish(lang);
  const stem =
    /^(.*?)(?:ieme|iem)$/.exec(normalized)?.[1] ??
    (en ? /^(.*)th$/.exec(normalized)?.[1] : undefined);
  if (!stem) return undefined;
  // "cinquième" and "neuvième" change their stem; other words lose a final "e" ("quatre").
  const bases = [stem.replace(/cinqu$/, 'cinq').replace(/neuv$/, 'neuf'), `${stem}e`, stem];
  for (const base of bases) {
    const n = parseNumberWords(base, lang);
    if (n !== undefined && n > 0) return n;
  }
  return undefined;
}
