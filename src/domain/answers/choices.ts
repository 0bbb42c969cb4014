import { isEnglish, type Lang, normalizeAnswer, tokenize } from './normalize.js';
import { parseNumberWords, parseOrdinal } from './numbers-fr.js';

export interface ChoiceOption {
  id: string;
  label: string;
  keywords?: string[];
}

export interface ChoiceOptions {
  letters?: boolean;
  lang?: Lang;
}

// Words people wrap around a position: "le 2", "n°2", "la réponse 2", "je prends la 2 merci".
const POSITION_FILLERS = new Set([
  'le',
  'la',
  'l',
  'n',
  'no',
  'num',
  'numero',
  'choix',
  'option',
  'reponse',
  'proposition',
  'je',
  'j',
  'choisis',
  'prends',
  'veux',
  'vote',
  'c',
  'est',
  'merci',
  'svp',
  'stp',
  'the',
  'number',
  'choice',
  'answer',
  'i',
  'pick',
  'choose',
  'take',
  'it',
  's',
  'thanks',
]);

// Words too common to identify an option on their own ("en" in "En voiture" and "En bus").
const STOPWORDS = new Set([
  'le',
  'la',
  'les',
  'l',
  'un',
  'une',
  'des',
  'de',
  'du',
  'd',
  'en',
  'a',
  'au',
  'aux',
  'et',
  'ou',
  'par',
  'pour',
  'avec',
  'sur',
  'mon',
  'ma',
  'mes',
  'je',
  'j',
  'ai',
  'suis',
  'c',
  'est',
  'the',
  'an',
  'of',
  'by',
  'in',
  'on',
  'with',
  'my',
  'i',
]);

// A negated answer ("pas en voiture") must not select what it names.
const NEGATIONS = new Set([
  'pas',
  'non',
  'ni',
  'sans',
  'jamais',
  'aucun',
  'aucune',
  'not',
  'no',
  'never',
]);

const LAST = new Set(['dernier', 'derniere', 'last']);

// Below three letters a prefix matches too much ("v" or "vo" could start anything).
const MIN_PREFIX = 3;

function words(text: string): string[] {
  // "nº3" and "no3" arrive as one word; the number is what matters.
  return tokenize(normalizeAnswer(text)).map((w) => /^(?:n|no|num|numero)(\d+)$/.exec(w)?.[1] ?? w);
}

/**
 * With lettered options a lone "c" or "l" is an answer; it is only the elided "c'" of "c'est"
 * or "l'" of "l'option" when a word follows it.
 */
function isFiller(token: string, next: string | undefined, opts: ChoiceOptions): boolean {
  if (!POSITION_FILLERS.has(token)) return false;
  if (!opts.letters || token.length > 1) return true;
  return next !== undefined && next.length > 1;
}

/**
 * 1-based position named by the answer: digits, ordinal, number in words, "dernier", or a letter
 * when options are lettered. Undefined when the answer is not a position at all.
 */
function positionOf(tokens: string[], count: number, opts: ChoiceOptions = {}): number | undefined {
  const meaningful = tokens.filter((t, i) => !isFiller(t, tokens[i + 1], opts));
  // A lone "n" or "l" is a letter, not the rest of "n°" or "l'".
  const rest = meaningful.length > 0 ? meaningful : tokens;
  if (rest.length === 0) return undefined;
  const text = rest.join(' ');
  if (/^\d+$/.test(text)) return Number(text);
  if (LAST.has(text)) return count;
  if (opts.letters && /^[a-z]$/.test(text)) return text.charCodeAt(0) - 96;
  const ordinal = parseOrdinal(text, opts.lang);
  if (ordinal !== undefined) return ordinal;
  const number = parseNumberWords(text, opts.lang);
  return number !== undefined && Number.isInteger(number) && number > 0 ? number : undefined;
}

function phrasesOf(option: ChoiceOption): string[][] {
  return [option.label, ...(option.keywords ?? [])].map(words).filter((p) => p.length > 0);
}

function indexOfSequence(haystack: string[], needle: string[], lastIsPrefix = false): number {
  for (let start = 0; start + needle.length <= haystack.length; start++) {
    const fits = needle.every((word, i) => {
      const other = haystack[start + i] as string;
      const isLast = i === needle.length - 1;
      return (
        sameWord(other, word) ||
        (lastIsPrefix && isLast && word.length >= MIN_PREFIX && other.startsWith(word))
      );
    });
    if (fits) return start;
  }
  return -1;
}

/** The answer is the option's wording, or part of it: "voiture" for "En voiture", "voit". */
function answerWithinPhrase(answer: string[], phrase: string[]): boolean {
  if (answer.every((w) => STOPWORDS.has(w))) return false;
  return indexOfSequence(phrase, answer, true) !== -1;
}

/** The option's wording sits in a longer answer: "je viendrai en voiture". */
function phraseWithinAnswer(answer: string[], phrase: string[]): boolean {
  if (phrase.every((w) => STOPWORDS.has(w))) return false;
  const start = indexOfSequence(answer, phrase);
  if (start === -1) return false;
  const outside = [...answer.slice(0, start), ...answer.slice(start + phrase.length)];
  return !outside.some((w) => NEGATIONS.has(w));
}

/** The answer shares a distinctive word with the option: "ma voiture" for "Voiture personnelle". */
function sharesWord(answer: string[], phrase: string[]): boolean {
  if (answer.some((w) => NEGATIONS.has(w))) return false;
  return answer.some(
    (w) => w.length >= MIN_PREFIX && !STOPWORDS.has(w) && phrase.some((p) => sameWord(w, p)),
  );
}

type Rule = (answer: string[], phrase: string[]) => boolean;

