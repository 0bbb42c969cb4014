// Appointments: sessions and rendez-vous, cases (a person convoked to one session or
// invited to choose among the next ones), reminders as fires relative to the session,
// replies on any channel, moves and cancellations, attendance, and the rights-and-duties
// information of new entrants. Every change and the messages it causes are written in one
// transaction; every message goes through the outbox.
import type { Clock } from '../clock.js';
import type { InboundHandler } from '../conversations/service.js';
import type { Db } from '../db/types.js';
import type {
  Appointment,
  AppointmentKind,
  ChannelIdentity,
  FollowUpKind,
  Invitation,
  Participation,
  ParticipationMode,
  Person,
  Prisma,
  PrismaClient,
  ScheduledFire,
} from '../generated/prisma/client.js';
import type { i18n } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { enqueue } from '../messaging/outbox.js';
import type { PresentHook } from '../participation/avis-after-rio.js';
import type { FireOutcome } from '../scheduling/fires.js';
import {
  type AppointmentAnswer,
  couldBeAppointmentAnswer,
  parseAppointmentAnswer,
} from './answers.js';
import { bulkInsert, bulkInsertReturningIds, COLUMNS, rowsOf, updatedAt } from './bulk.js';
import { ageBandOf, DAY_MS, localDay, shiftLocal } from './dates.js';
import { chunks, pushAll, uuidv7 } from './ids.js';
import { planPoints, pointStillUseful } from './planning.js';
import { replyTarget } from './routing.js';
import { ACTIVE_STATES, lockSeat, NOT_OFFERED, seatsTaken, sessionsWithSeats } from './seats.js';
import {
  type OrganisationContext,
  organisationContext,
  pointsFor,
  type ReminderPoint,
} from './settings.js';
import { AppointmentTexts, type SessionInfo, type TextContext } from './texts.js';

type Tx = Prisma.TransactionClient;

export const FIRE_PARTICIPATION = 'appointment.reminder';
export const FIRE_INVITATION = 'invitation.reminder';
export const FIRE_RIGHTS = 'rights.step';
/** Messages about a case carry contextType "invitation"; about rights, "rights". */
export const CONTEXT_CASE = 'invitation';
export const CONTEXT_RIGHTS = 'rights';

/**
 * Asks about a later session of a series when the policy has no point anchored on the
 * session left to do it: planned at the end of the previous session of the series.
 */
export const SERIES_ASK: ReminderPoint = {
  name: 'series',
  anchor: 'appointment',
  days: 0,
  ifNoAnswer: false,
  minDaysBefore: 0,
};

/** How long after its last question a case still takes replies. */
const REPLY_WINDOW_MS = 30 * DAY_MS;
/** How long after a rights message a reply is read as about it. */
const RIGHTS_REPLY_WINDOW_MS = 7 * DAY_MS;

export class AppointmentError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems?: string[],
  ) {
    super(message);
  }
}

export interface AppointmentDeps {
  prisma: PrismaClient;
  i18n: i18n;
  clock: Clock;
  logger: Logger;
  /** Told, in the attendance transaction, of each person recorded present (participation). */
  onPresent?: PresentHook;
}

/** Telegram when linked, else SMS (the local web chat for demos); consented and usable. */
export function appointmentIdentity(identities: ChannelIdentity[]): ChannelIdentity | undefined {
  const rank: Record<string, number> = { telegram: 0, sms: 1, web: 2 };
  return identities
    .filter(
      (i) =>
        i.consent === 'granted' &&
        !i.optedOutAt &&
        !i.unreachableAt &&
        rank[i.channel] !== undefined,
    )
    .sort((a, b) => (rank[a.channel] as number) - (rank[b.channel] as number))[0];
}

/** The person's email address for copies: consented, not opted out, reachable. */
export function emailIdentity(identities: ChannelIdentity[]): ChannelIdentity | undefined {
  return identities.find(
    (i) => i.channel === 'email' && i.consent === 'granted' && !i.optedOutAt && !i.unreachableAt,
  );
}

/** An email copy of an appointment message (the organisation's emailCopy setting). */
export interface EmailCopy {
  subject: string;
  paragraphs: string[];
}

/** What a message about a moved or cancelled session is sent with. */
interface QueueOptions {
  /** The idempotency key; with several texts, ":<n>" is added to each. */
  key: string;
  /** One text: the key as it is. */
  single?: boolean;
  urgent?: boolean;
  /** Of the first text (and of the email copy). */
  notAfter?: Date;
  contextId: string;
  email?: EmailCopy;
  now: Date;
}

interface ChangeContext {
  org: OrganisationContext;
  before: AppointmentWithReferent;
  after: AppointmentWithReferent;
  cancel: boolean;
  urgent: boolean;
  now: Date;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface SessionChange {
  startsAt?: Date;
  endsAt?: Date | null;
  place?: string | null;
  address?: string | null;
  capacity?: number | null;
  title?: string;
  organiserName?: string | null;
  cancel?: boolean;
}

export interface CasePerson {
  id: string;
  territoryId: string | null;
  birthYear: number | null;
  ageBand: 'under_30' | 'from_30' | null;
  referentId: string | null;
}

export interface CaseRequest {
  person: CasePerson;
  kind: AppointmentKind;
  mode: ParticipationMode;
  /** The session of a convocation. */
  appointmentId?: string;
  /** Where the request came from, for the report (a CSV line). */
  line?: number;
}

export interface CaseReport {
  convoked: number;
  invited: number;
  /** Invited, but no session with seats could be offered: listed for an agent. */
  noSession: number;
  /** Already convoked to that session, or already invited to that kind of session. */
  skipped: { line?: number; personId: string; reason: string }[];
  /** Sessions convoked beyond their seats (a convocation is an agent's decision). */
  overbooked: { appointmentId: string; capacity: number; seats: number }[];
  fires: number;
}

interface FireRow {
  organisationId: string;
  kind: string;
  dueAt: Date;
  subjectType: string;
  subjectId: string;
  subjectVersion: number;
  payload: object;
  dedupeKey: string;
}

/** Reads an appointment with the name of its référent (individual rendez-vous name them). */
const WITH_REFERENT = { referent: { select: { displayName: true } } } as const;
type AppointmentWithReferent = Appointment & { referent?: { displayName: string } | null };

function participationFire(
  org: OrganisationContext,
  participationId: string,
  version: number,
  point: ReminderPoint,
  dueAt: Date,
): FireRow {
  return {
    organisationId: org.id,
    kind: FIRE_PARTICIPATION,
    dueAt,
    subjectType: 'participation',
    subjectId: participationId,
    subjectVersion: version,
    payload: { point: point.name },
    dedupeKey: `appt:${participationId}:v${version}:${point.name}`,
  };
}

function sessionInfo(a: AppointmentWithReferent): SessionInfo {
  return {
    id: a.id,
    kind: a.kind,
    title: a.title,
    startsAt: a.startsAt,
    place: a.place,
    address: a.address,
    byPhone: a.byPhone,
    organiserName: a.organiserName,
    referentName: a.referent?.displayName ?? null,
  };
}

/** Why an individual rendez-vous is never offered to choose from. */
export const INDIVIDUAL_NOT_INVITED =
  "an individual rendez-vous is one person's: convoke the person to their own rendez-vous (mode convocation) instead of inviting them to choose";

function inboundIdOf(cause: string): string | undefined {
  return /^reply:([0-9a-f-]{36})$/i.exec(cause)?.[1];
}

export class AppointmentService {
  readonly texts: AppointmentTexts;

  constructor(private readonly deps: AppointmentDeps) {
    this.texts = new AppointmentTexts(deps.i18n);
  }

  get prisma(): PrismaClient {
    return this.deps.prisma;
  }

  now(): Date {
    return this.deps.clock();
  }

  transaction<T>(work: (tx: Tx) => Promise<T>, timeoutMs = 60_000): Promise<T> {
    return this.deps.prisma.$transaction(work, { timeout: timeoutMs, maxWait: 60_000 });
  }

