import { gsm7Septets, isGsm7 } from './gsm7.js';

// Explicit replacements first: French typography that NFD cannot reduce, and accented capitals
// whose closest GSM-7 form is plain (À -> A, although à itself is GSM-7).
const REPLACEMENTS = new Map<string, string>([
  ['ç', 'c'],
  ['œ', 'oe'],
  ['Œ', 'OE'],
  ['À', 'A'],
  ['Â', 'A'],
  ['È', 'E'],
  ['Ê', 'E'],
  ['Ë', 'E'],
  ['Î', 'I'],
  ['Ï', 'I'],
  ['Ô', 'O'],
  ['Û', 'U'],
  ['Ù', 'U'],
  ['’', "'"],
  ['‘', "'"],
  ['‚', "'"],
  ['‛', "'"],
  ['′', "'"],
  ['ʼ', "'"],
  ['´', "'"],
  ['`', "'"],
  ['‹', "'"],
  ['›', "'"],
  ['“', '"'],
  ['”', '"'],
  ['«', '"'],
  ['»', '"'],
  ['„', '"'],
  ['‟', '"'],
  ['″', '"'],
  ['…', '...'],
  ['–', '-'],
  ['—', '-'],
  ['‐', '-'],
  ['‑', '-'],
  ['‒', '-'],
  ['−', '-'],
  ['•', '-'],
  ['·', '.'],
  // "n°", "2°C": a degree sign reads best as a small o.
  ['°', 'o'],
  ['\t', ' '],
]);

// Invisible characters: a "?" in their place would be noise the reader cannot explain.
// Emoji skin tones too: "👍🏽" becomes one "?" rather than two.
const INVISIBLE = /^(?:[\u00AD\u200B-\u200F\u2060\uFEFF]|\p{Emoji_Modifier})$/u;
// Every Unicode space (NBSP, NNBSP before "?" and ":", thin spaces) becomes a plain space.
const SPACE = /^[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]$/u;

function replaceChar(char: string): string {
  if (gsm7Septets(char) !== undefined) return char;
  const known = REPLACEMENTS.get(char);
  if (known !== undefined) return known;
  if (SPACE.test(char)) return ' ';
  if (INVISIBLE.test(char)) return '';
  // Accented letters outside GSM-7 (ê, â, ã, Ÿ...) and compatibility forms (ﬁ, ², ｅ) reduce to
  // their base letters once decomposed and stripped of combining marks.
  const reduced = char.normalize('NFKD').replace(/\p{M}/gu, '');
  // A lone mark (emoji variation selector, accent left over after an unknown letter) has
  // nothing to show.
  if (reduced === '') return '';
  if (reduced !== char && isGsm7(reduced)) return reduced;
  return '?';
}

/**
 * Replaces characters outside GSM-7 with the closest GSM-7 text (ç -> c, ê -> e, œ -> oe,
 * ’ -> ', « » -> ", NBSP -> space, … -> ..., – -> -), keeping letters GSM-7 has (é è ù à
 * É Ç...), and "?" as a last resort.
 */
export function transliterateToGsm7(text: string): string {
  let out = '';
  // Composing first keeps "e" + combining acute as the GSM-7 "é" instead of "e".
  for (const char of text.normalize('NFC')) out += replaceChar(char);
  return out;
}
