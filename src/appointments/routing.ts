// Which open case a reply is about. A person may have several (a series of rendez-vous, a
// RIO and an atelier): the reply goes to the case whose question was sent most recently;
// among cases asked at the same instant (one transaction may ask several), to the one
// whose session comes soonest, upcoming sessions before passed ones, then by id. Never
// the database's arbitrary order. Pure: the caller reads the cases and their sessions.

export interface AskedCase {
  id: string;
  /** When its last question was sent. */
  askedAt: Date;
  /**
   * The session it is about: the one booked, or the soonest of the sessions offered; none
   * when unknown.
   */
  startsAt?: Date | null;
}

/** Sooner upcoming sessions first, then passed sessions (latest first), then no session. */
function bySession(now: Date) {
  const rank = (c: AskedCase) => (!c.startsAt ? 2 : c.startsAt.getTime() > now.getTime() ? 0 : 1);
  return (a: AskedCase, b: AskedCase): number => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return ra - rb;
    if (ra === 0) return (a.startsAt as Date).getTime() - (b.startsAt as Date).getTime();
    if (ra === 1) return (b.startsAt as Date).getTime() - (a.startsAt as Date).getTime();
    return 0;
  };
}

/** The case a reply at `now` goes to, or undefined with no case. */
export function replyTarget<T extends AskedCase>(cases: T[], now: Date): T | undefined {
  const session = bySession(now);
  return [...cases].sort(
    (a, b) =>
      b.askedAt.getTime() - a.askedAt.getTime() ||
      session(a, b) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  )[0];
}