  organisation(db: Db, id: string): Promise<OrganisationContext> {
    return organisationContext(db, id);
  }

  private textContext(
    org: OrganisationContext,
    lang: string,
    identity: ChannelIdentity,
  ): TextContext {
    return {
      lang,
      timeZone: org.timezone,
      org: org.signature,
      channel: identity.channel,
      smsAccents: org.smsAccents,
    };
  }

  /**
   * The email copy of a message, when the organisation sends them: the richest wording
   * (address included, no SMS limit), and where to answer.
   */
  private emailCopy(
    org: OrganisationContext,
    ctx: TextContext,
    subject: string,
    info: SessionInfo,
    render: (long: TextContext) => string[],
  ): EmailCopy | undefined {
    if (!org.settings.emailCopy) return undefined;
    return {
      subject: this.texts.subject(ctx, subject, info),
      paragraphs: [...render({ ...ctx, long: true }), this.texts.replyVia(ctx.lang, ctx.channel)],
    };
  }

  /**
   * Queues an appointment message on the person's channel, and its email copy (key
   * suffix ":email") when there is one and the person has a consented email address.
   */
  private async queueAll(
    tx: Tx,
    org: OrganisationContext,
    person: { id: string; identities: ChannelIdentity[] },
    identity: ChannelIdentity,
    texts: string[],
    o: QueueOptions,
  ): Promise<void> {
    const common = {
      organisationId: org.id,
      personId: person.id,
      purpose: 'appointment' as const,
      urgent: o.urgent ?? false,
      contextType: CONTEXT_CASE,
      contextId: o.contextId,
    };
    for (const [n, text] of texts.entries()) {
      await enqueue(
        tx,
        {
          ...common,
          identityId: identity.id,
          channel: identity.channel,
          text,
          idempotencyKey: o.single ? o.key : `${o.key}:${n}`,
          notAfter: n === 0 ? o.notAfter : undefined,
        },
        o.now,
      );
    }
    const mail = o.email ? emailIdentity(person.identities) : undefined;
    if (!o.email || !mail) return;
    await enqueue(
      tx,
      {
        ...common,
        identityId: mail.id,
        channel: 'email',
        text: o.email.paragraphs.join('\n\n'),
        subject: o.email.subject,
        idempotencyKey: `${o.key}:email`,
        notAfter: o.notAfter,
      },
      o.now,
    );
  }

  // ---------------------------------------------------------------------------------
  // Fires

  private participationFires(
    org: OrganisationContext,
    p: { id: string; invitedAt: Date },
    a: { kind: AppointmentKind; startsAt: Date; version: number },
    anchors: 'all' | 'appointment',
    now: Date,
    /** Plans shared by a batch: the same session and invitation time give the same points. */
    cache?: Map<string, ReturnType<typeof planPoints>>,
  ): FireRow[] {
    const key = `${a.startsAt.getTime()}:${a.kind}:${p.invitedAt.getTime()}:${anchors}`;
    let planned = cache?.get(key);
    if (!planned) {
      planned = planPoints({
        points: pointsFor(org.settings, a.kind),
        invitedAt: p.invitedAt,
        startsAt: a.startsAt,
        now,
        timeZone: org.timezone,
        anchors,
      });
      cache?.set(key, planned);
    }
    return planned.map(({ point, dueAt }) => participationFire(org, p.id, a.version, point, dueAt));
  }

  /**
   * The reminders of new convocations. A person convoked at once to several sessions of
   * one series gets one convocation, for the first session (it says what follows); each
   * later session is asked about (1, 2, 3) by its own points anchored on the session (the
   * J-2 reminder by default), so a reply goes to the session the person was last asked
   * about. With no such point left for a session (a policy without one, a session too
   * close), it is asked once the previous session of the series is over.
   */
  private convocationFires(
    org: OrganisationContext,
    convoked: { participationId: string; personId: string; appointment: Appointment }[],
    now: Date,
    cache: Map<string, ReturnType<typeof planPoints>>,
  ): FireRow[] {
    const series = new Map<string, Appointment[]>();
    for (const c of convoked) {
      if (!c.appointment.seriesId) continue;
      const key = `${c.personId}:${c.appointment.seriesId}`;
      series.set(key, [...(series.get(key) ?? []), c.appointment]);
    }
    for (const list of series.values()) {
      list.sort((x, y) => x.startsAt.getTime() - y.startsAt.getTime() || (x.id < y.id ? -1 : 1));
    }
    const out: FireRow[] = [];
    for (const { participationId, personId, appointment: a } of convoked) {
      const p = { id: participationId, invitedAt: now };
      const list = a.seriesId ? (series.get(`${personId}:${a.seriesId}`) ?? []) : [];
      const index = list.findIndex((x) => x.id === a.id);
      if (index <= 0) {
        out.push(...this.participationFires(org, p, a, 'all', now, cache));
        continue;
      }
      const planned = this.participationFires(org, p, a, 'appointment', now, cache);
      if (planned.length) {
        out.push(...planned);
        continue;
      }
      const previous = list[index - 1] as Appointment;
      const end = previous.endsAt ?? previous.startsAt;
      const dueAt = end > now && end < a.startsAt ? end : now;
      out.push(participationFire(org, participationId, a.version, SERIES_ASK, dueAt));
    }
    return out;
  }

  private invitationFires(
    org: OrganisationContext,
    inv: { id: string; kind: AppointmentKind; invitedAt: Date; version: number },
    now: Date,
  ): FireRow[] {
    return planPoints({
      points: pointsFor(org.settings, inv.kind),
      invitedAt: inv.invitedAt,
      now,
      timeZone: org.timezone,
      anchors: 'invitation',
    }).map(({ point, dueAt }) => ({
      organisationId: org.id,
      kind: FIRE_INVITATION,
      dueAt,
      subjectType: 'invitation',
      subjectId: inv.id,
      subjectVersion: inv.version,
      payload: { point: point.name },
      dedupeKey: `inv:${inv.id}:v${inv.version}:${point.name}`,
    }));
  }

  /** Plans fires; one planned before under the same dedupe key is kept. */
  private insertFires(db: Db, rows: FireRow[]): Promise<number> {
    const withIds = rows.map((r) => ({ ...r, id: uuidv7(r.dueAt.getTime()) }));
    return bulkInsert(
      db,
      'ScheduledFire',
      COLUMNS.ScheduledFire,
      rowsOf(COLUMNS.ScheduledFire, withIds),
      {
        skipDuplicates: true,
      },
    );
  }

  /** Pending reminders of these participations become no-ops (their version moved on). */
  private async dropParticipationFires(db: Db, participationIds: string[]): Promise<void> {
    for (const part of chunks(participationIds, 5000)) {
      await db.scheduledFire.updateMany({
        where: {
          subjectType: 'participation',
          subjectId: { in: part },
          status: 'pending',
          kind: FIRE_PARTICIPATION,
        },
        data: { status: 'skipped' },
      });
    }
  }

  // ---------------------------------------------------------------------------------
  // Cases: convocations and invitations

  /** Offers for a person: the next sessions of a kind with seats on their territory. */
  async offers(
    db: Db,
    org: OrganisationContext,
    kind: AppointmentKind,
    territoryId: string | null,
    now: Date,
    exclude: string[] = [],
  ): Promise<Appointment[]> {
    const { offer } = org.settings;
    return sessionsWithSeats(db, {
      organisationId: org.id,
      kind,
      territoryId,
      after: new Date(now.getTime() + offer.minLeadHours * 3_600_000),
      until: new Date(now.getTime() + offer.horizonDays * DAY_MS),
      exclude,
      limit: offer.count,
    });
  }

