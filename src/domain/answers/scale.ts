import type { Lang } from './normalize.js';
import { normalizeAnswer } from './normalize.js';
import { parseNumber } from './numbers-fr.js';

// Ratings are often sent as a row of stars from the emoji keyboard.
const STARS = /^[\u2B50\u2605]+$/u;

/**
 * Integer in [min, max], from digits or words; also accepts "4/5" or "4 sur 5" when the
 * denominator equals max. Undefined otherwise.
 */
export function parseScale(
  input: string,
  min: number,
  max: number,
  opts: { lang?: Lang } = {},
): number | undefined {
  const text = normalizeAnswer(input);
  const compact = text.replace(/\s/g, '');
  let value: number | undefined;
  if (STARS.test(compact)) {
    value = [...compact].length;
  } else {
    const fraction = /^(.+?) ?(?:\/|sur|out of) ?(.+)$/.exec(text);
    if (fraction?.[1] && fraction[2]) {
      // "8/10" on a 1-5 scale is not a 5-point answer; converting it would be a guess.
      if (parseNumber(fraction[2], opts) !== max) return undefined;
      value = parseNumber(fraction[1], opts);
    } else {
      value = parseNumber(text, opts);
    }
  }
  if (value === undefined || !Number.isInteger(value) || value < min || value > max) {
    return undefined;
  }
  return value;
}
