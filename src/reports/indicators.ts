// Indicators of an organisation's sessions and rendez-vous, per territory, month and age
// band (under 30 / 30 and over), with the roll-ups an agent or a steering committee reads:
// every territory, every month, every age band, and the whole organisation.
//
// The unit is the case (Invitation): one person asked to come to a session, whatever the
// rebookings. A case belongs to the month and territory of its session (the last one it
// was booked into; the invitation's date when none was chosen) and to the person's age
// band when invited.
//   invited       cases
//   confirmed     cases with a confirmed date (1/OUI, or a session chosen)
//   declined      cases where the person said they cannot come (2/NON)
//   present       cases with a presence recorded
//   absent        cases whose last session was recorded absent (and no presence)
//   excused       the same, excused
//   participation rate = present / invited, against the organisation's targets
//   no-show rate  absent / (present + absent), for invitations and for convocations
//   orientation → first RIO: days from orientation to the first RIO attended
// Messages are the appointment and rights-and-duties messages of the month (per channel: sent, SMS segments,
// failures); rights and duties are the people oriented that month and whether they were
// informed within the deadline.

import { ageBandOf, localMonth } from '../appointments/dates.js';
import { type RightsCase, rightsCases } from '../appointments/rights.js';
import type { OrganisationContext, Target } from '../appointments/settings.js';
import type { Db } from '../db/types.js';
import type { AppointmentKind } from '../generated/prisma/client.js';

export interface IndicatorQuery {
  /** First month, "YYYY-MM" (inclusive). */
  from: string;
  /** Last month, "YYYY-MM" (inclusive). */
  to: string;
  kind?: AppointmentKind;
}

export interface ChannelCount {
  sent: number;
  failed: number;
  segments: number;
}

export interface IndicatorGroup {
  territory: string;
  month: string;
  ageBand: string;
  invited: number;
  confirmed: number;
  declined: number;
  present: number;
  absent: number;
  excused: number;
  participationRate: number | null;
  targets: { name: string; rate: number; met: boolean }[];
  noShow: {
    invitation: { attended: number; absent: number; rate: number | null };
    convocation: { attended: number; absent: number; rate: number | null };
  };
  orientationToFirstRio: { people: number; meanDays: number | null; medianDays: number | null };
  messages: Record<string, ChannelCount>;
  deliveryFailures: number;
  rights: {
    oriented: number;
    informedInTime: number;
    informedLate: number;
    pending: number;
    overdue: number;
    rate: number | null;
  };
}

export interface IndicatorReport {
  organisation: { id: string; name: string };
  from: string;
  to: string;
  kind: AppointmentKind | null;
  generatedAt: string;
  groups: IndicatorGroup[];
}

const ALL = '*';

interface Acc {
  invited: number;
  confirmed: number;
  declined: number;
  present: number;
  absent: number;
  excused: number;
  modes: Record<'invitation' | 'convocation', { attended: number; absent: number }>;
  delays: number[];
  messages: Record<string, ChannelCount>;
  failures: number;
  rights: { oriented: number; inTime: number; late: number; pending: number; overdue: number };
}

function emptyAcc(): Acc {
  return {
    invited: 0,
    confirmed: 0,
    declined: 0,
    present: 0,
    absent: 0,
    excused: 0,
    modes: { invitation: { attended: 0, absent: 0 }, convocation: { attended: 0, absent: 0 } },
    delays: [],
    messages: {},
    failures: 0,
    rights: { oriented: 0, inTime: 0, late: 0, pending: 0, overdue: 0 },
  };
}

function monthStart(month: string): Date {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1, 1));
}

const rate = (num: number, den: number) => (den ? Math.round((num / den) * 10_000) / 10_000 : null);

