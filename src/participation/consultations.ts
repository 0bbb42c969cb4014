// Consultations: a facilitator launches a flow to a group with a deadline. Members are
// invited on their preferred reachable channel, non-respondents get at most two
// reminders, runs close at the deadline, and answers are filed apart from identity.

import { flowButtonData } from '../channels/channel.js';
import type { Clock } from '../clock.js';
import type { ConversationService, RunContextHooks } from '../conversations/service.js';
import { type AskNode, type FlowDefinition, promptOf, render } from '../engine/index.js';
import type {
  ChannelIdentity,
  Consultation,
  Prisma,
  PrismaClient,
  ScheduledFire,
} from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { enqueue } from '../messaging/outbox.js';
import { type FireOutcome, scheduleFire } from '../scheduling/fires.js';
import { responseKey } from './anonymity.js';
import { buildReport, type ConsultationReport } from './results.js';

type Tx = Prisma.TransactionClient;
const DAY = 86_400_000;
const TX = { timeout: 30_000, maxWait: 30_000 };

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
          where: { consultationId: c.id, personId: run.personId, respondedAt: null },
          data: { respondedAt: now },
        });
        return true;
      },
      onStep: async (tx, run, state, _event, now) => {
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
        if (state.status === 'completed') {
          await tx.consultationInvite.updateMany({
            where: { consultationId: c.id, personId: run.personId },
            data: { completedAt: now },
          });
        }
      },
      scrubResultsOnEnd: async (tx, run) =>
        (await this.consultationOf(tx, run.contextId)).anonymous,
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
    await tx.consultationResponse.createMany({
      data: [{ consultationId: c.id, responseKey: key, day }],
      skipDuplicates: true,
    });
    return tx.consultationResponse.findUniqueOrThrow({
      where: { consultationId_responseKey: { consultationId: c.id, responseKey: key } },
    });
  }

  async launch(
    req: LaunchRequest,
  ): Promise<{ consultation: Consultation; invited: number; unreachable: number }> {
    const { prisma, conversations, clock } = this.deps;
    const now = clock();
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
    const consultation = await prisma.consultation.create({
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
      },
    });
    await prisma.$transaction(async (tx) => {
      for (const [i, at] of reminders.entries()) {
        await scheduleFire(tx, {
          organisationId: req.organisationId,
          kind: 'consultation.reminder',
          dueAt: at,
          subjectType: 'consultation',
          subjectId: consultation.id,
          subjectVersion: consultation.version,
          payload: { index: i },
          dedupeKey: `consultation:${consultation.id}:v${consultation.version}:reminder:${i}`,
        });
      }
      await scheduleFire(tx, {
        organisationId: req.organisationId,
        kind: 'consultation.close',
        dueAt: req.deadline,
        subjectType: 'consultation',
        subjectId: consultation.id,
        subjectVersion: consultation.version,
        dedupeKey: `consultation:${consultation.id}:v${consultation.version}:close`,
      });
    }, TX);

    const members = await prisma.membership.findMany({
      where: { groupId: group.id, role: 'member', leftAt: null },
      include: { person: { include: { identities: true } } },
    });
    let invited = 0;
    let unreachable = 0;
    for (const m of members) {
      const identity = reachableIdentity(m.person.identities);
      // One transaction per person: a failure for one does not lose the others' invitations.
      await prisma.$transaction(async (tx) => {
        if (!identity) {
          await tx.consultationInvite.create({
            data: {
              consultationId: consultation.id,
              personId: m.personId,
              invitedAt: now,
              unreachable: 'no channel with consent',
            },
          });
          unreachable++;
          return;
        }
        const run = await conversations.startRun(
          {
            personId: m.personId,
            identityId: identity.id,
            flowId: def.id,
            contextType: 'consultation',
            contextId: consultation.id,
            // The consultation's deadline closes the run, not the flow's own expiry.
            expiresAt: req.deadline,
            cause: `consultation:${consultation.id}:invite:${m.personId}`,
          },
          tx,
        );
        await tx.consultationInvite.create({
          data: {
            consultationId: consultation.id,
            personId: m.personId,
            channel: identity.channel,
            runId: run.id,
            invitedAt: now,
          },
        });
        invited++;
      }, TX);
    }
    this.deps.logger.info(
      { consultationId: consultation.id, invited, unreachable },
      'consultation launched',
    );
    return { consultation, invited, unreachable };
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
        respondedAt: null,
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
        const texts = conversations.texts(person.language);
        const prompt = promptOf(def, node, texts.localizer);
        const rendered = prompt
          ? render(prompt, conversations.capabilities(identity.channel), texts.localizer)
          : undefined;
        await enqueue(
          tx,
          {
            organisationId: c.organisationId,
            personId: person.id,
            identityId: identity.id,
            channel: identity.channel,
            text: rendered ? `${texts.t('reminder')}\n\n${rendered.text}` : texts.t('reminder'),
            buttons: rendered?.buttons?.map((b) => ({
              label: b.label,
              data: flowButtonData(b.payload.nodeId, b.payload.choiceId),
            })),
            purpose: 'consultation',
            idempotencyKey: `fire:${fire.id}:${invite.id}`,
            contextType: 'run',
            contextId: run.id,
            notAfter: c.deadline,
          },
          now,
        );
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

  async list(organisationId: string) {
    return this.deps.prisma.consultation.findMany({
      where: { organisationId },
      orderBy: { launchedAt: 'desc' },
      include: { group: { select: { code: true, name: true } } },
    });
  }

  async report(organisationId: string, id: string): Promise<ConsultationReport> {
    const { prisma, conversations } = this.deps;
    const c = await prisma.consultation.findFirst({ where: { id, organisationId } });
    if (!c) throw new ConsultationError(404, 'no such consultation in this organisation');
    const def: FlowDefinition = await conversations.flows.get(c.flowId, c.flowVersion);
    const [invited, responded, responses, answers] = await Promise.all([
      prisma.consultationInvite.count({ where: { consultationId: c.id } }),
      prisma.consultationInvite.count({
        where: { consultationId: c.id, respondedAt: { not: null } },
      }),
      prisma.consultationResponse.findMany({
        where: { consultationId: c.id },
        select: { id: true, lastNodeId: true, completed: true },
      }),
      prisma.consultationAnswer.findMany({
        where: { response: { consultationId: c.id } },
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
        deadline: c.deadline.toISOString(),
        minAnswers: c.minAnswers,
      },
      def,
      invited,
      responded,
      responses,
      answers,
    });
  }
}
