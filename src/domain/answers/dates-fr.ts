import { isEnglish, type Lang, normalizeAnswer } from './normalize.js';
import { parseNumberWords, parseOrdinal } from './numbers-fr.js';

// Indexed like Date#getUTCDay.
const WEEKDAYS_FR = ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'];
const WEEKDAYS_EN = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const MONTHS_FR = new Map<string, number>([
  ['janvier', 1],
  ['janv', 1],
  ['jan', 1],
  ['fevrier', 2],
  ['fevr', 2],
  ['fev', 2],
  ['mars', 3],
  ['avril', 4],
  ['avr', 4],
  ['mai', 5],
  ['juin', 6],
  ['juillet', 7],
  ['juil', 7],
  ['aout', 8],
  ['septembre', 9],
  ['sept', 9],
  ['sep', 9],
  ['octobre', 10],
  ['oct', 10],
  ['novembre', 11],
  ['nov', 11],
  ['decembre', 12],
  ['dec', 12],
]);

const MONTHS_EN = new Map<string, number>([
  ['january', 1],
  ['jan', 1],
  ['february', 2],
  ['feb', 2],
  ['march', 3],
  ['mar', 3],
  ['april', 4],
  ['apr', 4],
  ['may', 5],
  ['june', 6],
  ['jun', 6],
  ['july', 7],
  ['jul', 7],
  ['august', 8],
  ['aug', 8],
  ['september', 9],
  ['sept', 9],
  ['sep', 9],
  ['october', 10],
  ['oct', 10],
  ['november', 11],
  ['nov', 11],
  ['december', 12],
  ['dec', 12],
]);

const RELATIVE_FR = new Map<string, number>([
  ['avant hier', -2],
  ['hier', -1],
  ['aujourd hui', 0],
  ['aujourdhui', 0],
  ['auj', 0],
  ['ajd', 0],
  ['demain', 1],
  ['apres demain', 2],
]);

const RELATIVE_EN = new Map<string, number>([
  ['day before yesterday', -2],
  ['yesterday', -1],
  ['today', 0],
  ['tomorrow', 1],
  ['day after tomorrow', 2],
]);

// Words around a date that do not change it: "le 12", "pour demain", "à lundi", "demain matin".
const LEADING_FILLERS = new Set(['le', 'ce', 'cette', 'pour', 'a', 'on', 'the', 'for', 'this']);
const TRAILING_FILLERS =
  /(?: (?:au |le |du |dans la |in the |at )?(?:matin|midi|apres midi|aprem|soir|matinee|soiree|morning|afternoon|evening|night|merci|svp|stp|please|thanks))+$/;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 for a calendar date; calendar arithmetic stays in UTC on purpose. */