  /**
   * Convokes or invites people, in the caller's transaction, with multi-row inserts (an
   * import of 100,000 rows makes a few hundred statements). The messages go out through
   * the fires planned here: the invitation point is due at once.
   */
  async createCases(
    tx: Tx,
    org: OrganisationContext,
    requests: CaseRequest[],
    now: Date,
  ): Promise<CaseReport> {
    const report: CaseReport = {
      convoked: 0,
      invited: 0,
      noSession: 0,
      skipped: [],
      overbooked: [],
      fires: 0,
    };
    const convocations = requests.filter((r) => r.mode === 'convocation' && r.appointmentId);
    const invitations = requests.filter((r) => r.mode === 'invitation');

    const appointmentIds = [...new Set(convocations.map((r) => r.appointmentId as string))];
    const appointments = new Map<string, Appointment>();
    for (const part of chunks(appointmentIds, 5000)) {
      for (const a of await tx.appointment.findMany({
        where: { id: { in: part }, organisationId: org.id },
      })) {
        appointments.set(a.id, a);
      }
    }
    // Existing participations: importing the same people again changes nothing.
    const existing = new Set<string>();
    const personIds = [...new Set(requests.map((r) => r.person.id))];
    for (const part of chunks(personIds, 5000)) {
      const rows = await tx.participation.findMany({
        where: { personId: { in: part }, appointmentId: { in: appointmentIds } },
        select: { personId: true, appointmentId: true },
      });
      for (const r of rows) existing.add(`${r.appointmentId}:${r.personId}`);
    }
    // An individual rendez-vous already someone's is not given to another person.
    const holders = new Map<string, string>();
    const individual = appointmentIds.filter((id) => appointments.get(id)?.kind === NOT_OFFERED);
    for (const part of chunks(individual, 5000)) {
      const rows = await tx.participation.findMany({
        where: { appointmentId: { in: part }, state: { in: ACTIVE_STATES } },
        select: { personId: true, appointmentId: true },
      });
      for (const r of rows) holders.set(r.appointmentId, r.personId);
    }
    const openCases = new Set<string>();
    if (invitations.length) {
      for (const part of chunks([...new Set(invitations.map((r) => r.person.id))], 5000)) {
        const rows = await tx.invitation.findMany({
          where: { personId: { in: part }, status: { in: ['choosing', 'booked'] } },
          select: { personId: true, kind: true },
        });
        for (const r of rows) openCases.add(`${r.personId}:${r.kind}`);
      }
    }

    const invitationRows: Prisma.InvitationCreateManyInput[] = [];
    const participationRows: Prisma.ParticipationCreateManyInput[] = [];
    const followUps: Prisma.FollowUpCreateManyInput[] = [];
    const fires: FireRow[] = [];
    const seen = new Set<string>();
    const plans = new Map<string, ReturnType<typeof planPoints>>();
    const convoked: { participationId: string; personId: string; appointment: Appointment }[] = [];

    for (const r of convocations) {
      const a = appointments.get(r.appointmentId as string);
      const key = `${r.appointmentId}:${r.person.id}`;
      if (a?.status !== 'scheduled') {
        report.skipped.push({ line: r.line, personId: r.person.id, reason: 'no such session' });
        continue;
      }
      if (a.startsAt <= now) {
        report.skipped.push({ line: r.line, personId: r.person.id, reason: 'the session is past' });
        continue;
      }
      if (existing.has(key) || seen.has(key)) {
        report.skipped.push({
          line: r.line,
          personId: r.person.id,
          reason: 'already convoked to this session',
        });
        continue;
      }
      const holder = holders.get(a.id);
      if (a.kind === NOT_OFFERED && holder && holder !== r.person.id) {
        report.skipped.push({
          line: r.line,
          personId: r.person.id,
          reason: "this individual rendez-vous is another person's",
        });
        continue;
      }
      if (a.kind === NOT_OFFERED) holders.set(a.id, r.person.id);
      seen.add(key);
      const invitationId = uuidv7(now.getTime());
      const participationId = uuidv7(now.getTime());
      invitationRows.push({
        id: invitationId,
        organisationId: org.id,
        personId: r.person.id,
        kind: a.kind,
        mode: 'convocation',
        status: 'booked',
        territoryId: r.person.territoryId,
        ageBand: ageBandOf(r.person, a.startsAt),
        options: [],
        participationId,
        awaiting: 'confirm',
        invitedAt: now,
        createdAt: now,
      });
      participationRows.push({
        id: participationId,
        appointmentId: a.id,
        personId: r.person.id,
        mode: 'convocation',
        state: 'invited',
        invitedAt: now,
        invitationId,
        createdAt: now,
      });
      convoked.push({ participationId, personId: r.person.id, appointment: a });
      report.convoked++;
    }
    pushAll(fires, this.convocationFires(org, convoked, now, plans));

    const offerCache = new Map<string, Appointment[]>();
    for (const r of invitations) {
      const key = `${r.person.id}:${r.kind}`;
      if (r.kind === NOT_OFFERED) {
        // The import and the API refuse these first; this keeps any other caller honest.
        report.skipped.push({
          line: r.line,
          personId: r.person.id,
          reason: INDIVIDUAL_NOT_INVITED,
        });
        continue;
      }
      if (openCases.has(key) || seen.has(key)) {
        report.skipped.push({
          line: r.line,
          personId: r.person.id,
          reason: `already invited to a session of kind ${r.kind}`,
        });
        continue;
      }
      seen.add(key);
      const cacheKey = `${r.kind}:${r.person.territoryId ?? '*'}`;
      let options = offerCache.get(cacheKey);
      if (!options) {
        options = await this.offers(tx, org, r.kind, r.person.territoryId, now);
        offerCache.set(cacheKey, options);
      }
      const id = uuidv7(now.getTime());
      invitationRows.push({
        id,
        organisationId: org.id,
        personId: r.person.id,
        kind: r.kind,
        mode: 'invitation',
        status: options.length ? 'choosing' : 'no_session',
        territoryId: r.person.territoryId,
        ageBand: ageBandOf(r.person, now),
        options: options.map((o) => o.id),
        awaiting: options.length ? 'choice' : null,
        invitedAt: now,
        createdAt: now,
      });
      if (options.length) {
        fires.push(
          ...this.invitationFires(org, { id, kind: r.kind, invitedAt: now, version: 1 }, now),
        );
        report.invited++;
      } else {
        followUps.push({
          organisationId: org.id,
          personId: r.person.id,
          referentId: r.person.referentId,
          kind: 'no_session',
          invitationId: id,
          createdAt: now,
        });
        report.noSession++;
      }
    }

    await bulkInsert(
      tx,
      'Invitation',
      COLUMNS.Invitation,
      rowsOf(COLUMNS.Invitation, invitationRows),
      {
        constants: [updatedAt(now)],
      },
    );
    await bulkInsert(
      tx,
      'Participation',
      COLUMNS.Participation,
      rowsOf(COLUMNS.Participation, participationRows),
      { constants: [updatedAt(now)] },
    );
    for (const part of chunks(followUps, 1000)) await tx.followUp.createMany({ data: part });
    report.fires = await this.insertFires(tx, fires);

    // Convocations beyond the seats are the agent's decision, but they should know.
    const capped = appointmentIds.filter((id) => appointments.get(id)?.capacity != null);
    if (capped.length && participationRows.length) {
      const taken = await seatsTaken(tx, capped);
      for (const id of capped) {
        const a = appointments.get(id) as Appointment;
        const seats = taken.get(id) ?? 0;
        if (seats > (a.capacity as number)) {
          report.overbooked.push({ appointmentId: id, capacity: a.capacity as number, seats });
        }
      }
    }
    return report;
  }

  // ---------------------------------------------------------------------------------
  // Fire handlers

