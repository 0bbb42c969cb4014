// The glue between channels and the engine: an inbound message finds its person, goes
// through the keywords (STOP, START, AIDE, leave), then to the person's active run; the
// engine's effects become outbox rows, fires and results, all in one transaction so an
// answer is applied once and completely, or not at all.
import {
  type ChannelCapabilities,
  defaultCapabilities,
  flowButtonData,
  type InboundEvent,
  parseFlowButtonData,
} from '../channels/channel.js';
import type { Clock } from '../clock.js';
import { parseKeyword } from '../domain/answers/index.js';
import {
  type Effect,
  type FlowDefinition,
  type FlowEvent,
  type NotifyEffect,
  type RunState,
  render,
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
import { enqueue } from '../messaging/outbox.js';
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
  /** Removes the results from the run row once it ends (anonymous answers). */
  scrubResultsOnEnd?(tx: Tx, run: FlowRun): Promise<boolean>;
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
  | 'no_run';

const TX_OPTIONS = { timeout: 30_000, maxWait: 30_000 };

// Results the engine reads back from the run row: the ones branches test, or all of them
// when a node notifies somebody with the results. Every result is also stored in its own
// row (FlowResult or the consultation's answers), so keeping only these in the run row
// keeps an answer's cost flat however long the questionnaire.
const keptResults = new WeakMap<FlowDefinition, Set<string> | 'all'>();
function resultsToKeep(def: FlowDefinition): Set<string> | 'all' {
  let kept = keptResults.get(def);
  if (!kept) {
    kept = def.nodes.some((n) => 'notify' in n && n.notify)
      ? 'all'
      : new Set(def.nodes.flatMap((n) => (n.kind === 'branch' ? [n.branch] : [])));
    keptResults.set(def, kept);
  }
  return kept;
}

function storedState(def: FlowDefinition, state: RunState): RunState {
  const kept = resultsToKeep(def);
  if (kept === 'all') return state;
  const results: RunState['results'] = {};
  for (const name of kept) {
    const r = state.results[name];
    if (r) results[name] = r;
  }
  return { ...state, results };
}

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
  startWord(word: string, flowId: string): void {
    this.startWords.set(word, flowId);
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
        { run, def, person, identity, texts, now, cause: opts.cause },
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
  ): Promise<{ changed: boolean; run: FlowRun }> {
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
    await this.applyEffects(
      tx,
      { run, def, person, identity, texts, now, cause },
      result.effects,
      result.state,
      event,
    );
    return { changed, run };
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
    },
    effects: Effect[],
    state: RunState,
    event: FlowEvent,
  ): Promise<void> {
    const { run, person, identity, texts, now, cause } = ctx;
    const hooks = run.contextType ? this.hooks.get(run.contextType) : undefined;
    const purpose = hooks?.purpose ?? 'conversation';
    const caps = this.capabilities(identity.channel);
    let ended = false;
    let index = 0;
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
          if (!stored) {
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
    const scrub = ended && ((await hooks?.scrubResultsOnEnd?.(tx, run)) ?? false);
    const stored = scrub ? { ...state, results: {} } : storedState(ctx.def, state);
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
  }

  /** The handler of the flow.timeout and flow.expire fires. */
  async handleRunFire(fire: {
    id: string;
    kind: string;
    subjectId: string;
    subjectVersion: number;
    payload: unknown;
  }): Promise<FireOutcome> {
    return this.deps.prisma.$transaction(async (tx) => {
      const run = await tx.flowRun.findUnique({ where: { id: fire.subjectId } });
      if (run?.status !== 'active') return 'skipped';
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
      if (keyword === 'leave') {
        if (!run) {
          await reply(texts.t('leave.noRun'));
          return 'left';
        }
        await this.stepRun(tx, run.id, { type: 'leave' }, cause, identity, person);
        return 'left';
      }
      const pressed = event.buttonData ? parseFlowButtonData(event.buttonData) : undefined;
      if (!pressed) {
        for (const handler of this.earlyInboundHandlers) {
          if (await handler(tx, { event, person, identity, texts, now, cause })) return 'handled';
        }
      }
      if (run && (event.text?.trim() || pressed || event.voiceRef)) {
        const text = event.voiceRef ? `[voice:${event.voiceRef}]` : event.text;
        await this.stepRun(
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
        return 'answered';
      }
      if (pressed && !run) {
        // A button of a finished questionnaire: the engine answers that it is over.
        const last = await tx.flowRun.findFirst({
          where: { personId: person.id },
          orderBy: { startedAt: 'desc' },
        });
        if (last) {
          await this.stepRun(tx, last.id, { type: 'answer', payload: pressed }, cause, identity);
          return 'stale';
        }
      }
      for (const handler of this.inboundHandlers) {
        if (await handler(tx, { event, person, identity, texts, now, cause })) return 'handled';
      }
      const startFlow = event.text
        ? this.startWords.get(event.text.trim().toLowerCase())
        : undefined;
      if (startFlow && this.deps.flows.current(startFlow)) {
        await this.startRun(
          { personId: person.id, identityId: identity.id, flowId: startFlow, cause },
          tx,
        );
        return 'started';
      }
      const contact = contactLine(person.territory);
      await reply(contact ? texts.t('noRun', { contact }) : texts.t('noRunNoContact'));
      return 'no_run';
    }, TX_OPTIONS);
  }
}
