export type Lang = string;

// Phones send curly quotes and apostrophes depending on the keyboard; one form keeps matching simple.
const TYPOGRAPHIC_QUOTES =
  /[\u2018\u2019\u201A\u201B\u2032\u02BC\u00B4\u0060\u201C\u201D\u201E\u201F\u00AB\u00BB\u2033\u2039\u203A]/g;
// Invisible characters that keyboards and copy-paste slip in; they would split or defeat matches.
const INVISIBLES = /[\u00AD\u200B\u200C\u2060\uFEFF]/g;
// A leading "-" before a digit is a sign, not punctuation, so "-2" must survive.
const LEADING_PUNCTUATION = /^(?:(?!-\d)[\s\p{P}])+/u;
const TRAILING_PUNCTUATION = /[\s\p{P}]+$/u;

/**
 * Lower case, accents removed (é->e, œ->oe, ç->c), typographic quotes/apostrophes to ',
 * collapse spaces, trim, strip surrounding punctuation like "!", ".", "?", "…".
 */
export function normalizeAnswer(input: string): string {
  return (
    input
      // Compatibility decomposition also turns "nº" into "no", "²" into "2" and full-width
      // digits into plain ones. Removing every combining mark then drops accents, emoji
      // variation selectors and the keycap mark, so "👍️" equals "👍" and "2️⃣" reads as "2".
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/œ/g, 'oe')
      .replace(/æ/g, 'ae')
      .replace(TYPOGRAPHIC_QUOTES, "'")
      .replace(INVISIBLES, '')
      .replace(/\s+/g, ' ')
      .replace(LEADING_PUNCTUATION, '')
      .replace(TRAILING_PUNCTUATION, '')
  );
}

/** Words and emoji of an already normalized answer; punctuation only separates. */
export function tokenize(normalized: string): string[] {
  return normalized.match(/[\p{L}\p{N}]+|\p{Extended_Pictographic}/gu) ?? [];
}

/** i18next codes such as 'fr', 'fr-FR' or 'fr-x-falc' all mean French; French is the default. */
export function isEnglish(lang: Lang | undefined): boolean {
  return lang !== undefined && /^en\b/i.test(lang);
}
