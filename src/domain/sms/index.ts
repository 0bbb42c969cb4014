import { countSegments, type SegmentCount } from './segments.js';
import { transliterateToGsm7 } from './transliterate.js';

export { isGsm7 } from './gsm7.js';
export { countSegments, type SegmentCount, type SmsEncoding } from './segments.js';
export { transliterateToGsm7 } from './transliterate.js';

/**
 * Prepares a text under an organisation's policy: 'keep' sends it as written (UCS-2 when needed,
 * fewer characters per SMS), 'transliterate' trades accents for cheaper GSM-7 messages.
 */
export function prepareSms(
  text: string,
  policy: 'keep' | 'transliterate',
): { text: string; segments: SegmentCount } {
  const prepared = policy === 'transliterate' ? transliterateToGsm7(text) : text;
  return { text: prepared, segments: countSegments(prepared) };
}