// From strictest to loosest; the first rule that matches anything decides, and it must match
// exactly one option, otherwise the answer is unclear rather than guessed.
const TEXT_RULES: Rule[] = [answerWithinPhrase, phraseWithinAnswer, sharesWord];

// Singular and plural are the same answer: "transports" for "transport en commun".
function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return (
    short.length >= MIN_PREFIX &&
    long.length === short.length + 1 &&
    /[sx]$/.test(long) &&
    long.startsWith(short)
  );
}

function sameWords(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((w, i) => sameWord(w, b[i] as string));
}

function single<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}

/** Options whose label or a keyword is exactly the answer. */
function exactMatches(answer: string[], options: ChoiceOption[]): ChoiceOption[] {
  return options.filter((o) => phrasesOf(o).some((p) => sameWords(p, answer)));
}

function optionsNaming(answer: string[], options: ChoiceOption[]): ChoiceOption[] {
  const [word] = answer;
  if (answer.length !== 1 || word === undefined || STOPWORDS.has(word)) return [];
  return options.filter((o) => phrasesOf(o).some((p) => p.includes(word)));
}

function choiceFromTokens(
  answer: string[],
  options: ChoiceOption[],
  opts: ChoiceOptions,
): string | undefined {
  if (answer.length === 0) return undefined;
  const exact = exactMatches(answer, options);
  if (exact.length > 1) return undefined;
  const position = positionOf(answer, options.length, opts);
  const byPosition = position !== undefined && position >= 1 ? options[position - 1] : undefined;
  if (byPosition) {
    // With labels such as "0", "1", "2 ou plus" or "Lundi 2 mars", a "2" could be the position
    // or the wording: only accept it when both readings agree.
    const named = exact.length > 0 ? exact : optionsNaming(answer, options);
    return named.every((o) => o === byPosition) ? byPosition.id : undefined;
  }
  if (exact[0]) return exact[0].id;
  for (const rule of TEXT_RULES) {
    const matched = options.filter((o) => phrasesOf(o).some((p) => rule(answer, p)));
    if (matched.length > 0) return single(matched)?.id;
  }
  return undefined;
}

/**
 * Single choice among options shown numbered 1..n. Returns the option id, or undefined when
 * nothing or more than one option matches.
 */
export function parseChoice(
  input: string,
  options: ChoiceOption[],
  opts: ChoiceOptions = {},
): string | undefined {
  return choiceFromTokens(words(input), options, opts);
}

const ALL = new Set(['tous', 'toutes', 'tout', 'all', 'both']);

function allOf(answer: string[], options: ChoiceOption[], opts: ChoiceOptions): boolean {
  const text = answer.join(' ');
  if (ALL.has(text)) return true;
  // "les deux" or "tous les 3" only mean everything when there are exactly that many options.
  const match = /^(?:tous |toutes |all )?(?:les |the )(.+)$/.exec(text);
  if (!match?.[1]) return false;
  const count = /^\d+$/.test(match[1]) ? Number(match[1]) : parseNumberWords(match[1], opts.lang);
  return count === options.length;
}

function range(part: string): [number, number] | undefined {
  const match =
    /^(\d+) ?[-\u2013\u2014] ?(\d+)$/.exec(part) ??
    /^(?:de |du |from )?(\d+) (?:a|au|to) (\d+)$/.exec(part);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2])];
}

/**
 * Multiple choice: "1 3", "1,3", "1 et 3", "1-3" (a range: 1, 2 and 3), labels separated by
 * commas or "et". Returns unique ids in option order, or undefined when any part is unclear or
 * nothing matched.
 */
export function parseChoices(
  input: string,
  options: ChoiceOption[],
  opts: ChoiceOptions = {},
): string[] | undefined {
  const text = normalizeAnswer(input);
  const whole = words(text);
  if (whole.length === 0) return undefined;
  // A label may itself contain "et" or a comma ("Pain et chocolat"): the whole answer first.
  const exact = exactMatches(whole, options);
  if (exact.length === 1 && exact[0]) return [exact[0].id];
  if (exact.length === 0 && allOf(whole, options, opts)) return options.map((o) => o.id);

  const separators = isEnglish(opts.lang) ? /[,;/+&]|\bet\b|\band\b/ : /[,;/+&]|\bet\b/;
  const parts = text
    .split(separators)
    .map((p) => p.trim().replace(/\s+/g, ' '))
    .filter((p) => tokenize(p).length > 0);
  const chosen = new Set<string>();
  for (const part of parts) {
    const ids = idsOfPart(part, options, opts);
    if (!ids) return undefined;
    for (const id of ids) chosen.add(id);
  }
  if (chosen.size === 0) return undefined;
  return options.filter((o) => chosen.has(o.id)).map((o) => o.id);
}

function idsOfPart(
  part: string,
  options: ChoiceOption[],
  opts: ChoiceOptions,
): string[] | undefined {
  const bounds = range(part);
  if (bounds) {
    const [from, to] = bounds;
    if (from < 1 || to > options.length || from > to) return undefined;
    return options.slice(from - 1, to).map((o) => o.id);
  }
  const tokens = words(part);
  const one = choiceFromTokens(tokens, options, opts);
  if (one !== undefined) return [one];
  // "1 3" or "a c": several answers separated by spaces only.
  const pieces = tokens.filter((t, i) => !isFiller(t, tokens[i + 1], opts));
  if (pieces.length < 2) return undefined;
  const ids: string[] = [];
  for (const piece of pieces) {
    const id = choiceFromTokens([piece], options, opts);
    if (id === undefined) return undefined;
    ids.push(id);
  }
  return ids;
}
