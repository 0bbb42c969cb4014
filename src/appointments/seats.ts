// Seats of collective sessions. A seat is held by every participation that still expects
// the person (invited by convocation, confirmed, wants a call) and by those recorded at
// the session. Taking one locks the session row first (SELECT ... FOR UPDATE), so people
// answering "A" at the same moment are served one after the other and the last seat goes
// once: on PostgreSQL each statement of a READ COMMITTED transaction sees what the
// previous holder of the lock committed.
import type { Db } from '../db/types.js';
import type { AppointmentKind, ParticipationState, Prisma } from '../generated/prisma/client.js';

type Tx = Prisma.TransactionClient;

export const SEAT_STATES: ParticipationState[] = [
  'invited',
  'confirmed',
  'wants_call',
  'present',
  'absent',
  'excused',
];

/** States in which a participation still expects the person (reminders, replies). */
export const ACTIVE_STATES: ParticipationState[] = ['invited', 'confirmed', 'wants_call'];

export type SeatOutcome = 'ok' | 'full' | 'unavailable';

/**
 * Individual rendez-vous are one person's (a référent and that person): never a seat to
 * offer or take by choice, whatever their capacity says (null, as imported).
 */
export const NOT_OFFERED: AppointmentKind = 'individual';

/** Locks the session and says whether one more seat can be taken in this transaction. */
export async function lockSeat(tx: Tx, appointmentId: string, now: Date): Promise<SeatOutcome> {
  const rows = await tx.$queryRaw<
    { capacity: number | null; status: string; startsAt: Date; kind: string }[]
  >`SELECT capacity, status::text AS status, "startsAt", kind::text AS kind FROM "Appointment" WHERE id = ${appointmentId}::uuid FOR UPDATE`;
  const row = rows[0];
  if (row?.status !== 'scheduled' || row.startsAt <= now) return 'unavailable';
  if (row.kind === NOT_OFFERED) return 'unavailable';
  if (row.capacity === null) return 'ok';
  const taken = await tx.participation.count({
    where: { appointmentId, state: { in: SEAT_STATES } },
  });
  return taken < row.capacity ? 'ok' : 'full';
}

export interface SessionQuery {
  organisationId: string;
  kind: AppointmentKind;
  /** The person's territory; null: sessions of any territory. */
  territoryId: string | null;
  after: Date;
  until: Date;
  exclude?: string[];
  limit: number;
}

/** Seats taken per session. */
export async function seatsTaken(db: Db, appointmentIds: string[]): Promise<Map<string, number>> {
  const taken = new Map<string, number>();
  if (!appointmentIds.length) return taken;
  const groups = await db.participation.groupBy({
    by: ['appointmentId'],
    where: { appointmentId: { in: appointmentIds }, state: { in: SEAT_STATES } },
    _count: { _all: true },
  });
  for (const g of groups) taken.set(g.appointmentId, g._count._all);
  return taken;
}

/**
 * The next sessions of a kind with a free seat, soonest first. A null capacity is an
 * open session (no limit); individual rendez-vous are never offered.
 */
export async function sessionsWithSeats(db: Db, q: SessionQuery) {
  if (q.kind === NOT_OFFERED) return [];
  const candidates = await db.appointment.findMany({
    where: {
      organisationId: q.organisationId,
      kind: q.kind,
      status: 'scheduled',
      startsAt: { gt: q.after, lte: q.until },
      ...(q.territoryId ? { territoryId: q.territoryId } : {}),
      ...(q.exclude?.length ? { id: { notIn: q.exclude } } : {}),
    },
    orderBy: [{ startsAt: 'asc' }, { id: 'asc' }],
    take: 50,
  });
  const taken = await seatsTaken(
    db,
    candidates.filter((c) => c.capacity !== null).map((c) => c.id),
  );
  return candidates
    .filter((c) => c.capacity === null || (taken.get(c.id) ?? 0) < c.capacity)
    .slice(0, q.limit);
}
