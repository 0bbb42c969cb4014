// Quiet hours: when a non-urgent message may reach a person's phone. From 08:00 to 20:00
// local time, Monday to Saturday, never on a public holiday of the organisation's region
// (the French SMS code of practice for campaigns, which we apply to every message that
// is not urgent and not an answer to what the person just wrote). Time is passed in.
import { type Day, holidayOn } from './holidays.js';

export interface QuietHoursPolicy {
  /** IANA zone of the organisation: Europe/Paris, Indian/Reunion, America/Cayenne... */
  timeZone?: string;
  /** Organisation.holidayRegion: "alsace-moselle", "reunion"... */
  holidayRegion?: string | null;
  /** First allowed minute of the day, in minutes after midnight (default 08:00). */
  startMinute?: number;
  /** First minute no longer allowed (default 20:00). */
  endMinute?: number;
}

interface LocalTime {
  day: Day;
  year: number;
  month: number;
  date: number;
  /** 0 = Sunday. */
  weekday: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock parts of an instant in a zone. */
export function localTime(at: Date, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const year = parts.year as number;
  const month = parts.month as number;
  const date = parts.day as number;
  const weekday = new Date(Date.UTC(year, month - 1, date)).getUTCDay();
  return {
    day: `${year}-${String(month).padStart(2, '0')}-${String(date).padStart(2, '0')}`,
    year,
    month,
    date,
    weekday,
    minute: (parts.hour as number) * 60 + (parts.minute as number),
  };
}

/** The instant a wall-clock time of a zone designates (08:00 is never in a DST gap). */
export function zonedInstant(
  year: number,
  month: number,
  date: number,
  minute: number,
  timeZone: string,
): Date {
  const wall = Date.UTC(year, month - 1, date, 0, minute);
  let guess = wall;
  // Two rounds settle the zone offset, also across a DST change.
  for (let i = 0; i < 2; i++) {
    const seen = localTime(new Date(guess), timeZone);
    const seenWall = Date.UTC(seen.year, seen.month - 1, seen.date, 0, seen.minute);
    guess += wall - seenWall;
  }
  return new Date(guess);
}

export type QuietReason = 'night' | 'sunday' | 'holiday';

/** Why `at` is inside quiet hours, or undefined when a message may go. */
export function quietReason(at: Date, policy: QuietHoursPolicy = {}): QuietReason | undefined {
  const local = localTime(at, policy.timeZone ?? 'Europe/Paris');
  if (local.weekday === 0) return 'sunday';
  if (holidayOn(local.day, policy.holidayRegion)) return 'holiday';
  const start = policy.startMinute ?? 8 * 60;
  const end = policy.endMinute ?? 20 * 60;
  if (local.minute < start || local.minute >= end) return 'night';
  return undefined;
}

/** `at` itself when a message may go then, otherwise the next allowed moment. */
export function nextAllowedTime(at: Date, policy: QuietHoursPolicy = {}): Date {
  if (!quietReason(at, policy)) return at;
  const timeZone = policy.timeZone ?? 'Europe/Paris';
  const start = policy.startMinute ?? 8 * 60;
  const local = localTime(at, timeZone);
  // Today's opening when it is still ahead, otherwise the following days' (a year of
  // Sundays and holidays in a row does not exist; 14 days is plenty).
  for (let offset = local.minute < start ? 0 : 1; offset < 15; offset++) {
    const d = new Date(Date.UTC(local.year, local.month - 1, local.date + offset));
    const opening = zonedInstant(
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      start,
      timeZone,
    );
    if (!quietReason(opening, policy)) return opening;
  }
  throw new Error('no allowed sending time in the next two weeks');
}
