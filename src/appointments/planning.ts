// Reminder points as fires relative to the appointment (RapidPro's campaign events,
// rdv-insertion's J+3 and J-2): each point gives a due time; a point that would come
// after the start, or is already past, is not planned; two points on the same local day
// make one message (the first of the policy wins). Pure: time is passed in.
import { DAY_MS, localDay, shiftLocal } from './dates.js';
import type { ReminderPoint } from './settings.js';

export interface PlannedPoint {
  point: ReminderPoint;
  dueAt: Date;
}

export interface PlanInput {
  points: ReminderPoint[];
  invitedAt: Date;
  /** The session; none while the person has not chosen one. */
  startsAt?: Date;
  now: Date;
  timeZone: string;
  /** Which points: the whole policy, or only those anchored on the appointment. */
  anchors: 'all' | 'invitation' | 'appointment';
  /** Points not to plan (already done). */
  skip?: string[];
}

export function dueAt(point: ReminderPoint, input: PlanInput): Date | undefined {
  if (point.anchor === 'invitation') {
    if (point.days === 0 && !point.at) return input.invitedAt;
    return shiftLocal(input.invitedAt, point.days, point.at, input.timeZone);
  }
  if (!input.startsAt) return undefined;
  return shiftLocal(input.startsAt, point.days, point.at, input.timeZone);
}

/** Whether a point still makes sense at `at` for a session starting at `startsAt`. */
export function pointStillUseful(
  point: ReminderPoint,
  at: Date,
  startsAt: Date | undefined,
): boolean {
  if (!startsAt) return true;
  if (at >= startsAt) return false;
  return startsAt.getTime() - at.getTime() > point.minDaysBefore * DAY_MS;
}

export function planPoints(input: PlanInput): PlannedPoint[] {
  const out: PlannedPoint[] = [];
  const days = new Set<string>();
  for (const point of input.points) {
    if (input.skip?.includes(point.name)) continue;
    if (input.anchors !== 'all' && point.anchor !== input.anchors) continue;
    const at = dueAt(point, input);
    if (!at) continue;
    // "At once" may be a moment ago; anything else in the past is not sent late.
    const immediate = point.anchor === 'invitation' && point.days === 0 && !point.at;
    if (!immediate && at < input.now) continue;
    if (!pointStillUseful(point, at, input.startsAt)) continue;
    const day = localDay(at, input.timeZone);
    if (days.has(day)) continue;
    days.add(day);
    out.push({ point, dueAt: at });
  }
  return out;
}
