// Consultations: a facilitator launches a flow to a group with a deadline. Members are
// invited on their preferred reachable channel, non-respondents get at most two
// reminders, runs close at the deadline, and answers are filed apart from identity.
// A standing consultation has no group and no deadline: people are invited one by one
// when something happens (the avis on the welcome after a RIO, see avis-after-rio.ts).

import { createHash } from 'node:crypto';
import { flowButtonData } from '../channels/channel.js';
import type { Clock } from '../clock.js';
import type { ConversationService, RunContextHooks } from '../conversations/service.js';
import { type AskNode, type FlowDefinition, promptOf, render } from '../engine/index.js';
import {
  type ChannelIdentity,
  type Consultation,
  Prisma,
  type PrismaClient,
  type ScheduledFire,
} from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { enqueue } from '../messaging/outbox.js';
import { type FireOutcome, scheduleFire } from '../scheduling/fires.js';
import { responseKey } from './anonymity.js';
import { buildReport, type ConsultationReport } from './results.js';

type Tx = Prisma.TransactionClient;
const DAY = 86_400_000;
const TX = { timeout: 30_000, maxWait: 30_000 };
/** The invitation loop runs at launch; this fire finishes it if the process stopped midway. */
const INVITE_RESUME_MS = 5 * 60_000;
export const FIRE_INVITE = 'consultation.invite';

export class ConsultationError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface LaunchRequest {
  organisationId: string;
  group: string;
  flowId: string;
  deadline: Date;
  anonymous?: boolean;
  minAnswers?: number;
  /** Reminder times for non-respondents; default 3 days after launch and 48 h before the deadline. */
  reminders?: Date[];
  title?: string;
  /** The Idempotency-Key of the request: the same key launches once. */
  idempotencyKey?: string;
}

export interface LaunchOutcome {
  consultation: Consultation;
  invited: number;
  unreachable: number;
  /** The same Idempotency-Key came before: this is that launch, its invitations finished. */
  replayed: boolean;
}

/** What the report of a period counts: invitations sent and answers given in it. */
export interface Period {
  from?: Date;
  to?: Date;
}