  /**
   * appointment.reminder: a point of the policy for one participation. The first message
   * about a session asks 1, 2 or 3: the convocation, or the first reminder of a session
   * never asked about (a later rendez-vous of a series); the convocation to the first
   * session of a series says what follows.
   */
  async onParticipationFire(fire: ScheduledFire, now: Date): Promise<FireOutcome> {
    return this.transaction(async (tx) => {
      const p = await tx.participation.findUnique({
        where: { id: fire.subjectId },
        include: {
          appointment: { include: WITH_REFERENT },
          person: { include: { identities: true } },
          invitation: { select: { askedAt: true } },
        },
      });
      if (!p) return 'skipped';
      const a = p.appointment;
      if (a.version !== fire.subjectVersion || a.status !== 'scheduled') return 'skipped';
      if (!ACTIVE_STATES.includes(p.state)) return 'skipped';
      const org = await this.organisation(tx, a.organisationId);
      const name = (fire.payload as { point?: string }).point;
      const point =
        name === SERIES_ASK.name
          ? SERIES_ASK
          : pointsFor(org.settings, a.kind).find((x) => x.name === name);
      if (!point) return 'skipped';
      const first = point.anchor === 'invitation' && point.days === 0 && !point.at;
      const ask = !first && point.anchor === 'appointment' && p.invitation?.askedAt === null;
      // The pause stops automatic reminders, not the agent's own convocation (nor the
      // question that stands for it for a later session of a series).
      if (!first && !ask && p.person.remindersPaused) return 'skipped';
      if (point.ifNoAnswer && p.respondedAt) return 'skipped';
      if (!pointStillUseful(point, now, a.startsAt)) return 'skipped';
      const identity = appointmentIdentity(p.person.identities);
      if (!identity) return 'skipped';
      const ctx = this.textContext(org, p.person.language, identity);
      let key: 'convocation' | 'relaunch' | 'reminder' | 'seriesNext' =
        first || ask ? 'convocation' : point.anchor === 'invitation' ? 'relaunch' : 'reminder';
      let later: Date[] = [];
      if (a.seriesId && (first || ask)) {
        const mine = await tx.participation.findMany({
          where: {
            personId: p.personId,
            id: { not: p.id },
            appointment: { organisationId: a.organisationId, seriesId: a.seriesId },
          },
          select: { state: true, appointment: { select: { startsAt: true, status: true } } },
        });
        if (ask && mine.some((m) => m.appointment.startsAt < a.startsAt)) key = 'seriesNext';
        if (first) {
          later = mine
            .filter(
              (m) =>
                m.appointment.startsAt > a.startsAt &&
                m.appointment.status === 'scheduled' &&
                ACTIVE_STATES.includes(m.state),
            )
            .map((m) => m.appointment.startsAt)
            .sort((x, y) => x.getTime() - y.getTime());
        }
      }
      const info = sessionInfo(a);
      const render = (t: TextContext) =>
        later.length
          ? this.texts.seriesConvocation(t, info, later)
          : this.texts.session(t, key, info);
      const subject = key === 'seriesNext' ? 'convocation' : key;
      await this.queueAll(tx, org, p.person, identity, [render(ctx)], {
        key: `fire:${fire.id}`,
        single: true,
        notAfter: a.startsAt,
        contextId: p.invitationId ?? p.id,
        email: this.emailCopy(org, ctx, subject, info, (long) => [render(long)]),
        now,
      });
      if (p.invitationId) {
        await tx.invitation.update({
          where: { id: p.invitationId },
          data: { awaiting: 'confirm', askedAt: now },
        });
      }
      return 'done';
    }, 30_000);
  }

  /** invitation.reminder: the invitation to choose, and its relaunch. */
  async onInvitationFire(fire: ScheduledFire, now: Date): Promise<FireOutcome> {
    return this.transaction(async (tx) => {
      const inv = await tx.invitation.findUnique({
        where: { id: fire.subjectId },
        include: { person: { include: { identities: true } } },
      });
      if (!inv || inv.version !== fire.subjectVersion || inv.status !== 'choosing') {
        return 'skipped';
      }
      const org = await this.organisation(tx, inv.organisationId);
      const name = (fire.payload as { point?: string }).point;
      const point = pointsFor(org.settings, inv.kind).find((x) => x.name === name);
      if (!point) return 'skipped';
      const first = point.anchor === 'invitation' && point.days === 0 && !point.at;
      if (!first && inv.person.remindersPaused) return 'skipped';
      if (point.ifNoAnswer && inv.respondedAt) return 'skipped';
      // Offers still open (seats, lead time, far enough for a relaunch), topped up.
      const current = await this.stillOffered(tx, org, inv, now);
      const usable = current.filter((a) => pointStillUseful(point, now, a.startsAt));
      let options = usable;
      if (options.length < org.settings.offer.count) {
        const more = (
          await this.offers(
            tx,
            org,
            inv.kind,
            inv.territoryId,
            now,
            options.map((o) => o.id),
          )
        ).filter((a) => pointStillUseful(point, now, a.startsAt));
        options = [...options, ...more].slice(0, org.settings.offer.count);
      }
      if (!options.length) {
        if (!current.length) {
          await tx.invitation.update({
            where: { id: inv.id },
            data: { status: 'no_session', awaiting: null, options: [] },
          });
          await this.followUp(tx, inv.organisationId, inv.personId, 'no_session', now, {
            invitationId: inv.id,
          });
          return 'done';
        }
        return 'skipped';
      }
      const identity = appointmentIdentity(inv.person.identities);
      if (!identity) return 'skipped';
      const ctx = this.textContext(org, inv.person.language, identity);
      const head = this.kindTitle(ctx, options[0] as Appointment);
      const key = first ? 'choice' : 'choiceRelaunch';
      const offered = options.map(sessionInfo);
      const render = (t: TextContext) => [this.texts.choice(t, key, head, offered)];
      await this.queueAll(tx, org, inv.person, identity, render(ctx), {
        key: `fire:${fire.id}`,
        single: true,
        notAfter: options[0]?.startsAt,
        contextId: inv.id,
        email: this.emailCopy(org, ctx, key, offered[0] as SessionInfo, render),
        now,
      });
      await tx.invitation.update({
        where: { id: inv.id },
        data: { options: options.map((o) => o.id), awaiting: 'choice', askedAt: now },
      });
      return 'done';
    }, 30_000);
  }

  private kindTitle(ctx: TextContext, a: Appointment): { org: string; title: string } {
    const info = sessionInfo(a);
    return { org: this.texts.org(ctx, info), title: this.texts.title(ctx, info) };
  }

  /** The sessions of an invitation's options that can still be chosen. */
  private async stillOffered(
    db: Db,
    org: OrganisationContext,
    inv: Pick<Invitation, 'options'>,
    now: Date,
  ): Promise<Appointment[]> {
    const ids = (inv.options as string[]) ?? [];
    if (!ids.length) return [];
    const rows = await db.appointment.findMany({ where: { id: { in: ids }, status: 'scheduled' } });
    const taken = await seatsTaken(db, ids);
    const after = now.getTime() + org.settings.offer.minLeadHours * 3_600_000;
    return ids
      .map((id) => rows.find((r) => r.id === id))
      .filter(
        (a): a is Appointment =>
          Boolean(a) &&
          (a as Appointment).kind !== NOT_OFFERED &&
          (a as Appointment).startsAt.getTime() > after &&
          ((a as Appointment).capacity === null ||
            (taken.get((a as Appointment).id) ?? 0) < ((a as Appointment).capacity as number)),
      );
  }

  // ---------------------------------------------------------------------------------
  // Follow-ups for the référent

  async followUp(
    db: Db,
    organisationId: string,
    personId: string,
    kind: FollowUpKind,
    now: Date,
    links: {
      invitationId?: string;
      appointmentId?: string;
      messageId?: string;
      /** Who handles it, when not the person's référent (the rendez-vous' own). */
      referentId?: string | null;
    } = {},
  ): Promise<void> {
    const person = await db.person.findUnique({
      where: { id: personId },
      select: { referentId: true },
    });
    await db.followUp.create({
      data: {
        organisationId,
        personId,
        referentId: links.referentId ?? person?.referentId ?? null,
        kind,
        invitationId: links.invitationId ?? null,
        appointmentId: links.appointmentId ?? null,
        messageId: links.messageId ?? null,
        createdAt: now,
      },
    });
  }

  // ---------------------------------------------------------------------------------
  // Replies

