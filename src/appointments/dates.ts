// Dates as agents type them in their exports ("14/03/2026 09:30", "14/03/2026 9h30",
// "2026-03-14T09:30") read in the organisation's zone, and dates as people read them in a
// message ("mardi 17 mars à 9h30", "mar. 17/03 9h30").
import { localTime, zonedInstant } from '../domain/quiet-hours.js';

export const DAY_MS = 86_400_000;

export type DateParse = { ok: true; at: Date; hasTime: boolean } | { ok: false; reason: string };

function valid(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2200) return false;
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}

/**
 * A date with an optional time, as a local time of `timeZone`. ISO instants with an
 * offset are taken as they are.
 */
export function parseLocalDate(raw: string | undefined | null, timeZone: string): DateParse {
  const text = (raw ?? '').trim();
  if (!text) return { ok: false, reason: 'missing date' };
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const at = new Date(text);
    return Number.isNaN(at.getTime())
      ? { ok: false, reason: `not a date: "${text}"` }
      : { ok: true, at, hasTime: true };
  }
  const fr =
    /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T]+(?:à\s*)?(\d{1,2})(?:[:hH](\d{2})?)?(?::\d{2})?)?$/.exec(
      text,
    );
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?$/.exec(text);
  let y: number;
  let m: number;
  let d: number;
  let hh: string | undefined;
  let mm: string | undefined;
  if (fr) {
    d = Number(fr[1]);
    m = Number(fr[2]);
    y = Number(fr[3]);
    if (y < 100) y += 2000;
    hh = fr[4];
    mm = fr[5];
  } else if (iso) {
    y = Number(iso[1]);
    m = Number(iso[2]);
    d = Number(iso[3]);
    hh = iso[4];
    mm = iso[5];
  } else {
    return { ok: false, reason: `not a date (expected DD/MM/YYYY HH:MM): "${text}"` };
  }
  if (!valid(y, m, d)) return { ok: false, reason: `no such date: "${text}"` };
  const hour = hh === undefined ? 0 : Number(hh);
  const minute = mm === undefined ? 0 : Number(mm);
  if (hour > 23 || minute > 59) return { ok: false, reason: `no such time: "${text}"` };
  return {
    ok: true,
    at: zonedInstant(y, m, d, hour * 60 + minute, timeZone),
    hasTime: hh !== undefined,
  };
}

/** The instant `days` local days after `at`'s day, at "HH:MM" (or at `at`'s own time). */
export function shiftLocal(
  at: Date,
  days: number,
  hhmm: string | undefined,
  timeZone: string,
): Date {
  const local = localTime(at, timeZone);
  const minute = hhmm ? Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)) : local.minute;
  const day = new Date(Date.UTC(local.year, local.month - 1, local.date + days));
  const base = zonedInstant(
    day.getUTCFullYear(),
    day.getUTCMonth() + 1,
    day.getUTCDate(),
    minute,
    timeZone,
  );
  // Without a time of day the anchor's seconds are kept ("at once" stays at once).
  return hhmm ? base : new Date(base.getTime() + (at.getTime() % 60_000));
}

export function localDay(at: Date, timeZone: string): string {
  return localTime(at, timeZone).day;
}

/** "2026-03" of an instant in a zone. */
export function localMonth(at: Date, timeZone: string): string {
  return localTime(at, timeZone).day.slice(0, 7);
}

const FR_DAYS = ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'];
const FR_MONTHS = [
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
];
const EN_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const EN_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function clock(minute: number, english: boolean): string {
  const h = Math.floor(minute / 60);
  const m = minute % 60;
  if (english) return `${h}:${String(m).padStart(2, '0')}`;
  return m ? `${h}h${String(m).padStart(2, '0')}` : `${h}h`;
}

/** "mardi 17 mars à 9h30" / "Tuesday 17 March at 9:30". */
export function formatWhen(at: Date, timeZone: string, lang: string): string {
  const l = localTime(at, timeZone);
  if (/^en\b/.test(lang)) {
    return `${EN_DAYS[l.weekday]} ${l.date} ${EN_MONTHS[l.month - 1]} at ${clock(l.minute, true)}`;
  }
  return `${FR_DAYS[l.weekday]} ${l.date} ${FR_MONTHS[l.month - 1]} à ${clock(l.minute, false)}`;
}

/** "mar. 17/03 9h30" / "Tue 17/03 9:30": the short form of a list of dates. */
export function formatShort(at: Date, timeZone: string, lang: string): string {
  const l = localTime(at, timeZone);
  const dm = `${String(l.date).padStart(2, '0')}/${String(l.month).padStart(2, '0')}`;
  if (/^en\b/.test(lang)) {
    return `${EN_DAYS[l.weekday]?.slice(0, 3)} ${dm} ${clock(l.minute, true)}`;
  }
  return `${FR_DAYS[l.weekday]?.slice(0, 3)}. ${dm} ${clock(l.minute, false)}`;
}

/** "jeu. 12/03" / "Thu 12/03": a day of a list, without its time. */
export function formatDay(at: Date, timeZone: string, lang: string): string {
  return formatShort(at, timeZone, lang).replace(/ \S+$/, '');
}

/** Years of age reached in the year of `at` (only the year of birth is kept). */
export function ageBandOf(
  person: { ageBand: 'under_30' | 'from_30' | null; birthYear: number | null },
  at: Date,
): 'under_30' | 'from_30' | null {
  if (!person.birthYear) return person.ageBand;
  return at.getUTCFullYear() - person.birthYear < 30 ? 'under_30' : 'from_30';
}
