// A long SMS as the parts an SMSC takes (3GPP TS 23.040 concatenation): each part is one
// submit_sm whose short_message starts with a user data header naming the message (an
// 8-bit reference), the number of parts and this part's number; esm_class 0x40 says the
// header is there. The split is the one countSegments counts: 153 GSM-7 septets (an
// extension character and its escape never apart) or 67 UCS-2 units (a surrogate pair
// never apart) per part, so the parts sent are the parts stored and billed.
import { gsm7Septets } from '../../../domain/sms/gsm7.js';

const PART: Record<'GSM-7' | 'UCS-2', { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

/** The texts of the parts, or the whole text when it fits one SMS. */
export function splitSms(text: string, encoding: 'GSM-7' | 'UCS-2'): string[] {
  const { single, part } = PART[encoding];
  const chars = [...text];
  const width = (c: string) => (encoding === 'GSM-7' ? (gsm7Septets(c) ?? 1) : c.length);
  const units = chars.reduce((sum, c) => sum + width(c), 0);
  if (units <= single) return [text];
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const c of chars) {
    const w = width(c);
    if (used + w > part) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += c;
    used += w;
  }
  parts.push(current);
  return parts;
}

/** The user data header of part seq (1-based) of total, for the 8-bit reference ref. */
export function concatUdh(ref: number, total: number, seq: number): Buffer {
  // UDHL 5; IEI 0x00 (concatenated SMS, 8-bit reference), IEDL 3, ref, total, seq.
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);
}