/** The request as launched, to tell a retry from another request under the same key. */
function requestHash(req: LaunchRequest): string {
  const canonical = JSON.stringify([
    req.group,
    req.flowId,
    req.deadline.toISOString(),
    req.anonymous ?? null,
    req.minAnswers ?? null,
    req.reminders?.map((d) => d.toISOString()) ?? null,
    req.title ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Picks the identity to invite a person on: preferred first, then any usable one. */
export function reachableIdentity(identities: ChannelIdentity[]): ChannelIdentity | undefined {
  const usable = identities.filter(
    (i) => i.consent === 'granted' && !i.optedOutAt && !i.unreachableAt,
  );
  // Messaging apps before SMS when both are usable and none is preferred: free and richer.
  const rank = (i: ChannelIdentity) =>
    (i.preferred ? 0 : 10) + ['telegram', 'web', 'slack', 'sms', 'email'].indexOf(i.channel);
  return usable.sort((a, b) => rank(a) - rank(b))[0];
}

export class ConsultationService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      conversations: ConversationService;
      clock: Clock;
      logger: Logger;
      anonymityKey: string;
    },
  ) {}

  get flows() {
    return this.deps.conversations.flows;
  }

  /** The run hooks that file a consultation's answers apart from identity. */
  hooks(): RunContextHooks {
    return {
      purpose: 'consultation',
      onSave: async (tx, run, effect, now) => {
        const c = await this.consultationOf(tx, run.contextId);
        const response = await this.response(tx, c, run.personId, now);
        await tx.consultationAnswer.upsert({
          where: { responseId_name: { responseId: response.id, name: effect.name } },
          create: {
            responseId: response.id,
            name: effect.name,
            nodeId: effect.nodeId,
            value: effect.value,
            category: effect.category ?? null,
          },
          update: { nodeId: effect.nodeId, value: effect.value, category: effect.category ?? null },
        });
        await tx.consultationInvite.updateMany({
          where: { consultationId: c.id, personId: run.personId, responded: false },
          data: { responded: true },
        });
        return true;
      },
      onStep: async (tx, run, state) => {
        const c = await this.consultationOf(tx, run.contextId);
        const key = this.keyOf(c, run.personId);
        const existing = await tx.consultationResponse.findUnique({
          where: { consultationId_responseKey: { consultationId: c.id, responseKey: key } },
        });
        // Only people who answered something have a response to follow.
        if (!existing) return;
        // An expired or abandoned run keeps the question where the person stopped.
        const completed = state.status === 'completed';
        await tx.consultationResponse.update({
          where: { id: existing.id },
          data: completed
            ? { lastNodeId: null, completed: true }
            : state.nodeId
              ? { lastNodeId: state.nodeId }
              : {},
        });
      },
      anonymous: async (tx, run) => (await this.consultationOf(tx, run.contextId)).anonymous,
    };
  }

  private async consultationOf(tx: Tx, id: string | null): Promise<Consultation> {
    if (!id) throw new Error('a consultation run without its consultation id');
    return tx.consultation.findUniqueOrThrow({ where: { id } });
  }

  private keyOf(c: Consultation, personId: string): string {
    return c.anonymous ? responseKey(this.deps.anonymityKey, c.id, personId) : personId;
  }

  private async response(tx: Tx, c: Consultation, personId: string, now: Date) {
    const key = this.keyOf(c, personId);
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    // The id is a random v4 (schema.prisma): a time-ordered one would date the answer.
    await tx.consultationResponse.createMany({
      data: [{ consultationId: c.id, responseKey: key, day }],
      skipDuplicates: true,
    });
    return tx.consultationResponse.findUniqueOrThrow({
      where: { consultationId_responseKey: { consultationId: c.id, responseKey: key } },
    });
  }

  /**
   * Launches a consultation: the consultation, its reminders, its deadline and a fire that
   * finishes the invitations are written in one transaction; the members are then invited
   * one transaction each. A crash midway loses nobody (the fire, or the same request again,
   * invites whoever is left), and the same Idempotency-Key never launches twice.
   */
  async launch(req: LaunchRequest): Promise<LaunchOutcome> {
    const { prisma, conversations, clock } = this.deps;
    const now = clock();
    const hash = requestHash(req);
    if (req.idempotencyKey) {
      const earlier = await this.byIdempotencyKey(req.organisationId, req.idempotencyKey, hash);
      if (earlier) return this.replay(earlier);
    }
    const def = conversations.flows.current(req.flowId);
    if (!def) throw new ConsultationError(404, `no flow "${req.flowId}"`);
    if (def.kind !== 'consultation' && def.kind !== 'forum-poll') {
      throw new ConsultationError(
        400,
        `flow "${req.flowId}" is a ${def.kind}, not a consultation or forum-poll`,
      );
    }
    if (req.deadline.getTime() < now.getTime() + 3_600_000) {
      throw new ConsultationError(400, 'deadline must be at least one hour from now');
    }
    const group = await prisma.group.findFirst({
      where: {
        organisationId: req.organisationId,
        OR: [
          { code: req.group },
          ...(/^[0-9a-f-]{36}$/.test(req.group) ? [{ id: req.group }] : []),
        ],
      },
    });
    if (!group) throw new ConsultationError(404, `no group "${req.group}" in this organisation`);
    const reminders = (
      req.reminders ?? [
        new Date(now.getTime() + 3 * DAY),
        new Date(req.deadline.getTime() - 2 * DAY),
      ]
    )
      .filter((d) => d > now && d < req.deadline)
      .sort((a, b) => a.getTime() - b.getTime());
    if (reminders.length > 2) throw new ConsultationError(400, 'at most two reminders');
    let consultation: Consultation;
    try {
      consultation = await prisma.$transaction(async (tx) => {
        const c = await tx.consultation.create({
          data: {
            organisationId: req.organisationId,
            groupId: group.id,
            flowId: def.id,
            flowVersion: def.version,
            title: req.title ?? def.title,
            anonymous: req.anonymous ?? true,
            minAnswers: req.minAnswers ?? 5,
            reminders: reminders.map((d) => d.toISOString()),
            launchedAt: now,
            deadline: req.deadline,
            idempotencyKey: req.idempotencyKey ?? null,
            requestHash: req.idempotencyKey ? hash : null,
          },
        });
        const fire = (kind: string, dueAt: Date, name: string, payload?: object) =>
          scheduleFire(tx, {
            organisationId: req.organisationId,
            kind,
            dueAt,
            subjectType: 'consultation',
            subjectId: c.id,
            subjectVersion: c.version,
            payload: payload as Record<string, unknown> | undefined,
            dedupeKey: `consultation:${c.id}:v${c.version}:${name}`,
          });
        for (const [i, at] of reminders.entries()) {
          await fire('consultation.reminder', at, `reminder:${i}`, { index: i });
        }
        await fire('consultation.close', req.deadline, 'close');
        await fire(FIRE_INVITE, new Date(now.getTime() + INVITE_RESUME_MS), 'invite');
        return c;
      }, TX);
    } catch (error) {
      // Two requests with the same key at once: the other one launched it.
      if (
        req.idempotencyKey &&
        error instanceof Prisma.PrismaClientKnownRequestError &&
        error.code === 'P2002'
      ) {
        const earlier = await this.byIdempotencyKey(req.organisationId, req.idempotencyKey, hash);
        if (earlier) return this.replay(earlier);
      }
      throw error;
    }
    const counts = await this.inviteMembers(consultation, now);
    this.deps.logger.info({ consultationId: consultation.id, ...counts }, 'consultation launched');
    return { consultation, ...counts, replayed: false };
  }

  private async byIdempotencyKey(
    organisationId: string,
    key: string,
    hash: string,
  ): Promise<Consultation | undefined> {
    const c = await this.deps.prisma.consultation.findUnique({
      where: { organisationId_idempotencyKey: { organisationId, idempotencyKey: key } },
    });
    if (c && c.requestHash !== hash) {
      throw new ConsultationError(
        422,
        'this Idempotency-Key was used for a different request; use a new key for a new consultation',
      );
    }
    return c ?? undefined;
  }

  /** The same request again: finish its invitations (a crash may have stopped them). */
  private async replay(c: Consultation): Promise<LaunchOutcome> {
    const counts =
      c.status === 'open' ? await this.inviteMembers(c, this.deps.clock()) : await this.counts(c);
    return { consultation: c, ...counts, replayed: true };
  }

  /** consultation.invite: finishes a launch that stopped midway (nothing to do otherwise). */
  async resumeInvites(fire: ScheduledFire, now: Date): Promise<FireOutcome> {
    const c = await this.deps.prisma.consultation.findUnique({ where: { id: fire.subjectId } });
    if (c?.status !== 'open' || c.version !== fire.subjectVersion) return 'skipped';
    await this.inviteMembers(c, now);
    return 'done';
  }

  /**
   * Invites every member without an invitation yet, one transaction each: the invitation
   * row and the run (with its first messages) are written together, and the row's unique
   * key makes a second loop running at the same time skip the person.
   */
  private async inviteMembers(
    c: Consultation,
    now: Date,
  ): Promise<{ invited: number; unreachable: number }> {
    const { prisma } = this.deps;
    if (!c.groupId) return this.counts(c);
    const done = new Set(
      (
        await prisma.consultationInvite.findMany({
          where: { consultationId: c.id },
          select: { personId: true },
        })
      ).map((i) => i.personId),
    );
    const members = await prisma.membership.findMany({
      where: { groupId: c.groupId, role: 'member', leftAt: null },
      include: { person: { include: { identities: true } } },
    });
    for (const m of members) {
      if (done.has(m.personId)) continue;
      await prisma.$transaction(
        (tx) =>
          this.invite(tx, c, m.personId, reachableIdentity(m.person.identities), {
            cause: `consultation:${c.id}:invite:${m.personId}`,
            // The consultation's deadline closes the run, not the flow's own expiry.
            expiresAt: c.deadline ?? undefined,
            now,
          }),
        TX,
      );
    }
    return this.counts(c);
  }

  /** One invitation: true when this call made it (false: somebody already had one). */
  private async invite(
    tx: Tx,
    c: Consultation,
    personId: string,
    identity: ChannelIdentity | undefined,
    opts: { cause: string; expiresAt?: Date; now: Date },
  ): Promise<boolean> {
    const { count } = await tx.consultationInvite.createMany({
      data: [
        {
          consultationId: c.id,
          personId,
          channel: identity?.channel ?? null,
          invitedAt: opts.now,
          unreachable: identity ? null : 'no channel with consent',
        },
      ],
      skipDuplicates: true,
    });
    if (count === 0 || !identity) return count === 1;
    const run = await this.deps.conversations.startRun(
      {
        personId,
        identityId: identity.id,
        flowId: c.flowId,
        contextType: 'consultation',
        contextId: c.id,
        expiresAt: opts.expiresAt,
        cause: opts.cause,
      },
      tx,
    );
    await tx.consultationInvite.update({
      where: { consultationId_personId: { consultationId: c.id, personId } },
      data: { runId: run.id },
    });
    return true;
  }

  private async counts(c: Consultation): Promise<{ invited: number; unreachable: number }> {
    const [invited, unreachable] = await Promise.all([
      this.deps.prisma.consultationInvite.count({
        where: { consultationId: c.id, unreachable: null },
      }),
      this.deps.prisma.consultationInvite.count({
        where: { consultationId: c.id, unreachable: { not: null } },
      }),
    ]);
    return { invited, unreachable };
  }

  /**
   * The standing consultation of a flow in an organisation (created on first use): anonymous,
   * no group, no deadline. A new flow version gets its own, as its questions may differ.
   */
  async standing(
    tx: Tx,
    organisationId: string,
    def: FlowDefinition,
    opts: { minAnswers: number; now: Date },
  ): Promise<Consultation> {
    const standingKey = `${organisationId}:${def.id}:v${def.version}`;
    await tx.consultation.createMany({
      data: [
        {
          organisationId,
          flowId: def.id,
          flowVersion: def.version,
          title: def.title,
          anonymous: true,
          minAnswers: opts.minAnswers,
          launchedAt: opts.now,
          standingKey,
        },
      ],
      skipDuplicates: true,
    });
    return tx.consultation.findUniqueOrThrow({ where: { standingKey } });
  }

  /**
   * Invites one person to a standing consultation, in the caller's transaction. Once per
   * person and consultation; the run ends by the flow's own expiry.
   */
  async inviteToStanding(
    tx: Tx,
    c: Consultation,
    person: { id: string; identities: ChannelIdentity[] },
    cause: string,
    now: Date,
  ): Promise<boolean> {
    return this.invite(tx, c, person.id, reachableIdentity(person.identities), { cause, now });
  }

  /** consultation.reminder: non-respondents whose run still waits get the question again. */
  async remind(fire: ScheduledFire, now: Date): Promise<FireOutcome> {
    const { prisma, conversations } = this.deps;
    const c = await prisma.consultation.findUnique({ where: { id: fire.subjectId } });
    if (c?.status !== 'open' || c.version !== fire.subjectVersion) return 'skipped';
    const def = await conversations.flows.get(c.flowId, c.flowVersion);
    const invites = await prisma.consultationInvite.findMany({
      where: {
        consultationId: c.id,
        responded: false,
        runId: { not: null },
        remindersSent: { lt: 2 },
      },
    });
    for (const invite of invites) {
      await prisma.$transaction(async (tx) => {
        const run = await tx.flowRun.findUnique({ where: { id: invite.runId as string } });
        if (run?.status !== 'active' || !run.currentNodeId || !run.identityId) return;
        const node = def.nodes.find((n) => n.id === run.currentNodeId) as AskNode | undefined;
        const identity = await tx.channelIdentity.findUnique({ where: { id: run.identityId } });
        const person = await tx.person.findUniqueOrThrow({ where: { id: run.personId } });
        if (!node || !identity) return;
        // Put aside for an avis the person is giving: a reminder now would cut across it.
        const newer = await tx.flowRun.count({
          where: { personId: run.personId, status: 'active', startedAt: { gt: run.startedAt } },
        });
        if (newer > 0) return;
        const texts = conversations.texts(person.language);
        const prompt = promptOf(def, node, texts.localizer);
        // flows:check counts this prefix in the SMS length of a reminded question.
        const reminder = texts.localizer.system('reminder');
        const rendered = prompt
          ? render(prompt, conversations.capabilities(identity.channel), texts.localizer)
          : undefined;
        const { created } = await enqueue(
          tx,
          {
            organisationId: c.organisationId,
            personId: person.id,
            identityId: identity.id,
            channel: identity.channel,
            text: rendered ? `${reminder}\n\n${rendered.text}` : reminder,
            buttons: rendered?.buttons?.map((b) => ({
              label: b.label,
              data: flowButtonData(b.payload.nodeId, b.payload.choiceId),
            })),
            purpose: 'consultation',
            idempotencyKey: `fire:${fire.id}:${invite.id}`,
            contextType: 'run',
            contextId: run.id,
            notAfter: c.deadline ?? undefined,
            redactAfterSend: c.anonymous,
          },
          now,
        );
        // A fire run again (a crash after the enqueue) finds its message there: not counted twice.
        if (!created) return;
        await tx.consultationInvite.update({
          where: { id: invite.id },
          data: { remindersSent: { increment: 1 } },
        });
      }, TX);
    }
    return 'done';
  }

  /** consultation.close: the deadline. Runs still open end as expired. */
  async close(fire: ScheduledFire, now: Date): Promise<FireOutcome> {
    const { prisma, conversations } = this.deps;
    const c = await prisma.consultation.findUnique({ where: { id: fire.subjectId } });
    if (!c || c.version !== fire.subjectVersion) return 'skipped';
    if (c.status === 'open') {
      await prisma.consultation.update({
        where: { id: c.id },
        data: { status: 'closed', closedAt: now },
      });
    }
    const runs = await prisma.flowRun.findMany({
      where: { contextType: 'consultation', contextId: c.id, status: 'active' },
      select: { id: true },
    });
    for (const run of runs) {
      await prisma.$transaction(
        (tx) => conversations.stepRun(tx, run.id, { type: 'expire' }, `fire:${fire.id}:${run.id}`),
        TX,
      );
    }
    return 'done';
  }

  async list(organisationId: string, filter: { flowId?: string } = {}) {
    return this.deps.prisma.consultation.findMany({
      where: { organisationId, ...(filter.flowId ? { flowId: filter.flowId } : {}) },
      orderBy: { launchedAt: 'desc' },
      include: { group: { select: { code: true, name: true } } },
    });
  }

  /**
   * Results of a consultation; with a period (a standing consultation is read month by
   * month), the invitations sent in it and the answers of the people who began in it.
   */
  async report(
    organisationId: string,
    id: string,
    period: Period = {},
  ): Promise<ConsultationReport> {
    const { prisma, conversations } = this.deps;
    const c = await prisma.consultation.findFirst({ where: { id, organisationId } });
    if (!c) throw new ConsultationError(404, 'no such consultation in this organisation');
    if (period.from && period.to && period.from >= period.to) {
      throw new ConsultationError(400, 'from must be before to');
    }
    const def: FlowDefinition = await conversations.flows.get(c.flowId, c.flowVersion);
    const between =
      period.from || period.to
        ? { ...(period.from ? { gte: period.from } : {}), ...(period.to ? { lt: period.to } : {}) }
        : undefined;
    const invites = { consultationId: c.id, ...(between ? { invitedAt: between } : {}) };
    const inResponses = { consultationId: c.id, ...(between ? { day: between } : {}) };
    const [invited, responded, responses, answers] = await Promise.all([
      prisma.consultationInvite.count({ where: invites }),
      prisma.consultationInvite.count({ where: { ...invites, responded: true } }),
      prisma.consultationResponse.findMany({
        where: inResponses,
        select: { id: true, lastNodeId: true, completed: true },
      }),
      prisma.consultationAnswer.findMany({
        where: { response: inResponses },
        select: { responseId: true, name: true, nodeId: true, value: true, category: true },
      }),
    ]);
    return buildReport({
      consultation: {
        id: c.id,
        title: c.title,
        flowId: c.flowId,
        flowVersion: c.flowVersion,
        anonymous: c.anonymous,
        status: c.status,
        launchedAt: c.launchedAt.toISOString(),
        deadline: c.deadline?.toISOString() ?? null,
        minAnswers: c.minAnswers,
        standing: c.standingKey !== null,
        ...(between
          ? {
              period: {
                from: period.from?.toISOString() ?? null,
                to: period.to?.toISOString() ?? null,
              },
            }
          : {}),
      },
      def,
      invited,
      responded,
      responses,
      answers,
    });
  }
}
