// Whether each newly oriented person was informed of their rights and duties within the
// deadline (the quarter after orientation, 90 days by default). Read, never stored: the
// information counts as given when every message of the sequence went out (sent,
// delivered or read; a failed one does not count), when the person attended an
// information meeting (RIO) after orientation, or when an agent recorded it.
import type { Db } from '../db/types.js';
import { appointmentIdentity, CONTEXT_RIGHTS } from './service.js';
import type { OrganisationContext } from './settings.js';

export type RightsStatus = 'informed' | 'informed_late' | 'pending' | 'overdue';

export interface RightsCase {
  id: string;
  personId: string;
  ref: string | null;
  name: string;
  territoryId: string | null;
  ageBand: 'under_30' | 'from_30' | null;
  birthYear: number | null;
  orientedAt: Date;
  deadline: Date;
  informedAt: Date | null;
  informedBy: 'messages' | 'rio' | 'agent' | null;
  status: RightsStatus;
  /** Needs an agent: overdue, or pending with no channel, failed messages or little time left. */
  toFollowUp: boolean;
  reason: string | null;
}

const SENT = new Set(['sent', 'delivered', 'read']);
/** Pending cases this close to their deadline are listed for an agent. */
const WARN_MS = 30 * 86_400_000;

export async function rightsCases(
  db: Db,
  org: OrganisationContext,
  now: Date,
  filter: { orientedFrom?: Date; orientedTo?: Date } = {},
): Promise<RightsCase[]> {
  const records = await db.rightsInformation.findMany({
    where: {
      organisationId: org.id,
      orientedAt: {
        ...(filter.orientedFrom ? { gte: filter.orientedFrom } : {}),
        ...(filter.orientedTo ? { lt: filter.orientedTo } : {}),
      },
    },
    include: {
      person: {
        select: {
          id: true,
          externalRef: true,
          displayName: true,
          territoryId: true,
          ageBand: true,
          birthYear: true,
          identities: true,
        },
      },
    },
    orderBy: { orientedAt: 'asc' },
  });
  if (!records.length) return [];
  const ids = records.map((r) => r.id);
  const messages = await db.message.findMany({
    where: { contextType: CONTEXT_RIGHTS, contextId: { in: ids }, direction: 'outbound' },
    select: { contextId: true, status: true, sentAt: true, idempotencyKey: true },
  });
  const byRecord = new Map<string, typeof messages>();
  for (const m of messages) {
    const list = byRecord.get(m.contextId as string) ?? [];
    list.push(m);
    byRecord.set(m.contextId as string, list);
  }
  const rio = await db.participation.findMany({
    where: {
      personId: { in: records.map((r) => r.personId) },
      state: 'present',
      appointment: { kind: { in: ['rio', 'information'] } },
    },
    select: { personId: true, appointment: { select: { startsAt: true } } },
  });
  const steps = org.settings.rights.steps.length;
  return records.map((r) => {
    const sent = (byRecord.get(r.id) ?? []).filter((m) => SENT.has(m.status));
    const failed = (byRecord.get(r.id) ?? []).some((m) => m.status === 'failed');
    const candidates: { at: Date; by: RightsCase['informedBy'] }[] = [];
    if (r.informedAt) candidates.push({ at: r.informedAt, by: 'agent' });
    if (sent.length >= steps) {
      const last = Math.max(...sent.map((m) => (m.sentAt ?? now).getTime()));
      candidates.push({ at: new Date(last), by: 'messages' });
    }
    for (const p of rio) {
      if (p.personId === r.personId && p.appointment.startsAt >= r.orientedAt) {
        candidates.push({ at: p.appointment.startsAt, by: 'rio' });
      }
    }
    candidates.sort((a, b) => a.at.getTime() - b.at.getTime());
    const first = candidates[0];
    let status: RightsStatus;
    if (first) status = first.at <= r.deadline ? 'informed' : 'informed_late';
    else status = now > r.deadline ? 'overdue' : 'pending';
    let reason: string | null = null;
    if (status === 'overdue') reason = 'deadline passed';
    else if (status === 'pending') {
      if (!appointmentIdentity(r.person.identities)) reason = 'no channel to reach the person';
      else if (failed) reason = 'a message could not be delivered';
      else if (r.deadline.getTime() - now.getTime() < WARN_MS)
        reason = 'deadline in less than 30 days';
    }
    return {
      id: r.id,
      personId: r.personId,
      ref: r.person.externalRef,
      name: r.person.displayName,
      territoryId: r.person.territoryId,
      ageBand: r.person.ageBand,
      birthYear: r.person.birthYear,
      orientedAt: r.orientedAt,
      deadline: r.deadline,
      informedAt: first?.at ?? null,
      informedBy: first?.by ?? null,
      status,
      toFollowUp: reason !== null,
      reason,
    };
  });
}