  /**
   * The conversation layer's handler for replies, registered before flow runs: with an
   * active run it only takes a clear appointment answer (1, 2, 3, OUI, NON, A, B, C) when
   * the last message the person was sent is about their appointment; otherwise the run
   * gets it. With no run it takes every reply to an open case, free text included.
   */
  inboundHandler(): InboundHandler {
    return async (tx, ctx) => {
      const { person, identity, event, now, cause } = ctx;
      const text = event.text?.trim() ?? '';
      if (!text && !event.voiceRef) return false;
      // In a questionnaire, only a clear appointment answer is taken (below): anything
      // else, most typed answers, goes to the questionnaire without a query.
      if (ctx.activeRun && !couldBeAppointmentAnswer(text, person.language)) return false;
      const kase = await this.replyCase(tx, person.id, now);
      const rights = kase
        ? undefined
        : await tx.message.findFirst({
            where: {
              personId: person.id,
              direction: 'outbound',
              contextType: CONTEXT_RIGHTS,
              createdAt: { gt: new Date(now.getTime() - RIGHTS_REPLY_WINDOW_MS) },
            },
            orderBy: { createdAt: 'desc' },
            select: { contextId: true },
          });
      if (!kase && !rights) return false;
      const run = ctx.activeRun;
      const options = kase ? ((kase.options as string[]) ?? []) : [];
      const answer = text
        ? kase
          ? parseAppointmentAnswer(
              text,
              kase.awaiting === 'choice' ? 'choice' : 'confirm',
              options.length,
              person.language,
            )
          : parseAppointmentAnswer(text, 'confirm', 0, person.language)
        : undefined;
      if (run) {
        if (!answer) return false;
        const latest = await tx.message.findFirst({
          where: { personId: person.id, direction: 'outbound' },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          select: { contextType: true },
        });
        if (latest?.contextType !== CONTEXT_CASE && latest?.contextType !== CONTEXT_RIGHTS) {
          return false;
        }
      }
      const org = await this.organisation(tx, person.organisationId);
      const referent = person.referentId
        ? await tx.person.findUnique({
            where: { id: person.referentId },
            select: { displayName: true },
          })
        : null;
      const reply = new ReplyContext(this, tx, org, person, identity, cause, now, referent);
      const messageId = inboundIdOf(cause);
      if (!kase) {
        // A reply to the rights-and-duties information: a call, or a message to read.
        if (answer?.kind === 'call') {
          await this.followUp(tx, org.id, person.id, 'call_back', now, { messageId });
          await reply.send(this.texts.t(reply.lang, 'ack.callBack', { who: reply.who }), null);
        } else {
          await this.followUp(tx, org.id, person.id, 'message', now, { messageId });
          await reply.send(this.texts.t(reply.lang, 'ack.message', { who: reply.who }), null);
        }
        return true;
      }
      // One reply at a time per case (two SMS sent together, a retry).
      await tx.$queryRaw`SELECT id FROM "Invitation" WHERE id = ${kase.id}::uuid FOR UPDATE`;
      const fresh = await tx.invitation.findUniqueOrThrow({ where: { id: kase.id } });
      await this.applyAnswer(reply, fresh, answer, messageId);
      return true;
    };
  }

  /**
   * The open case a reply goes to: the one asked most recently (within the reply window);
   * among cases asked at the same instant, the one whose session comes soonest (see
   * routing.ts), never an arbitrary one.
   */
  private async replyCase(tx: Tx, personId: string, now: Date): Promise<Invitation | null> {
    const where = {
      personId,
      status: { in: ['choosing' as const, 'booked' as const] },
      awaiting: { not: null },
      askedAt: { gt: new Date(now.getTime() - REPLY_WINDOW_MS) },
    };
    const newest = await tx.invitation.findFirst({
      where,
      orderBy: { askedAt: 'desc' },
      select: { askedAt: true },
    });
    if (!newest?.askedAt) return null;
    const tied = await tx.invitation.findMany({ where: { ...where, askedAt: newest.askedAt } });
    if (tied.length < 2) return tied[0] ?? null;
    const booked = await tx.participation.findMany({
      where: { id: { in: tied.flatMap((c) => (c.participationId ? [c.participationId] : [])) } },
      select: { id: true, appointment: { select: { startsAt: true } } },
    });
    const offered = await tx.appointment.findMany({
      where: {
        id: { in: tied.flatMap((c) => (c.awaiting === 'choice' ? (c.options as string[]) : [])) },
      },
      select: { id: true, startsAt: true },
    });
    const sessionOf = (c: Invitation): Date | undefined => {
      if (c.awaiting === 'choice') {
        const starts = offered
          .filter((o) => ((c.options as string[]) ?? []).includes(o.id))
          .map((o) => o.startsAt);
        const upcoming = starts.filter((d) => d > now).sort((x, y) => x.getTime() - y.getTime());
        return upcoming[0] ?? starts.sort((x, y) => y.getTime() - x.getTime())[0];
      }
      return booked.find((b) => b.id === c.participationId)?.appointment.startsAt;
    };
    return (
      replyTarget(
        tied.map((c) => ({ id: c.id, askedAt: c.askedAt as Date, startsAt: sessionOf(c), c })),
        now,
      )?.c ?? null
    );
  }

  private async applyAnswer(
    r: ReplyContext,
    kase: Invitation,
    answer: AppointmentAnswer | undefined,
    messageId: string | undefined,
  ): Promise<void> {
    const { tx, now, org } = r;
    const bumped = {
      respondedAt: kase.respondedAt ?? now,
      version: { increment: 1 },
    };
    if (answer?.kind === 'decline' && !kase.declinedAt) {
      await tx.invitation.update({ where: { id: kase.id }, data: { declinedAt: now } });
    }
    if (answer?.kind === 'call') {
      await tx.invitation.update({ where: { id: kase.id }, data: bumped });
      if (kase.participationId) {
        await tx.participation.updateMany({
          where: { id: kase.participationId, state: { in: ['invited', 'confirmed'] } },
          data: { state: 'wants_call', respondedAt: now },
        });
      }
      await this.followUp(tx, org.id, kase.personId, 'call_back', now, {
        invitationId: kase.id,
        messageId,
      });
      await r.send(this.texts.t(r.lang, 'ack.callBack', { who: r.who }), kase.id);
      return;
    }
    if (kase.awaiting === 'choice' && kase.status === 'choosing') {
      if (answer?.kind === 'choose') {
        const chosen = ((kase.options as string[]) ?? [])[answer.index];
        if (chosen) return this.book(r, kase, chosen);
      }
      if (answer?.kind === 'decline') {
        return this.offerOthers(r, kase, (kase.options as string[]) ?? [], 'declinedOffers');
      }
      return this.keepMessage(r, kase, messageId, false);
    }
    // A question about one session.
    const p = kase.participationId
      ? await tx.participation.findUnique({
          where: { id: kase.participationId },
          include: { appointment: { include: WITH_REFERENT } },
        })
      : null;
    if (!p) return this.keepMessage(r, kase, messageId, false);
    const a = p.appointment;
    if (a.startsAt <= now || a.status !== 'scheduled') {
      return this.keepMessage(r, kase, messageId, true);
    }
    if (answer?.kind === 'confirm') {
      await tx.participation.update({
        where: { id: p.id },
        data: { state: 'confirmed', confirmedAt: p.confirmedAt ?? now, respondedAt: now },
      });
      await tx.invitation.update({ where: { id: kase.id }, data: bumped });
      await r.send(
        this.texts.session(r.textContext, 'ack.confirmed', sessionInfo(a)),
        kase.id,
        a.startsAt,
      );
      return;
    }
    if (answer?.kind === 'decline') {
      const individual = a.kind === 'individual';
      await tx.participation.update({
        where: { id: p.id },
        data: { state: individual ? 'wants_other_date' : 'declined', respondedAt: now },
      });
      await this.dropParticipationFires(tx, [p.id]);
      if (individual) {
        await tx.invitation.update({
          where: { id: kase.id },
          data: { ...bumped, status: 'declined', awaiting: null, participationId: null },
        });
        await this.followUp(tx, org.id, kase.personId, 'no_date', now, {
          invitationId: kase.id,
          appointmentId: a.id,
          referentId: a.referentId,
        });
        // The rendez-vous' référent proposes the next date: named when known.
        const who = a.referent?.displayName ?? r.Who;
        await r.send(this.texts.t(r.lang, 'ack.individualDeclined', { who }), kase.id);
        return;
      }
      return this.offerOthers(r, kase, [a.id], 'declinedOffers');
    }
    return this.keepMessage(r, kase, messageId, false);
  }

