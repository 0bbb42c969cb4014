import { gsm7Septets, isGsm7 } from './gsm7.js';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  parts: number;
  /** septets for GSM-7 (extension chars count 2), UTF-16 code units for UCS-2 */
  units: number;
  /** units left in the last part */
  remaining: number;
}

// A concatenated part loses room to its User Data Header: 7 septets in GSM-7, 3 UCS-2 units.
const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

/**
 * Packs characters of the given widths into parts. A character never straddles two parts
 * (an escape and its extension char, or the two halves of a surrogate pair, travel together),
 * so a part may end a unit short and the count can exceed a plain division.
 */
function pack(widths: number[], encoding: SmsEncoding): SegmentCount {
  const { single, part } = LIMITS[encoding];
  const units = widths.reduce((sum, w) => sum + w, 0);
  if (units <= single) return { encoding, parts: 1, units, remaining: single - units };
  let parts = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > part) {
      parts += 1;
      used = 0;
    }
    used += width;
  }
  return { encoding, parts, units, remaining: part - used };
}

/**
 * Exact count: GSM-7 160 septets alone, 153 per concatenated part, extension chars count 2;
 * UCS-2 70 alone, 67 per part, in UTF-16 code units. Empty text is 1 part.
 */
export function countSegments(text: string): SegmentCount {
  const chars = [...text];
  if (isGsm7(text)) {
    return pack(
      chars.map((c) => gsm7Septets(c) ?? 1),
      'GSM-7',
    );
  }
  return pack(
    chars.map((c) => c.length),
    'UCS-2',
  );
}
