// The glue between channels and the engine: an inbound message finds its person, goes
// through the keywords (STOP, START, AIDE, leave), then to the person's active run; the
// engine's effects become outbox rows, fires and results, all in one transaction so an
// answer is applied once and completely, or not at all.

import { randomUUID } from 'node:crypto';
import {
  type ChannelCapabilities,
  defaultCapabilities,
  flowButtonData,
  type InboundEvent,
  parseFlowButtonData,
} from '../channels/channel.js';
import type { Clock } from '../clock.js';
import { normalizeAnswer, parseKeyword } from '../domain/answers/index.js';
import {
  type Effect,
  type FlowDefinition,
  type FlowEvent,
  type NotifyEffect,
  promptOf,
  type RunState,
  render,
  retainedResults,
  type SaveEffect,
  step,
} from '../engine/index.js';
import type {
  ChannelIdentity,
  ChannelKind,
  FlowRun,
  MessagePurpose,
  Person,
  Prisma,
  PrismaClient,
  Territory,
} from '../generated/prisma/client.js';
import type { i18n } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { enqueue, REDACTED_PAYLOAD } from '../messaging/outbox.js';
import { cancelFires, type FireOutcome, scheduleFire } from '../scheduling/fires.js';
import type { FlowRegistry } from './flow-registry.js';
import { contactLine, helpText, type Texts, textsFor } from './texts.js';

type Tx = Prisma.TransactionClient;
type PersonWithTerritory = Person & { territory: Territory | null };

/** What a feature attached to runs of its own (consultations, appointments) does with them. */
export interface RunContextHooks {
  /** Stores a result; return true when stored, so no FlowResult row is written. */
  onSave?(tx: Tx, run: FlowRun, effect: SaveEffect, now: Date): Promise<boolean>;
  /** After every step that changed the run. */
  onStep?(tx: Tx, run: FlowRun, state: RunState, event: FlowEvent, now: Date): Promise<void>;
  /**
   * Whether the run's answers must never sit next to the person (an anonymous
   * consultation). Without this hook, only avis flows are anonymous.
   */
  anonymous?(tx: Tx, run: FlowRun): Promise<boolean>;
  purpose?: MessagePurpose;
}

/** Somebody to tell: a run's node says `notify:`. */
export type NotifyHandler = (
  tx: Tx,
  ctx: {
    run: FlowRun;
    person: PersonWithTerritory;
    def: FlowDefinition;
    effect: NotifyEffect;
    now: Date;
    cause: string;
  },
) => Promise<void>;

/** A reply that is not for a run (an appointment reminder's "1", "2", "3"...). */
export type InboundHandler = (
  tx: Tx,
  ctx: {
    event: InboundEvent;
    person: PersonWithTerritory;
    identity: ChannelIdentity;
    texts: Texts;
    now: Date;
    cause: string;
  },
) => Promise<boolean>;

export interface ConversationDeps {
  prisma: PrismaClient;
  flows: FlowRegistry;
  i18n: i18n;
  clock: Clock;
  logger: Logger;
  capabilities?: Partial<Record<ChannelKind, ChannelCapabilities>>;
}

export type InboundOutcome =
  | 'duplicate'
  | 'unknown_sender'
  | 'stop'
  | 'start'
  | 'help'
  | 'left'
  | 'answered'
  | 'stale'
  | 'handled'
  | 'started'
  | 'closed'
  | 'no_run';

const TX_OPTIONS = { timeout: 30_000, maxWait: 30_000 };

// The run row keeps only the results the engine reads back (engine/graph.ts
// retainedResults: what branches test, what a notify passes on); every result is also filed
// in its own row (FlowResult, or the consultation's answers), so an answer's cost stays flat
// however long the questionnaire. An anonymous run keeps nothing once it ends.
function storedState(def: FlowDefinition, state: RunState, scrub: boolean): RunState {
  const results: RunState['results'] = {};
  if (!scrub) {
    for (const name of retainedResults(def)) {
      const r = state.results[name];
      if (r) results[name] = r;
    }
  }
  return { ...state, results };
}