function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function indicators(
  db: Db,
  org: OrganisationContext,
  q: IndicatorQuery,
  now: Date,
): Promise<IndicatorReport> {
  const tz = org.timezone;
  const inRange = (month: string) => month >= q.from && month <= q.to;
  // A little before and after in UTC: months are the organisation's local months.
  const lower = new Date(monthStart(q.from).getTime() - 2 * 86_400_000);
  const [ty, tm] = q.to.split('-').map(Number) as [number, number];
  const upper = new Date(Date.UTC(ty, tm, 1) + 2 * 86_400_000);
  const territories = new Map(
    (await db.territory.findMany({ where: { organisationId: org.id } })).map((t) => [t.id, t.code]),
  );
  const territoryOf = (id: string | null) => (id ? (territories.get(id) ?? 'none') : 'none');
  const groups = new Map<string, Acc>();
  const accs = (territory: string, month: string, ageBand: string): Acc[] =>
    [
      [territory, month, ageBand],
      [territory, ALL, ALL],
      [ALL, month, ALL],
      [ALL, ALL, ageBand],
      [ALL, month, ageBand],
      [ALL, ALL, ALL],
    ].map((k) => {
      const key = k.join('|');
      let acc = groups.get(key);
      if (!acc) {
        acc = emptyAcc();
        groups.set(key, acc);
      }
      return acc;
    });

  // Cases, with every participation (rebookings included).
  const cases = await db.invitation.findMany({
    where: {
      organisationId: org.id,
      invitedAt: { lt: upper, gte: new Date(lower.getTime() - 365 * 86_400_000) },
      ...(q.kind ? { kind: q.kind } : {}),
    },
    select: {
      id: true,
      mode: true,
      status: true,
      territoryId: true,
      ageBand: true,
      invitedAt: true,
      declinedAt: true,
      participationId: true,
      person: { select: { id: true, orientedAt: true } },
      participations: {
        select: {
          id: true,
          state: true,
          confirmedAt: true,
          createdAt: true,
          appointment: { select: { startsAt: true, kind: true } },
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      },
    },
  });
  // First RIO attended per person, for the delay from orientation.
  const firstRio = new Map<string, Date>();
  const presentRio = await db.participation.findMany({
    where: {
      state: 'present',
      appointment: { organisationId: org.id, kind: 'rio' },
    },
    select: { personId: true, appointment: { select: { startsAt: true } } },
  });
  for (const p of presentRio) {
    const at = p.appointment.startsAt;
    const seen = firstRio.get(p.personId);
    if (!seen || at < seen) firstRio.set(p.personId, at);
  }
  const delayCounted = new Set<string>();

  for (const c of cases) {
    const current =
      c.participations.find((p) => p.id === c.participationId) ?? c.participations.at(-1);
    const ref = current?.appointment.startsAt ?? c.invitedAt;
    const month = localMonth(ref, tz);
    if (!inRange(month)) continue;
    const targets = accs(territoryOf(c.territoryId), month, c.ageBand ?? 'unknown');
    const present = c.participations.some((p) => p.state === 'present');
    const absent = !present && current?.state === 'absent';
    const excused = !present && current?.state === 'excused';
    const confirmed = c.participations.some((p) => p.confirmedAt !== null);
    const declined =
      c.declinedAt !== null ||
      c.participations.some((p) => p.state === 'declined' || p.state === 'wants_other_date');
    let delay: number | undefined;
    const first = firstRio.get(c.person.id);
    if (
      first &&
      c.person.orientedAt &&
      !delayCounted.has(c.person.id) &&
      c.participations.some(
        (p) => p.state === 'present' && p.appointment.startsAt.getTime() === first.getTime(),
      )
    ) {
      delayCounted.add(c.person.id);
      delay = Math.round((first.getTime() - c.person.orientedAt.getTime()) / 86_400_000);
    }
    for (const acc of targets) {
      acc.invited++;
      if (confirmed) acc.confirmed++;
      if (declined) acc.declined++;
      if (present) {
        acc.present++;
        acc.modes[c.mode].attended++;
      }
      if (absent) {
        acc.absent++;
        acc.modes[c.mode].absent++;
      }
      if (excused) acc.excused++;
      if (delay !== undefined) acc.delays.push(delay);
    }
  }

  // Appointment messages, by the month they were written for.
  const messages = await db.message.findMany({
    where: {
      organisationId: org.id,
      direction: 'outbound',
      // Appointment messages and the rights-and-duties information (sent as 'system').
      OR: [{ purpose: 'appointment' }, { contextType: 'rights' }],
      createdAt: { gte: lower, lt: upper },
      status: { in: ['sent', 'delivered', 'read', 'failed'] },
    },
    select: {
      channel: true,
      status: true,
      parts: true,
      createdAt: true,
      person: { select: { territoryId: true, ageBand: true, birthYear: true } },
    },
  });
  for (const m of messages) {
    const month = localMonth(m.createdAt, tz);
    if (!inRange(month)) continue;
    const band = m.person ? (ageBandOf(m.person, m.createdAt) ?? 'unknown') : 'unknown';
    for (const acc of accs(territoryOf(m.person?.territoryId ?? null), month, band)) {
      const count = acc.messages[m.channel] ?? { sent: 0, failed: 0, segments: 0 };
      acc.messages[m.channel] = count;
      if (m.status === 'failed') {
        count.failed++;
        acc.failures++;
      } else {
        count.sent++;
        count.segments += m.channel === 'sms' ? m.parts : 0;
      }
    }
  }

  // Rights and duties of the people oriented in the period.
  const rights: RightsCase[] = await rightsCases(db, org, now, {
    orientedFrom: lower,
    orientedTo: upper,
  });
  for (const r of rights) {
    const month = localMonth(r.orientedAt, tz);
    if (!inRange(month)) continue;
    const band = ageBandOf(r, r.orientedAt) ?? 'unknown';
    for (const acc of accs(territoryOf(r.territoryId), month, band)) {
      acc.rights.oriented++;
      if (r.status === 'informed') acc.rights.inTime++;
      else if (r.status === 'informed_late') acc.rights.late++;
      else if (r.status === 'pending') acc.rights.pending++;
      else acc.rights.overdue++;
    }
  }

  const out: IndicatorGroup[] = [...groups.entries()].map(([key, acc]) => {
    const [territory, month, ageBand] = key.split('|') as [string, string, string];
    const participationRate = rate(acc.present, acc.invited);
    const applicable = org.settings.targets.filter(
      (t: Target) => !t.ageBand || t.ageBand === ageBand,
    );
    const mode = (m: 'invitation' | 'convocation') => ({
      attended: acc.modes[m].attended,
      absent: acc.modes[m].absent,
      rate: rate(acc.modes[m].absent, acc.modes[m].attended + acc.modes[m].absent),
    });
    return {
      territory,
      month,
      ageBand,
      invited: acc.invited,
      confirmed: acc.confirmed,
      declined: acc.declined,
      present: acc.present,
      absent: acc.absent,
      excused: acc.excused,
      participationRate,
      targets: applicable.map((t) => ({
        name: t.name,
        rate: t.rate,
        met: participationRate !== null && participationRate >= t.rate,
      })),
      noShow: { invitation: mode('invitation'), convocation: mode('convocation') },
      orientationToFirstRio: {
        people: acc.delays.length,
        meanDays: acc.delays.length
          ? Math.round((acc.delays.reduce((a, b) => a + b, 0) / acc.delays.length) * 10) / 10
          : null,
        medianDays: median(acc.delays),
      },
      messages: acc.messages,
      deliveryFailures: acc.failures,
      rights: {
        oriented: acc.rights.oriented,
        informedInTime: acc.rights.inTime,
        informedLate: acc.rights.late,
        pending: acc.rights.pending,
        overdue: acc.rights.overdue,
        rate: rate(acc.rights.inTime, acc.rights.oriented),
      },
    };
  });
  // The whole organisation first, then territories, months and age bands.
  const rank = (g: IndicatorGroup) =>
    (g.territory === ALL ? 0 : 4) + (g.month === ALL ? 0 : 2) + (g.ageBand === ALL ? 0 : 1);
  out.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.territory.localeCompare(b.territory) ||
      a.month.localeCompare(b.month) ||
      a.ageBand.localeCompare(b.ageBand),
  );
  return {
    organisation: { id: org.id, name: org.name },
    from: q.from,
    to: q.to,
    kind: q.kind ?? null,
    generatedAt: now.toISOString(),
    groups: out,
  };
}