function dayNumber(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

function isValid(year: number, month: number, day: number): boolean {
  const date = new Date(dayNumber(year, month, day) * MS_PER_DAY);
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

function format(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

function weekdayOf(days: number): number {
  return new Date(days * MS_PER_DAY).getUTCDay();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Today's calendar date where the beneficiary lives, whatever the server's time zone. */
function today(now: Date, timeZone: string): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value);
  return dayNumber(part('year'), part('month'), part('day'));
}

interface Parsed {
  day: number;
  month?: number;
  year?: number;
}

function expandYear(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const year = Number(text);
  return text.length === 2 ? 2000 + year : year;
}

function dayOfMonth(text: string, lang: Lang | undefined): number | undefined {
  const n = /^\d{1,2}$/.test(text)
    ? Number(text)
    : (parseOrdinal(text, lang) ?? parseNumberWords(text, lang));
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 31 ? n : undefined;
}

function numeric(text: string): Parsed | undefined {
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  if (iso) return { year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) };
  // Day first, as everywhere in France, whatever the language of the conversation.
  const dmy = /^(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?$/.exec(text);
  if (!dmy) return undefined;
  return { day: Number(dmy[1]), month: Number(dmy[3]), year: expandYear(dmy[4]) };
}

function withMonthName(text: string, lang: Lang | undefined): Parsed | undefined {
  const months = isEnglish(lang) ? new Map([...MONTHS_FR, ...MONTHS_EN]) : MONTHS_FR;
  const words = text
    .replace(/,/g, ' ')
    .split(' ')
    .filter((w) => w !== '' && w !== 'of');
  const at = words.findIndex((w) => months.has(w));
  if (at === -1) return undefined;
  const month = months.get(words[at] as string) as number;
  const before = words.slice(0, at);
  const after = words.slice(at + 1);
  // "12 mars 2026" everywhere; in English also "March 12th 2026".
  const [dayWords, yearWords] =
    before.length > 0
      ? [before, after]
      : isEnglish(lang)
        ? [after.slice(0, 1), after.slice(1)]
        : [[], []];
  const [yearText, ...extra] = yearWords;
  if (extra.length > 0 || (yearText !== undefined && !/^(\d{4}|\d{2})$/.test(yearText))) {
    return undefined;
  }
  const day = dayOfMonth(dayWords.join(' '), lang);
  if (day === undefined) return undefined;
  return { day, month, year: expandYear(yearText) };
}

/** Next date on or after `from` with that day (and month when given). */
function nextOccurrence(parsed: Parsed, from: number): number | undefined {
  const { day, month } = parsed;
  const start = new Date(from * MS_PER_DAY);
  const year = start.getUTCFullYear();
  if (month === undefined) {
    // "le 31": the next month that has a 31st.
    for (let i = 0; i < 12; i++) {
      const m = ((start.getUTCMonth() + i) % 12) + 1;
      const y = year + Math.floor((start.getUTCMonth() + i) / 12);
      if (isValid(y, m, day) && dayNumber(y, m, day) >= from) return dayNumber(y, m, day);
    }
    return undefined;
  }
  if (day > (DAYS_IN_MONTH[month - 1] ?? 0)) return undefined;
  // 29 February waits for the next leap year.
  for (let y = year; y <= year + 8; y++) {
    if (isValid(y, month, day) && dayNumber(y, month, day) >= from) return dayNumber(y, month, day);
  }
  return undefined;
}

function resolve(parsed: Parsed, from: number): number | undefined {
  const { day, month, year } = parsed;
  if (year === undefined || month === undefined) return nextOccurrence(parsed, from);
  return isValid(year, month, day) ? dayNumber(year, month, day) : undefined;
}

function inDays(text: string, lang: Lang | undefined): number | undefined {
  const fr = /^dans (.+) (jours?|semaines?)$/.exec(text);
  const en = isEnglish(lang) ? /^in (.+) (days?|weeks?)$/.exec(text) : null;
  const match = fr ?? en;
  if (!match?.[1] || !match[2]) return undefined;
  const count = /^\d+$/.test(match[1]) ? Number(match[1]) : parseNumberWords(match[1], lang);
  if (count === undefined || !Number.isInteger(count) || count < 1 || count > 400) return undefined;
  return /^(semaine|week)/.test(match[2]) ? count * 7 : count;
}

function stripFillers(text: string): { text: string; hadArticle: boolean } {
  const words = text.split(' ');
  let hadArticle = false;
  while (words.length > 1 && LEADING_FILLERS.has(words[0] as string)) {
    if (['le', 'the'].includes(words[0] as string)) hadArticle = true;
    words.shift();
  }
  return { text: words.join(' ').replace(TRAILING_FILLERS, ''), hadArticle };
}

/**
 * A calendar date as 'YYYY-MM-DD' in the given IANA time zone (default 'Europe/Paris'),
 * relative to `now`. Undefined when unclear or invalid ("31/02").
 */
export function parseDate(
  input: string,
  now: Date,
  opts: { lang?: Lang; timeZone?: string } = {},
): string | undefined {
  const { lang } = opts;
  const en = isEnglish(lang);
  const cleaned = normalizeAnswer(input)
    .replace(/'/g, ' ')
    // "apres-demain", "janv." and "12th," are the same words without the punctuation.
    .replace(/([a-z])-(?=[a-z])/g, '$1 ')
    .replace(/([a-z])\.(?= |$)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  if (cleaned === '') return undefined;
  const { text, hadArticle } = stripFillers(cleaned);
  const from = today(now, opts.timeZone ?? 'Europe/Paris');

  const relative = RELATIVE_FR.get(text) ?? (en ? RELATIVE_EN.get(text) : undefined);
  if (relative !== undefined) return format(from + relative);

  const offset = inDays(text, lang);
  if (offset !== undefined) return format(from + offset);

  const weekdays = en ? [WEEKDAYS_FR, WEEKDAYS_EN] : [WEEKDAYS_FR];
  let words = text.split(' ');
  let next = false;
  if (en && words[0] === 'next') {
    next = true;
    words = words.slice(1);
  }
  let weekday: number | undefined;
  for (const names of weekdays) {
    const index = names.indexOf(words[0] as string);
    if (index !== -1) weekday = index;
  }
  if (weekday !== undefined) {
    words = words.slice(1);
    if (words[0] === 'prochain' || words[0] === 'prochaine') {
      next = true;
      words = words.slice(1);
    }
    if (words.length === 0) {
      // "lundi" and "lundi prochain" both mean the first one after today.
      const ahead = (weekday - weekdayOf(from) + 7) % 7 || 7;
      return format(from + ahead);
    }
    if (next) return undefined;
    if (words[0] === 'le' || words[0] === 'the') words = words.slice(1);
  } else if (next) {
    return undefined;
  }

  const rest = words.join(' ');
  const dayOnly = hadArticle || weekday !== undefined ? dayOfMonth(rest, lang) : undefined;
  const parsed =
    numeric(rest) ??
    withMonthName(rest, lang) ??
    (dayOnly !== undefined ? { day: dayOnly } : undefined);
  const days = parsed ? resolve(parsed, from) : undefined;
  if (days === undefined) return undefined;
  // "mardi 13 mars" when the 13th is a Wednesday: ask again rather than pick one.
  if (weekday !== undefined && weekdayOf(days) !== weekday) return undefined;
  return format(days);
}