  /** A choice: the seat if there is one (under the session's lock), else other dates. */
  private async book(r: ReplyContext, kase: Invitation, appointmentId: string): Promise<void> {
    const { tx, now, org } = r;
    const seat = await lockSeat(tx, appointmentId, now);
    if (seat !== 'ok') {
      return this.offerOthers(r, kase, [appointmentId], 'full', appointmentId);
    }
    const a = await tx.appointment.findUniqueOrThrow({ where: { id: appointmentId } });
    const existing = await tx.participation.findUnique({
      where: { appointmentId_personId: { appointmentId, personId: kase.personId } },
    });
    const data = {
      mode: kase.mode,
      state: 'confirmed' as const,
      respondedAt: now,
      confirmedAt: now,
      invitationId: kase.id,
    };
    const p = existing
      ? await tx.participation.update({ where: { id: existing.id }, data })
      : await tx.participation.create({
          data: {
            id: uuidv7(now.getTime()),
            appointmentId,
            personId: kase.personId,
            invitedAt: now,
            createdAt: now,
            ...data,
          },
        });
    await tx.invitation.update({
      where: { id: kase.id },
      data: {
        status: 'booked',
        participationId: p.id,
        awaiting: 'confirm',
        askedAt: now,
        options: [],
        respondedAt: kase.respondedAt ?? now,
        version: { increment: 1 },
      },
    });
    await this.insertFires(
      tx,
      this.participationFires(org, { id: p.id, invitedAt: now }, a, 'appointment', now),
    );
    await r.send(
      this.texts.session(r.textContext, 'ack.booked', sessionInfo(a)),
      kase.id,
      a.startsAt,
    );
  }

  /** "Cannot come" or "full": up to three other sessions with seats, or a follow-up. */
  private async offerOthers(
    r: ReplyContext,
    kase: Invitation,
    exclude: string[],
    key: 'declinedOffers' | 'full',
    fullId?: string,
  ): Promise<void> {
    const { tx, now, org } = r;
    const territoryId = kase.territoryId;
    const options = await this.offers(tx, org, kase.kind, territoryId, now, exclude);
    const full = fullId ? await tx.appointment.findUnique({ where: { id: fullId } }) : null;
    if (!options.length) {
      await tx.invitation.update({
        where: { id: kase.id },
        data: {
          status: 'declined',
          awaiting: null,
          options: [],
          participationId: null,
          respondedAt: kase.respondedAt ?? now,
          version: { increment: 1 },
        },
      });
      await this.followUp(tx, org.id, kase.personId, 'no_date', now, { invitationId: kase.id });
      await r.send(
        this.texts.t(r.lang, key === 'full' ? 'ack.fullNoOffer' : 'ack.declinedNoOffer'),
        kase.id,
      );
      return;
    }
    await tx.invitation.update({
      where: { id: kase.id },
      data: {
        status: 'choosing',
        awaiting: 'choice',
        askedAt: now,
        options: options.map((o) => o.id),
        participationId: null,
        respondedAt: kase.respondedAt ?? now,
        version: { increment: 1 },
      },
    });
    const head = this.kindTitle(r.textContext, options[0] as Appointment);
    await r.send(
      this.texts.choice(
        r.textContext,
        key === 'full' ? 'ack.full' : 'ack.declinedOffers',
        head,
        options.map(sessionInfo),
        full ? { when: this.texts.when(r.textContext, full.startsAt) } : {},
      ),
      kase.id,
      options[0]?.startsAt,
    );
  }

  /** Free text (or an answer that fits no question): kept for the référent to read. */
  private async keepMessage(
    r: ReplyContext,
    kase: Invitation,
    messageId: string | undefined,
    passed: boolean,
  ): Promise<void> {
    await this.followUp(r.tx, r.org.id, kase.personId, 'message', r.now, {
      invitationId: kase.id,
      messageId,
    });
    await r.send(
      this.texts.t(r.lang, passed ? 'ack.passed' : 'ack.message', { who: r.who }),
      kase.id,
    );
  }

  // ---------------------------------------------------------------------------------
  // Changes: a session moves or is cancelled

  /**
   * Moves (new time or place) or cancels a session: its version goes up so pending
   * reminders do nothing, and every person concerned is told at once (urgent when the
   * old or new date is today). People expected there: after a move they are asked to
   * confirm again and the reminders are planned anew; after a cancellation other
   * sessions are offered (an individual rendez-vous: the référent will propose a date).
   * People still choosing with this session among their A, B, C: offered again without
   * it, or told its new date.
   */
  async changeSession(
    organisationId: string,
    id: string,
    change: SessionChange,
  ): Promise<{ appointment: Appointment; told: number }> {
    return this.transaction((tx) => this.changeSessionIn(tx, organisationId, id, change));
  }