/** Midnight UTC of the day: what anonymous rows keep of a time. */
function dayOf(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

/** An answer to a run that ended this long ago gets "this is over", not "no question". */
const LATE_ANSWER_MS = 7 * 86_400_000;
/** A wait timeout of a questionnaire put aside (an avis in between) is tried again then. */
const POSTPONE_TIMEOUT_MS = 3_600_000;

export class ConversationService {
  private readonly hooks = new Map<string, RunContextHooks>();
  private readonly notifyHandlers: NotifyHandler[] = [];
  private readonly inboundHandlers: InboundHandler[] = [];
  /** Handlers asked before the person's active run (they decide whether to take it). */
  private readonly earlyInboundHandlers: InboundHandler[] = [];
  /** Keyword (normalised) that starts a flow for a person with no active run, e.g. "avis". */
  private readonly startWords = new Map<string, string>();

  constructor(private readonly deps: ConversationDeps) {}

  get flows(): FlowRegistry {
    return this.deps.flows;
  }

  registerContext(contextType: string, hooks: RunContextHooks): void {
    this.hooks.set(contextType, hooks);
  }
  onNotify(handler: NotifyHandler): void {
    this.notifyHandlers.push(handler);
  }
  /**
   * A handler for replies that are not for a run. With `beforeRun` it is asked before
   * the person's active run: it must then only take what is clearly its own (an
   * appointment answer right after an appointment message), or the run loses answers.
   */
  onInbound(handler: InboundHandler, options: { beforeRun?: boolean } = {}): void {
    (options.beforeRun ? this.earlyInboundHandlers : this.inboundHandlers).push(handler);
  }
  /** A word that starts a flow at any time ("AVIS"); during another run, that run waits. */
  startWord(word: string, flowId: string): void {
    this.startWords.set(normalizeAnswer(word), flowId);
  }

  capabilities(channel: ChannelKind): ChannelCapabilities {
    return this.deps.capabilities?.[channel] ?? defaultCapabilities[channel];
  }

  texts(lang: string): Texts {
    return textsFor(this.deps.i18n, lang);
  }

  // -------------------------------------------------------------------------------
  // Runs

  /**
   * Starts a flow for a person on one of their identities (in the caller's transaction
   * when given). `cause` makes the start idempotent: the same cause starts one run.
   */
  async startRun(
    opts: {
      personId: string;
      identityId: string;
      flowId: string;
      contextType?: string;
      contextId?: string;
      /** Overrides the flow's own expiry (a consultation ends at its deadline). */
      expiresAt?: Date;
      cause: string;
      /** Messages already sent under this cause (their keys are `${cause}:<n>`). */
      sentBefore?: number;
    },
    tx?: Tx,
  ): Promise<FlowRun> {
    const work = async (db: Tx) => {
      const def = this.deps.flows.current(opts.flowId);
      if (!def) throw new Error(`unknown flow ${opts.flowId}`);
      const now = this.deps.clock();
      const identity = await db.channelIdentity.findUniqueOrThrow({
        where: { id: opts.identityId },
      });
      const person = await db.person.findUniqueOrThrow({
        where: { id: opts.personId },
        include: { territory: true },
      });
      const texts = this.texts(person.language);
      const result = step(def, undefined, { type: 'start' }, now, { localizer: texts.localizer });
      if (opts.expiresAt && result.state.status === 'active') {
        const at = opts.expiresAt;
        result.state.expiresAt = at.toISOString();
        result.effects = [
          ...result.effects.filter((e) => !(e.type === 'schedule' && e.kind === 'flow.expire')),
          { type: 'schedule', kind: 'flow.expire', at, step: result.state.step },
        ];
      }
      const run = await db.flowRun.create({
        data: {
          organisationId: person.organisationId,
          personId: person.id,
          flowId: def.id,
          flowVersion: def.version,
          channel: identity.channel,
          identityId: identity.id,
          status: result.state.status,
          currentNodeId: result.state.nodeId,
          state: result.state as unknown as object,
          stepCount: result.state.step,
          contextType: opts.contextType ?? null,
          contextId: opts.contextId ?? null,
          startedAt: now,
          expiresAt: result.state.expiresAt ? new Date(result.state.expiresAt) : null,
        },
      });
      await this.applyEffects(
        db,
        { run, def, person, identity, texts, now, cause: opts.cause, index: opts.sentBefore },
        result.effects,
        result.state,
        { type: 'start' },
      );
      return run;
    };
    return tx ? work(tx) : this.deps.prisma.$transaction(work, TX_OPTIONS);
  }

  /** Steps one run with an event under a row lock, so concurrent events apply in turn. */
  async stepRun(
    tx: Tx,
    runId: string,
    event: FlowEvent,
    cause: string,
    identityOverride?: ChannelIdentity,
    knownPerson?: PersonWithTerritory,
  ): Promise<{ changed: boolean; run: FlowRun; anonymous: boolean }> {
    await tx.$queryRaw`SELECT id FROM "FlowRun" WHERE id = ${runId}::uuid FOR UPDATE`;
    const run = await tx.flowRun.findUniqueOrThrow({ where: { id: runId } });
    const def = await this.deps.flows.get(run.flowId, run.flowVersion, tx);
    const person =
      knownPerson?.id === run.personId
        ? knownPerson
        : await tx.person.findUniqueOrThrow({
            where: { id: run.personId },
            include: { territory: true },
          });
    const identity =
      identityOverride ??
      (run.identityId
        ? await tx.channelIdentity.findUnique({ where: { id: run.identityId } })
        : null);
    if (!identity) throw new Error(`run ${run.id} has no identity to talk to`);
    const texts = this.texts(person.language);
    const now = this.deps.clock();
    const state = run.state as unknown as RunState;
    const result = step(def, state, event, now, { localizer: texts.localizer });
    const changed = result.state.step !== state.step || result.state.status !== state.status;
    const { anonymous } = await this.applyEffects(
      tx,
      { run, def, person, identity, texts, now, cause },
      result.effects,
      result.state,
      event,
    );
    return { changed, run, anonymous };
  }

  /** Whether a run's answers must never sit next to the person. */
  private async anonymityOf(tx: Tx, run: FlowRun, def: FlowDefinition): Promise<boolean> {
    const hooks = run.contextType ? this.hooks.get(run.contextType) : undefined;
    if (hooks?.anonymous) return hooks.anonymous(tx, run);
    // An avis is read for what it says, never next to a name.
    return def.kind === 'avis';
  }

  private async applyEffects(
    tx: Tx,
    ctx: {
      run: FlowRun;
      def: FlowDefinition;
      person: PersonWithTerritory;
      identity: ChannelIdentity;
      texts: Texts;
      now: Date;
      cause: string;
      index?: number;
    },
    effects: Effect[],
    state: RunState,
    event: FlowEvent,
  ): Promise<{ anonymous: boolean }> {
    const { run, person, identity, texts, now, cause } = ctx;
    const hooks = run.contextType ? this.hooks.get(run.contextType) : undefined;
    const purpose = hooks?.purpose ?? 'conversation';
    const caps = this.capabilities(identity.channel);
    const anonymous = await this.anonymityOf(tx, run, ctx.def);
    let ended = false;
    let index = ctx.index ?? 0;
    const send = async (text: string, buttons?: { label: string; data: string }[]) => {
      await enqueue(
        tx,
        {
          organisationId: run.organisationId,
          personId: person.id,
          identityId: identity.id,
          channel: identity.channel,
          text,
          buttons,
          purpose,
          idempotencyKey: `${cause}:${index++}`,
          contextType: 'run',
          contextId: run.id,
          // What the person is asked next shows which way they answered.
          redactAfterSend: anonymous,
        },
        now,
      );
    };
    for (const effect of effects) {
      switch (effect.type) {
        case 'send': {
          const rendered = render(effect, caps, texts.localizer);
          await send(
            rendered.text,
            rendered.buttons?.map((b) => ({
              label: b.label,
              data: flowButtonData(b.payload.nodeId, b.payload.choiceId),
            })),
          );
          break;
        }
        case 'save': {
          const stored = (await hooks?.onSave?.(tx, run, effect, now)) ?? false;
          // An anonymous run files no named result: its answers are the consultation's,
          // or (an avis) travel in the run state to the notify that files the avis.
          if (!stored && !anonymous) {
            await tx.flowResult.upsert({
              where: { runId_name: { runId: run.id, name: effect.name } },
              create: {
                runId: run.id,
                name: effect.name,
                nodeId: effect.nodeId,
                value: effect.value,
                category: effect.category ?? null,
                input: effect.input ?? null,
                createdAt: now,
              },
              update: {
                nodeId: effect.nodeId,
                value: effect.value,
                category: effect.category ?? null,
                input: effect.input ?? null,
              },
            });
          }
          break;
        }
        case 'schedule':
          await scheduleFire(tx, {
            organisationId: run.organisationId,
            kind: effect.kind,
            dueAt: effect.at,
            subjectType: 'run',
            subjectId: run.id,
            subjectVersion: effect.step,
            payload: effect.nodeId ? { nodeId: effect.nodeId } : {},
          });
          break;
        case 'cancelFires':
          await cancelFires(tx, {
            subjectType: 'run',
            subjectId: run.id,
            kinds: effect.kind === 'all' ? undefined : [effect.kind],
          });
          break;
        case 'notify':
          for (const handler of this.notifyHandlers) {
            await handler(tx, {
              run,
              person,
              def: ctx.def,
              effect,
              now,
              cause: `${cause}:notify:${index++}`,
            });
          }
          break;
        case 'offerHuman': {
          const contact = contactLine(person.territory);
          await send(
            contact
              ? texts.localizer.system('human.offer', { contact })
              : texts.localizer.system('human.offerNoContact'),
          );
          break;
        }
        case 'end':
          ended = true;
          break;
      }
    }
    const stored = storedState(ctx.def, state, ended && anonymous);
    const updated = await tx.flowRun.update({
      where: { id: run.id },
      data: {
        status: state.status,
        currentNodeId: state.nodeId,
        state: stored as unknown as object,
        stepCount: state.step,
        endedAt: ended ? now : run.endedAt,
      },
    });
    if (hooks?.onStep && state.step !== (run.state as unknown as RunState).step) {
      await hooks.onStep(tx, updated, state, event, now);
    }
    if (ended && (state.status === 'completed' || state.status === 'left')) {
      await this.resumeWaiting(tx, run, person, texts, now, `${cause}:${index++}`);
    }
    return { anonymous };
  }

  /**
   * A questionnaire put aside (the person wrote AVIS in the middle of it, or a newer one
   * came) picks up where it was once the other one is over: its current question again.
   */
  private async resumeWaiting(
    tx: Tx,
    ended: FlowRun,
    person: PersonWithTerritory,
    texts: Texts,
    now: Date,
    key: string,
  ): Promise<void> {
    const waiting = await tx.flowRun.findFirst({
      where: { personId: person.id, status: 'active', id: { not: ended.id } },
      orderBy: { startedAt: 'desc' },
    });
    if (!waiting?.currentNodeId || !waiting.identityId) return;
    const def = await this.deps.flows.get(waiting.flowId, waiting.flowVersion, tx);
    const node = def.nodes.find((n) => n.id === waiting.currentNodeId);
    const identity = await tx.channelIdentity.findUnique({ where: { id: waiting.identityId } });
    const prompt = node && promptOf(def, node, texts.localizer);
    if (!prompt || !identity) return;
    const rendered = render(prompt, this.capabilities(identity.channel), texts.localizer);
    const hooks = waiting.contextType ? this.hooks.get(waiting.contextType) : undefined;
    await enqueue(
      tx,
      {
        organisationId: waiting.organisationId,
        personId: person.id,
        identityId: identity.id,
        channel: identity.channel,
        text: `${texts.t('resume')}\n\n${rendered.text}`,
        buttons: rendered.buttons?.map((b) => ({
          label: b.label,
          data: flowButtonData(b.payload.nodeId, b.payload.choiceId),
        })),
        purpose: hooks?.purpose ?? 'conversation',
        idempotencyKey: key,
        contextType: 'run',
        contextId: waiting.id,
        redactAfterSend: await this.anonymityOf(tx, waiting, def),
      },
      now,
    );
  }

  /** The handler of the flow.timeout and flow.expire fires. */
  async handleRunFire(fire: {
    id: string;
    kind: string;
    subjectId: string;
    subjectVersion: number;
    payload: unknown;
    organisationId?: string | null;
  }): Promise<FireOutcome> {
    return this.deps.prisma.$transaction(async (tx) => {
      const run = await tx.flowRun.findUnique({ where: { id: fire.subjectId } });
      if (run?.status !== 'active') return 'skipped';
      if (fire.kind === 'flow.timeout') {
        // Put aside for a newer questionnaire (an avis): moving on now would send its next
        // question in the middle of the other one. The wait is tried again later.
        const newer = await tx.flowRun.findFirst({
          where: { personId: run.personId, status: 'active', startedAt: { gt: run.startedAt } },
          select: { id: true },
        });
        if (newer) {
          await scheduleFire(tx, {
            organisationId: fire.organisationId ?? run.organisationId,
            kind: fire.kind,
            dueAt: new Date(this.deps.clock().getTime() + POSTPONE_TIMEOUT_MS),
            subjectType: 'run',
            subjectId: run.id,
            subjectVersion: fire.subjectVersion,
            payload: (fire.payload ?? {}) as Record<string, unknown>,
            dedupeKey: `postponed:${fire.id}`,
          });
          return 'skipped';
        }
      }
      const event: FlowEvent =
        fire.kind === 'flow.expire'
          ? { type: 'expire' }
          : {
              type: 'timeout',
              nodeId: String((fire.payload as { nodeId?: string })?.nodeId ?? ''),
              step: fire.subjectVersion,
            };
      const { changed } = await this.stepRun(tx, run.id, event, `fire:${fire.id}`);
      return changed ? 'done' : 'skipped';
    }, TX_OPTIONS);
  }

  // -------------------------------------------------------------------------------
  // Inbound

  async handleInbound(event: InboundEvent): Promise<InboundOutcome> {
    const { prisma, logger } = this.deps;
    return prisma.$transaction(async (tx) => {
      const identity = await tx.channelIdentity.findFirst({
        where: {
          channel: event.channel,
          address: event.address,
          ...(event.organisationId ? { organisationId: event.organisationId } : {}),
        },
        orderBy: { updatedAt: 'desc' },
      });
      const now = this.deps.clock();
      if (!identity) {
        // Nothing is kept of a stranger's message: no person, no consent, no purpose.
        logger.info({ channel: event.channel }, 'inbound message from an unknown address');
        return 'unknown_sender';
      }
      // Stored first, under the channel's own id: a redelivered message stops here.
      const created = await tx.message.createManyAndReturn({
        select: { id: true },
        data: [
          {
            organisationId: identity.organisationId,
            personId: identity.personId,
            identityId: identity.id,
            direction: 'inbound',
            channel: event.channel,
            status: 'received',
            body: event.text ?? (event.voiceRef ? '[voice]' : ''),
            payload:
              event.buttonData || event.voiceRef
                ? ({ buttonData: event.buttonData, voiceRef: event.voiceRef } as object)
                : undefined,
            idempotencyKey: `in:${event.channel}:${event.providerMessageId}`,
            createdAt: event.receivedAt,
          },
        ],
        skipDuplicates: true,
      });
      const inbound = created[0];
      if (!inbound) return 'duplicate';
      if (identity.unreachableAt) {
        // They wrote from it: the address works again (a bot unblocked, a number back).
        await tx.channelIdentity.update({
          where: { id: identity.id },
          data: { unreachableAt: null, unreachableReason: null },
        });
        identity.unreachableAt = null;
      }
      const cause = `reply:${inbound.id}`;
      const person = await tx.person.findUniqueOrThrow({
        where: { id: identity.personId },
        include: { territory: true },
      });
      const texts = this.texts(person.language);
      let index = 0;
      const reply = (text: string, evenIfOptedOut = false) =>
        enqueue(
          tx,
          {
            organisationId: identity.organisationId,
            personId: person.id,
            identityId: identity.id,
            channel: identity.channel,
            text,
            purpose: 'system',
            urgent: true,
            idempotencyKey: `${cause}:${index++}`,
            evenIfOptedOut,
          },
          now,
        );

      const keyword = event.text ? parseKeyword(event.text) : undefined;
      if (keyword === 'stop') {
        if (!identity.optedOutAt) {
          await tx.channelIdentity.update({
            where: { id: identity.id },
            data: {
              optedOutAt: now,
              consentEvents: {
                create: { action: 'opted_out', source: `${event.channel}:STOP`, at: now },
              },
            },
          });
          // The one message an opted-out address still gets: the confirmation.
          await reply(texts.t('stop.confirmed'), true);
        }
        return 'stop';
      }
      if (keyword === 'start') {
        await tx.channelIdentity.update({
          where: { id: identity.id },
          data: {
            optedOutAt: null,
            consent: 'granted',
            consentAt: now,
            consentSource: `${event.channel}:START`,
            consentEvents: {
              create: { action: 'opted_in', source: `${event.channel}:START`, at: now },
            },
          },
        });
        identity.optedOutAt = null;
        await reply(texts.t('start.confirmed'));
        return 'start';
      }
      if (identity.optedOutAt) {
        // Opted out and writing anything but START: keep the message, send nothing.
        return 'handled';
      }
      if (keyword === 'help') {
        await reply(`${helpText(texts, person.territory)} ${texts.t('help.commands')}`);
        return 'help';
      }
      const run = await tx.flowRun.findFirst({
        where: { personId: person.id, status: 'active' },
        orderBy: { startedAt: 'desc' },
      });
      // An answer to an anonymous questionnaire is applied, then its text leaves the row
      // that names the person (the row stays: it deduplicates redeliveries).
      const forget = async () => {
        await tx.message.update({
          where: { id: inbound.id },
          data: { body: '', payload: REDACTED_PAYLOAD },
        });
        if (event.voiceRef) {
          // The facilitators' voice route finds a note by an inbound row of the
          // organisation: this one names nobody, has a random id and the day only.
          const day = dayOf(now);
          await tx.message.create({
            data: {
              id: randomUUID(),
              organisationId: identity.organisationId,
              direction: 'inbound',
              channel: event.channel,
              status: 'received',
              body: '',
              payload: { voiceRef: event.voiceRef },
              idempotencyKey: `voice:${randomUUID()}`,
              notBefore: day,
              createdAt: day,
            },
          });
        }
      };
      if (keyword === 'leave') {
        if (!run) {
          await reply(texts.t('leave.noRun'));
          return 'left';
        }
        await this.stepRun(tx, run.id, { type: 'leave' }, cause, identity, person);
        return 'left';
      }
      const pressed = event.buttonData ? parseFlowButtonData(event.buttonData) : undefined;
      const startFlow =
        event.text && !pressed ? this.startWords.get(normalizeAnswer(event.text)) : undefined;
      if (startFlow && run?.flowId !== startFlow && this.deps.flows.current(startFlow)) {
        // AVIS is a keyword like the others, at any time. In the middle of a questionnaire,
        // that one waits while the avis runs, then picks up where it was (resumeWaiting).
        if (run) await reply(texts.t('avis.meanwhile'));
        await this.startRun(
          {
            personId: person.id,
            identityId: identity.id,
            flowId: startFlow,
            cause,
            sentBefore: index,
          },
          tx,
        );
        return 'started';
      }
      if (!pressed) {
        for (const handler of this.earlyInboundHandlers) {
          if (await handler(tx, { event, person, identity, texts, now, cause })) return 'handled';
        }
      }
      if (run && (event.text?.trim() || pressed || event.voiceRef)) {
        const text = event.voiceRef ? `[voice:${event.voiceRef}]` : event.text;
        const { anonymous } = await this.stepRun(
          tx,
          run.id,
          {
            type: 'answer',
            ...(text ? { text } : {}),
            ...(pressed ? { payload: pressed } : {}),
            ...(event.voiceRef ? { voice: true } : {}),
          },
          cause,
          identity,
          person,
        );
        if (anonymous) await forget();
        return 'answered';
      }
      const last = run
        ? undefined
        : await tx.flowRun.findFirst({
            where: { personId: person.id },
            orderBy: { startedAt: 'desc' },
          });
      if (pressed && last) {
        // A button of a finished questionnaire: the engine answers that it is over.
        const { anonymous } = await this.stepRun(
          tx,
          last.id,
          { type: 'answer', payload: pressed },
          cause,
          identity,
        );
        if (anonymous) await forget();
        return 'stale';
      }
      for (const handler of this.inboundHandlers) {
        if (await handler(tx, { event, person, identity, texts, now, cause })) return 'handled';
      }
      if (
        last?.status === 'expired' &&
        last.endedAt &&
        now.getTime() - last.endedAt.getTime() < LATE_ANSWER_MS
      ) {
        // An answer after the deadline: say the questionnaire is over, not "no question".
        await reply(
          last.contextType === 'consultation'
            ? texts.t('consultation.closed')
            : texts.localizer.system('closed'),
        );
        const def = await this.deps.flows.get(last.flowId, last.flowVersion, tx);
        if (await this.anonymityOf(tx, last, def)) await forget();
        return 'closed';
      }
      const contact = contactLine(person.territory);
      await reply(contact ? texts.t('noRun', { contact }) : texts.t('noRunNoContact'));
      return 'no_run';
    }, TX_OPTIONS);
  }
}
