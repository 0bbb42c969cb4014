// Contact pressure: a person hears from us at most N times a week across every programme
// (default 3), so reminders that matter are not drowned in consultations and newsletters.
// Rules:
// - Only unsolicited messages count: urgent messages and answers to what the person just
//   wrote neither count nor wait; 'conversation' and 'system' messages do not count.
// - A "contact" is what the person experiences as one: every message of one context (a
//   run: its introduction and first question) on one local day counts once.
// - Priority rendez-vous > forum > consultation > newsletter: a message is only held back
//   by contacts of its own priority or higher, so three newsletters never keep a
//   rendez-vous reminder from going out, but three reminders hold a newsletter.
// - What is held back is deferred to the moment enough contacts leave the rolling week.
import { localTime } from './quiet-hours.js';

export type Purpose =
  | 'appointment'
  | 'forum'
  | 'consultation'
  | 'newsletter'
  | 'conversation'
  | 'system';

export const PRIORITY: Record<Purpose, number> = {
  appointment: 4,
  forum: 3,
  consultation: 2,
  newsletter: 1,
  conversation: 0,
  system: 0,
};

export interface PressurePolicy {
  /** Contacts a week (default 3). */
  limit?: number;
  windowMs?: number;
  timeZone?: string;
}

export const WEEK_MS = 7 * 86_400_000;

export interface PressureMessage {
  purpose: Purpose;
  urgent: boolean;
  /** Answers something the person just wrote. */
  reply: boolean;
}

/** Does this message count toward (and wait for) the weekly limit? */
export function underPressureLimit(m: PressureMessage): boolean {
  return !m.urgent && !m.reply && PRIORITY[m.purpose] > 0;
}

/** A message already let through for this person (sent, or being sent). */
export interface PastContact {
  at: Date;
  purpose: Purpose;
  /** The run, campaign or message it belongs to. */
  contextKey: string;
}

export type PressureDecision =
  | { allowed: true; counted: number }
  | { allowed: false; counted: number; retryAt: Date };

/** May a message of this purpose and context go to a person with this history, at `now`? */
export function pressureDecision(
  candidate: { purpose: Purpose; contextKey: string },
  history: PastContact[],
  now: Date,
  policy: PressurePolicy = {},
): PressureDecision {
  const limit = policy.limit ?? 3;
  const windowMs = policy.windowMs ?? WEEK_MS;
  const timeZone = policy.timeZone ?? 'Europe/Paris';
  const since = now.getTime() - windowMs;
  const priority = PRIORITY[candidate.purpose];
  const today = localTime(now, timeZone).day;
  // First moment of each contact within the window, by context and local day.
  const contacts = new Map<string, number>();
  for (const h of history) {
    const t = h.at.getTime();
    if (t <= since || t > now.getTime() || PRIORITY[h.purpose] < priority) continue;
    const key = `${h.contextKey}|${localTime(h.at, timeZone).day}`;
    const first = contacts.get(key);
    if (first === undefined || t < first) contacts.set(key, t);
  }
  const counted = contacts.size;
  // The same contact going on (the question after its introduction) is not a new one.
  if (contacts.has(`${candidate.contextKey}|${today}`)) return { allowed: true, counted };
  if (counted < limit) return { allowed: true, counted };
  // Wait until enough contacts leave the window to make room for one more.
  const times = [...contacts.values()].sort((a, b) => a - b);
  const freeing = times[counted - limit] as number;
  return { allowed: false, counted, retryAt: new Date(freeing + windowMs + 1) };
}