  /** changeSession in the caller's transaction (an import that moves a session). */
  async changeSessionIn(
    tx: Tx,
    organisationId: string,
    id: string,
    change: SessionChange,
  ): Promise<{ appointment: Appointment; told: number }> {
    const now = this.now();
    const before = await tx.appointment.findFirst({
      where: { id, organisationId },
      include: WITH_REFERENT,
    });
    if (!before) throw new AppointmentError(404, 'no such appointment in this organisation');
    if (before.status === 'cancelled') {
      throw new AppointmentError(409, 'the appointment is cancelled');
    }
    const active = await tx.participation.findMany({
      where: { appointmentId: id, state: { in: ACTIVE_STATES } },
      orderBy: { id: 'asc' },
    });
    // Cases still choosing whose offer (A, B, C) includes this session.
    const choosing = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM "Invitation"
       WHERE "organisationId" = ${organisationId}::uuid AND status = 'choosing'
         AND options @> ${JSON.stringify([id])}::jsonb
       ORDER BY id`;
    // Lock order everywhere: the cases first (by id), then the session.
    const caseIds = [
      ...new Set([
        ...active.flatMap((p) => (p.invitationId ? [p.invitationId] : [])),
        ...choosing.map((c) => c.id),
      ]),
    ].sort();
    if (caseIds.length) {
      await tx.$queryRaw`SELECT id FROM "Invitation" WHERE id = ANY(${caseIds}::uuid[]) ORDER BY id FOR UPDATE`;
    }
    await tx.$queryRaw`SELECT id FROM "Appointment" WHERE id = ${id}::uuid FOR UPDATE`;
    const moved =
      (change.startsAt && change.startsAt.getTime() !== before.startsAt.getTime()) ||
      (change.place !== undefined && change.place !== before.place) ||
      (change.address !== undefined && change.address !== before.address);
    const material = Boolean(change.cancel || moved);
    const a = await tx.appointment.update({
      where: { id },
      data: {
        ...(change.startsAt ? { startsAt: change.startsAt } : {}),
        ...(change.endsAt !== undefined ? { endsAt: change.endsAt } : {}),
        ...(change.place !== undefined ? { place: change.place } : {}),
        ...(change.address !== undefined ? { address: change.address } : {}),
        ...(change.capacity !== undefined ? { capacity: change.capacity } : {}),
        ...(change.title ? { title: change.title } : {}),
        ...(change.organiserName !== undefined ? { organiserName: change.organiserName } : {}),
        ...(change.cancel ? { status: 'cancelled' as const } : {}),
        ...(material ? { version: { increment: 1 } } : {}),
      },
      include: WITH_REFERENT,
    });
    if (!material) return { appointment: a, told: 0 };
    const org = await this.organisation(tx, organisationId);
    await this.dropParticipationFires(
      tx,
      active.map((p) => p.id),
    );
    const today = localDay(now, org.timezone);
    const change$: ChangeContext = {
      org,
      before,
      after: a,
      cancel: Boolean(change.cancel),
      urgent:
        localDay(before.startsAt, org.timezone) === today ||
        localDay(a.startsAt, org.timezone) === today,
      now,
    };
    let told = 0;
    const people = await tx.person.findMany({
      where: { id: { in: active.map((p) => p.personId) } },
      include: { identities: true, referent: { select: { displayName: true } } },
    });
    for (const p of active) {
      const person = people.find((x) => x.id === p.personId);
      if (!person) continue;
      if (await this.tellParticipant(tx, change$, p, person)) told++;
    }
    for (const c of choosing) {
      if (await this.tellChoosing(tx, change$, c.id)) told++;
    }
    return { appointment: a, told };
  }

  /** One person expected at a moved or cancelled session; true when they are told. */
  private async tellParticipant(
    tx: Tx,
    c: ChangeContext,
    p: Participation,
    person: Person & {
      identities: ChannelIdentity[];
      referent: { displayName: string } | null;
    },
  ): Promise<boolean> {
    const { org, before, after: a, now } = c;
    const identity = appointmentIdentity(person.identities);
    const ctx = identity ? this.textContext(org, person.language, identity) : undefined;
    const key = `appt:${a.id}:v${a.version}:${c.cancel ? 'cancelled' : 'moved'}:${p.id}`;
    const contextId = p.invitationId ?? p.id;
    if (c.cancel) {
      await tx.participation.update({ where: { id: p.id }, data: { state: 'cancelled' } });
      let texts: string[] = [];
      let email: EmailCopy | undefined;
      if (a.kind === NOT_OFFERED) {
        // Someone's own rendez-vous: nobody else's is offered; the référent proposes a date.
        if (p.invitationId) {
          await tx.invitation.update({
            where: { id: p.invitationId },
            data: {
              status: 'cancelled',
              awaiting: null,
              options: [],
              participationId: null,
              version: { increment: 1 },
            },
          });
        }
        await this.followUp(tx, org.id, p.personId, 'no_date', now, {
          ...(p.invitationId ? { invitationId: p.invitationId } : {}),
          appointmentId: a.id,
          referentId: a.referentId,
        });
        if (ctx) {
          const who =
            before.referent?.displayName ??
            capitalise(this.texts.who(ctx.lang, person.referent?.displayName));
          const later = this.texts.t(ctx.lang, 'laterReferent', { who });
          texts = this.texts.cancelled(ctx, sessionInfo(before), [], later);
          email = this.emailCopy(org, ctx, 'cancelled', sessionInfo(before), (long) =>
            this.texts.cancelled(long, sessionInfo(before), [], later),
          );
        }
      } else if (p.invitationId) {
        const kase = await tx.invitation.findUniqueOrThrow({ where: { id: p.invitationId } });
        const options = await this.offers(tx, org, kase.kind, kase.territoryId, now, [a.id]);
        await tx.invitation.update({
          where: { id: kase.id },
          data: options.length
            ? {
                status: 'choosing',
                awaiting: 'choice',
                askedAt: now,
                options: options.map((o) => o.id),
                participationId: null,
                version: { increment: 1 },
              }
            : {
                status: 'no_session',
                awaiting: null,
                options: [],
                participationId: null,
                version: { increment: 1 },
              },
        });
        if (!options.length) {
          await this.followUp(tx, org.id, p.personId, 'no_date', now, {
            invitationId: kase.id,
            appointmentId: a.id,
          });
        }
        if (ctx) {
          texts = this.texts.cancelled(ctx, sessionInfo(before), options.map(sessionInfo));
          email = this.emailCopy(org, ctx, 'cancelled', sessionInfo(before), (long) =>
            this.texts.cancelled(long, sessionInfo(before), options.map(sessionInfo)),
          );
        }
      } else if (ctx) {
        texts = this.texts.cancelled(ctx, sessionInfo(before), []);
        email = this.emailCopy(org, ctx, 'cancelled', sessionInfo(before), (long) =>
          this.texts.cancelled(long, sessionInfo(before), []),
        );
      }
      if (!identity || !texts.length) return false;
      await this.queueAll(tx, org, person, identity, texts, {
        key,
        urgent: c.urgent,
        notAfter: before.startsAt > now ? before.startsAt : undefined,
        contextId,
        email,
        now,
      });
      return true;
    }
    // Moved: the person confirms the new date again; reminders are planned anew.
    await tx.participation.update({
      where: { id: p.id },
      data: { state: 'invited', confirmedAt: null, respondedAt: null },
    });
    await this.insertFires(
      tx,
      this.participationFires(org, { id: p.id, invitedAt: now }, a, 'appointment', now),
    );
    if (p.invitationId) {
      await tx.invitation.update({
        where: { id: p.invitationId },
        data: { awaiting: 'confirm', askedAt: now },
      });
    }
    if (!identity || !ctx || a.startsAt <= now) return false;
    const text = this.texts.session(ctx, 'moved', sessionInfo(a));
    await this.queueAll(tx, org, person, identity, [text], {
      key,
      single: true,
      urgent: c.urgent,
      notAfter: a.startsAt,
      contextId,
      email: this.emailCopy(org, ctx, 'moved', sessionInfo(a), (long) => [
        this.texts.session(long, 'moved', sessionInfo(a)),
      ]),
      now,
    });
    return true;
  }

  /**
   * A case still choosing whose offer included the moved or cancelled session: offered
   * again (without a cancelled session, topped up), its version bumped so relaunches
   * planned for the old offer do nothing (those not yet due are planned again for the new
   * one). True when the person is told.
   */
  private async tellChoosing(tx: Tx, c: ChangeContext, caseId: string): Promise<boolean> {
    const { org, before, after: a, now } = c;
    const kase = await tx.invitation.findUniqueOrThrow({
      where: { id: caseId },
      include: { person: { include: { identities: true } } },
    });
    if (kase.status !== 'choosing') return false;
    const count = org.settings.offer.count;
    let options = await this.stillOffered(tx, org, kase, now);
    if (options.length < count) {
      const more = await this.offers(tx, org, kase.kind, kase.territoryId, now, [
        ...options.map((o) => o.id),
        a.id,
      ]);
      options = [...options, ...more].slice(0, count);
    }
    const version = kase.version + 1;
    const asked = kase.askedAt !== null;
    if (!options.length) {
      await tx.invitation.update({
        where: { id: kase.id },
        data: { status: 'no_session', awaiting: null, options: [], version },
      });
      await this.followUp(tx, org.id, kase.personId, 'no_session', now, {
        invitationId: kase.id,
        appointmentId: a.id,
      });
    } else {
      await tx.invitation.update({
        where: { id: kase.id },
        data: {
          options: options.map((o) => o.id),
          version,
          ...(asked ? { awaiting: 'choice', askedAt: now } : {}),
        },
      });
    }
    await this.carryInvitationFires(tx, kase.id, version, options.length > 0);
    // Not asked yet (the invitation is still to go out): it will carry the new offer.
    const identity = appointmentIdentity(kase.person.identities);
    if (!asked || !identity) return false;
    const ctx = this.textContext(org, kase.person.language, identity);
    const key = `appt:${a.id}:v${a.version}:${c.cancel ? 'cancelled' : 'moved'}:inv:${kase.id}`;
    const offered = options.map(sessionInfo);
    let render: (t: TextContext) => string[];
    let subject: 'cancelled' | 'moved' | 'choiceMoved';
    if (c.cancel) {
      subject = 'cancelled';
      render = (t) => this.texts.cancelled(t, sessionInfo(before), offered);
    } else if (!options.length) {
      subject = 'moved';
      render = (t) => [this.texts.movedNoOffer(t, sessionInfo(a))];
    } else {
      subject = 'choiceMoved';
      const head = this.kindTitle(ctx, options[0] as Appointment);
      render = (t) => [this.texts.choice(t, 'choiceMoved', head, offered)];
    }
    await this.queueAll(tx, org, kase.person, identity, render(ctx), {
      key,
      urgent: c.urgent,
      notAfter: c.cancel
        ? before.startsAt > now
          ? before.startsAt
          : undefined
        : options[0]?.startsAt,
      contextId: kase.id,
      email: this.emailCopy(
        org,
        ctx,
        subject,
        c.cancel ? sessionInfo(before) : sessionInfo(a),
        render,
      ),
      now,
    });
    return true;
  }

  /** Pending relaunches of a case move to its new version (or go, with nothing to offer). */
  private async carryInvitationFires(
    tx: Tx,
    invitationId: string,
    version: number,
    keep: boolean,
  ): Promise<void> {
    const pending = await tx.scheduledFire.findMany({
      where: {
        subjectType: 'invitation',
        subjectId: invitationId,
        kind: FIRE_INVITATION,
        status: 'pending',
      },
    });
    if (!pending.length) return;
    await tx.scheduledFire.updateMany({
      where: { id: { in: pending.map((f) => f.id) } },
      data: { status: 'skipped' },
    });
    if (!keep) return;
    await this.insertFires(
      tx,
      pending.map((f) => ({
        organisationId: f.organisationId as string,
        kind: f.kind,
        dueAt: f.dueAt,
        subjectType: f.subjectType,
        subjectId: f.subjectId,
        subjectVersion: version,
        payload: f.payload as object,
        dedupeKey: `inv:${invitationId}:v${version}:${(f.payload as { point?: string }).point}`,
      })),
    );
  }

  // ---------------------------------------------------------------------------------
  // Attendance

  async markAttendance(
    organisationId: string,
    appointmentId: string,
    entries: { person: string; state: 'present' | 'absent' | 'excused'; line?: number }[],
  ): Promise<{ updated: number; problems: string[] }> {
    return this.transaction(async (tx) => {
      const now = this.now();
      const a = await tx.appointment.findFirst({ where: { id: appointmentId, organisationId } });
      if (!a) throw new AppointmentError(404, 'no such appointment in this organisation');
      if (a.startsAt.getTime() - now.getTime() > 2 * 3_600_000) {
        throw new AppointmentError(409, 'attendance is recorded once the session has started');
      }
      const participations = await tx.participation.findMany({
        where: { appointmentId },
        include: { person: { select: { id: true, externalRef: true } } },
      });
      const problems: string[] = [];
      let updated = 0;
      for (const e of entries) {
        const p = participations.find(
          (x) => x.person.externalRef === e.person || x.personId === e.person,
        );
        const where = e.line ? `line ${e.line}: ` : '';
        if (!p) {
          problems.push(`${where}"${e.person}" is not a participant of this session`);
          continue;
        }
        if (['declined', 'wants_other_date', 'cancelled'].includes(p.state)) {
          problems.push(`${where}"${e.person}" was not expected at this session (${p.state})`);
          continue;
        }
        await tx.participation.update({
          where: { id: p.id },
          data: { state: e.state, attendanceAt: now },
        });
        if (p.invitationId) {
          await tx.invitation.updateMany({
            where: { id: p.invitationId, participationId: p.id },
            data: { status: 'done', awaiting: null },
          });
        }
        // Participation asks people who came to a RIO for their avis on the welcome.
        if (e.state === 'present') {
          await this.deps.onPresent?.(tx, { appointment: a, personId: p.personId, now });
        }
        updated++;
      }
      return { updated, problems };
    });
  }

  // ---------------------------------------------------------------------------------
  // Rights and duties

  /**
   * A person recorded as newly oriented: the information sequence is planned (once per
   * orientation date), due within the quarter after orientation.
   */
  async recordOrientations(
    tx: Tx,
    org: OrganisationContext,
    people: { personId: string; orientedAt: Date }[],
    now: Date,
  ): Promise<number> {
    if (!people.length) return 0;
    const { rights } = org.settings;
    const rows = people.map((p) => ({
      id: uuidv7(now.getTime()),
      organisationId: org.id,
      personId: p.personId,
      orientedAt: p.orientedAt,
      deadline: new Date(p.orientedAt.getTime() + rights.deadlineDays * DAY_MS),
      createdAt: now,
    }));
    const created = new Set(
      await bulkInsertReturningIds(
        tx,
        'RightsInformation',
        COLUMNS.RightsInformation,
        rowsOf(COLUMNS.RightsInformation, rows),
      ),
    );
    const fires: FireRow[] = [];
    for (const r of rows) {
      if (!created.has(r.id)) continue;
      // Sent from now on (an orientation recorded late is informed late, not never).
      const base = r.orientedAt > now ? r.orientedAt : now;
      rights.steps.forEach((step, i) => {
        const dueAt =
          step.days === 0 && !step.at ? base : shiftLocal(base, step.days, step.at, org.timezone);
        fires.push({
          organisationId: org.id,
          kind: FIRE_RIGHTS,
          dueAt,
          subjectType: 'rights',
          subjectId: r.id,
          subjectVersion: 0,
          payload: { step: i },
          dedupeKey: `rights:${r.id}:${i}`,
        });
      });
    }
    await this.insertFires(tx, fires);
    return created.size;
  }

  /** rights.step: one message of the information sequence. */
  async onRightsFire(fire: ScheduledFire, now: Date): Promise<FireOutcome> {
    return this.transaction(async (tx) => {
      const r = await tx.rightsInformation.findUnique({
        where: { id: fire.subjectId },
        include: { person: { include: { identities: true } } },
      });
      if (!r || r.informedAt) return 'skipped';
      const org = await this.organisation(tx, r.organisationId);
      const index = Number((fire.payload as { step?: number }).step ?? 0);
      const step = org.settings.rights.steps[index];
      if (!step) return 'skipped';
      const identity = appointmentIdentity(r.person.identities);
      if (!identity) return 'skipped';
      const ctx = this.textContext(org, r.person.language, identity);
      await enqueue(
        tx,
        {
          organisationId: org.id,
          personId: r.personId,
          identityId: identity.id,
          channel: identity.channel,
          text: this.texts.pick(ctx, [
            this.texts.t(ctx.lang, `rights.${step.text}`, { org: org.signature }),
          ]),
          // Owed information, not a reminder: it neither waits for nor uses up the
          // week's room that rendez-vous reminders need (contact pressure).
          purpose: 'system',
          idempotencyKey: `fire:${fire.id}`,
          contextType: CONTEXT_RIGHTS,
          contextId: r.id,
        },
        now,
      );
      return 'done';
    }, 30_000);
  }
}

/** Everything a reply needs to answer the person where they wrote. */
class ReplyContext {
  readonly lang: string;
  readonly textContext: TextContext;
  /** Who reads messages and calls back, as said in a sentence ("l'équipe…"). */
  readonly who: string;
  /** The same, at the start of a sentence. */
  readonly Who: string;
  private index = 0;

  constructor(
    service: AppointmentService,
    readonly tx: Tx,
    readonly org: OrganisationContext,
    readonly person: { id: string; language: string; organisationId: string },
    readonly identity: ChannelIdentity,
    readonly cause: string,
    readonly now: Date,
    referent: { displayName: string } | null,
  ) {
    this.lang = person.language;
    this.textContext = {
      lang: person.language,
      timeZone: org.timezone,
      org: org.signature,
      channel: identity.channel,
      smsAccents: org.smsAccents,
    };
    this.who = service.texts.who(this.lang, referent?.displayName);
    this.Who = this.who.charAt(0).toUpperCase() + this.who.slice(1);
  }

  /** An answer to what the person just wrote (the outbox marks it as a reply). */
  async send(text: string, invitationId: string | null, notAfter?: Date): Promise<void> {
    await enqueue(
      this.tx,
      {
        organisationId: this.org.id,
        personId: this.person.id,
        identityId: this.identity.id,
        channel: this.identity.channel,
        text,
        purpose: 'appointment',
        idempotencyKey: `${this.cause}:${this.index++}`,
        notAfter,
        contextType: invitationId ? CONTEXT_CASE : CONTEXT_RIGHTS,
        contextId: invitationId ?? undefined,
      },
      this.now,
    );
  }
}
