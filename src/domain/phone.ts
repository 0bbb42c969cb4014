// Phone numbers for SMS: E.164, read with the organisation's region, mobiles only.
// A national number means different things by region: 0692 12 34 56 is a Réunion mobile
// (+262), not a number of metropolitan France (+33 692... does not exist). When a number
// is not valid in the organisation's region, the French overseas regions are tried in turn
// (numbers move with people), as RDV Service Public does.
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** Regions whose numbers French SMS contracts reach: France and its overseas. */
export const FRENCH_REGIONS: readonly CountryCode[] = [
  'FR',
  'RE',
  'YT',
  'GP',
  'MQ',
  'GF',
  'PM',
  'BL',
  'MF',
];

export type PhoneRejection = 'empty' | 'invalid' | 'landline' | 'not_mobile' | 'foreign';

export type PhoneResult =
  | { ok: true; e164: string; region: string }
  | { ok: false; reason: PhoneRejection; message: string; e164?: string };

const MESSAGES: Record<PhoneRejection, string> = {
  empty: 'no phone number',
  invalid: 'not a valid phone number',
  landline: 'a landline: SMS go to mobiles only',
  not_mobile: 'not a mobile number (special or shared-cost number): SMS go to mobiles only',
  foreign: 'not a French number (France and overseas only)',
};

function reject(reason: PhoneRejection, e164?: string): PhoneResult {
  return { ok: false, reason, message: MESSAGES[reason], ...(e164 ? { e164 } : {}) };
}

export interface NormaliseOptions {
  /** Accept numbers outside France and its overseas regions (default false). */
  allowForeign?: boolean;
}

/**
 * A raw number as typed in an import or a form, read with the organisation's default
 * region ("FR", "RE"...), to E.164 when it is a mobile that can receive SMS; otherwise the
 * reason, for the import report.
 */
export function normalisePhone(
  raw: string | null | undefined,
  region: string | null | undefined = 'FR',
  options: NormaliseOptions = {},
): PhoneResult {
  // "+33 (0)6..." is how many people write it: the (0) is the national prefix, not a digit.
  const text = (raw ?? '')
    .replace(/\(0\)/g, '')
    .replace(/[\s.\-()/]/g, '')
    .replace(/^00/, '+');
  if (!text) return reject('empty');
  const home = (region?.toUpperCase() || 'FR') as CountryCode;
  let parsed = parsePhoneNumberFromString(text, home);
  if (parsed && !parsed.isValid() && !text.startsWith('+')) {
    // A national number that does not exist at home: perhaps it belongs overseas.
    for (const other of FRENCH_REGIONS) {
      if (other === home) continue;
      const candidate = parsePhoneNumberFromString(text, other);
      if (candidate?.isValid()) {
        parsed = candidate;
        break;
      }
    }
  }
  if (!parsed?.isValid()) return reject('invalid', parsed?.number);
  const country = parsed.country ?? home;
  if (!options.allowForeign && !FRENCH_REGIONS.includes(country)) {
    return reject('foreign', parsed.number);
  }
  const type = parsed.getType();
  if (type === 'FIXED_LINE') return reject('landline', parsed.number);
  if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') {
    return reject('not_mobile', parsed.number);
  }
  return { ok: true, e164: parsed.number, region: country };
}

/**
 * At send time: an address known not to take SMS (a landline, a special number). Numbers
 * the metadata does not know are let through: the provider will say.
 */
const refusals = new Map<string, PhoneRejection | undefined>();

export function smsRefusal(e164: string): PhoneRejection | undefined {
  // Parsing with the full metadata costs; the same numbers come back again and again.
  if (refusals.has(e164)) return refusals.get(e164);
  const refusal = checkSms(e164);
  if (refusals.size >= 10_000) refusals.clear();
  refusals.set(e164, refusal);
  return refusal;
}

function checkSms(e164: string): PhoneRejection | undefined {
  if (!/^\+[1-9]\d{6,14}$/.test(e164)) return 'invalid';
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed?.isValid()) return undefined;
  const type = parsed.getType();
  if (type === 'FIXED_LINE') return 'landline';
  if (type && type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return 'not_mobile';
  return undefined;
}
