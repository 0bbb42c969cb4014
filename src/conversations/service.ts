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
import { type DirectSql, prismaRunner, type SqlRunner } from '../db/direct.js';
import { fromJsonRow } from '../db/json-rows.js';
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
import type { ClaimedRow } from '../messaging/dispatcher.js';
import { newMessageId, queuedSoFar } from '../messaging/outbox.js';
import { type FireOutcome, scheduleFire } from '../scheduling/fires.js';
import { Batcher } from './batcher.js';
import type { FlowRegistry } from './flow-registry.js';
import { contactLine, helpText, type Texts, textsFor } from './texts.js';
import { Writes } from './writes.js';

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
    /** Whether the person has a questionnaire going (the batch read it already). */
    activeRun: boolean;
  },
) => Promise<boolean>;

export interface ConversationDeps {
  prisma: PrismaClient;
  /** The statements of every answer, below Prisma (db/direct.ts). */
  sql: DirectSql;
  flows: FlowRegistry;
  i18n: i18n;
  clock: Clock;
  logger: Logger;
  capabilities?: Partial<Record<ChannelKind, ChannelCapabilities>>;
  /**
   * Batches of inbound messages handled side by side (default 1). The embedded database
   * has one connection: more would only wait for it.
   */
  maxBatchesInFlight?: number;
}

/** What an inbound message's batch found for it before it is handled. */
interface Found {
  identity?: ChannelIdentity;
  person?: PersonWithTerritory;
  /** The stored inbound row; none when the message was stored before (a redelivery). */
  inboundId?: string;
  /** The person's active run, locked. */
  run?: FlowRun;
  /**
   * The person's other active runs (questionnaires put aside), locked, newest first: what
   * resumes when `run` ends.
   */
  otherRuns?: FlowRun[];
}

/** The key an inbound message is stored under: the channel's own id of it. */
function inboundKey(event: InboundEvent): string {
  return `in:${event.channel}:${event.providerMessageId}`;
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

  private readonly inbound: Batcher<InboundEvent, InboundOutcome>;

  constructor(private readonly deps: ConversationDeps) {
    this.inbound = new Batcher((events) => this.handleBatch(events), {
      keyOf: (e) => `${e.channel}\n${e.address}`,
      maxSize: 50,
      maxInFlight: deps.maxBatchesInFlight ?? 1,
      gatherFirst: deps.sql.inThread,
    });
  }

  /** Where answers to what someone just wrote go at once (app.ts, with a dispatcher). */
  private outbound?: {
    /** The dispatcher instance the rows are claimed for. */
    claimAs: string;
    send(rows: ClaimedRow[]): void;
    /** A dispatcher turn soon, for messages left for it to claim. */
    dispatchSoon(): void;
  };

  /**
   * With a dispatcher in this process: answers to inbound messages are written claimed for
   * it and handed to it as soon as their transaction commits.
   */
  sendRepliesWith(outbound: NonNullable<ConversationService['outbound']>): void {
    this.outbound = outbound;
  }

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
    writes?: Writes,
  ): Promise<FlowRun> {
    const work = async (db: Tx) => {
      const own = writes ?? new Writes();
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
        own,
      );
      if (!writes) await own.flush({ sql: prismaRunner(db), prisma: db });
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
    const writes = new Writes();
    const run = await this.lockRun(tx, runId);
    const outcome = await this.stepLocked(
      tx,
      run,
      event,
      cause,
      writes,
      identityOverride,
      knownPerson,
    );
    await writes.flush({ sql: prismaRunner(tx), prisma: tx });
    return outcome;
  }

  /** The run's row, locked until the transaction ends. */
  private async lockRun(tx: Tx, runId: string): Promise<FlowRun> {
    const [run] = await tx.$queryRaw<FlowRun[]>`
      SELECT * FROM "FlowRun" WHERE id = ${runId}::uuid FOR UPDATE`;
    if (!run) throw new Error(`no run ${runId}`);
    return run;
  }

  /** Steps a run whose row this transaction has locked (and read since). */
  private async stepLocked(
    tx: Tx,
    run: FlowRun,
    event: FlowEvent,
    cause: string,
    writes: Writes,
    identityOverride?: ChannelIdentity,
    knownPerson?: PersonWithTerritory,
    /** The person's other active runs, read with `run` (Found.otherRuns). */
    otherRuns?: FlowRun[],
  ): Promise<{ changed: boolean; run: FlowRun; anonymous: boolean }> {
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
      { run, def, person, identity, texts, now, cause, otherRuns },
      result.effects,
      result.state,
      event,
      writes,
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
      /** The person's other active runs, if the caller read them already. */
      otherRuns?: FlowRun[];
    },
    effects: Effect[],
    state: RunState,
    event: FlowEvent,
    writes: Writes,
  ): Promise<{ anonymous: boolean }> {
    const { run, person, identity, texts, now, cause } = ctx;
    const hooks = run.contextType ? this.hooks.get(run.contextType) : undefined;
    const purpose = hooks?.purpose ?? 'conversation';
    const caps = this.capabilities(identity.channel);
    const anonymous = await this.anonymityOf(tx, run, ctx.def);
    let ended = false;
    let index = ctx.index ?? 0;
    const send = (text: string, buttons?: { label: string; data: string }[]) => {
      writes.message(
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
          send(
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
            writes.result({
              runId: run.id,
              name: effect.name,
              nodeId: effect.nodeId,
              value: effect.value,
              category: effect.category ?? null,
              input: effect.input ?? null,
              createdAt: now,
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
          writes.cancelFires({
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
          send(
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
    const row = {
      id: run.id,
      status: state.status,
      currentNodeId: state.nodeId,
      state: stored,
      stepCount: state.step,
      endedAt: ended ? now : run.endedAt,
      updatedAt: now,
    };
    writes.run(row);
    if (hooks?.onStep && state.step !== (run.state as unknown as RunState).step) {
      await hooks.onStep(tx, { ...run, ...row, state: stored as never }, state, event, now);
    }
    if (ended && (state.status === 'completed' || state.status === 'left')) {
      await this.resumeWaiting(tx, run, person, texts, now, `${cause}:${index++}`, writes, {
        otherRuns: ctx.otherRuns,
      });
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
    writes: Writes,
    known: { otherRuns?: FlowRun[] } = {},
  ): Promise<void> {
    // Read by the batch already in the common case (none waiting): no query then.
    const waiting = known.otherRuns
      ? known.otherRuns.find((r) => r.id !== ended.id)
      : await tx.flowRun.findFirst({
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
    writes.message(
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

  /**
   * Handles one inbound message: once (a redelivery is recognised by the channel's id),
   * after the person's earlier messages. Messages arriving together are handled in one
   * transaction (batcher.ts); each one's effects are the same as alone.
   */
  handleInbound(event: InboundEvent): Promise<InboundOutcome> {
    return this.inbound.submit(event);
  }

  private async handleBatch(events: InboundEvent[]): Promise<(InboundOutcome | Error)[]> {
    const outbound = this.outbound;
    const queued = queuedSoFar();
    try {
      // Below Prisma: what most answers need is the preload and the flush; Prisma joins the
      // transaction only when something rarer asks for it (a keyword, a feature's hook).
      const { outcomes, claimed } = await this.deps.sql.transaction(async ({ sql, prisma: tx }) => {
        const claim = () => outbound && { by: outbound.claimAs, at: this.deps.clock() };
        let writes = new Writes();
        const found = await this.preload(sql, events);
        const outcomes: InboundOutcome[] = [];
        const claimed: ClaimedRow[] = [];
        const seen = new Set<string>();
        for (const [i, event] of events.entries()) {
          let f = found[i] as Found;
          const personId = f.person?.id;
          if (personId && f.inboundId && seen.has(personId)) {
            // The same person wrote from another address too (an SMS and Telegram): the
            // runs the preload read may have moved since. What the batch has so far is
            // written, then their runs are read again.
            claimed.push(...(await writes.flush({ sql, prisma: tx }, claim())));
            writes = new Writes();
            f = { ...f, ...(await this.activeRuns(sql, personId)) };
          }
          if (personId) seen.add(personId);
          outcomes.push(await this.handleOne(tx, event, f, writes));
        }
        claimed.push(...(await writes.flush({ sql, prisma: tx }, claim(), { last: true })));
        return { outcomes, claimed };
      });
      // Committed: the answers go now; anything else queued, at the next dispatcher turn.
      outbound?.send(claimed);
      if (queuedSoFar() !== queued) outbound?.dispatchSoon();
      return outcomes;
    } catch (error) {
      if (events.length === 1) return [error instanceof Error ? error : new Error(String(error))];
      // One message that fails must not fail the others: each again, on its own.
      const outcomes: (InboundOutcome | Error)[] = [];
      for (const event of events) outcomes.push(...(await this.handleBatch([event])));
      return outcomes;
    }
  }

  /**
   * For each message: its sender's identity, person and territory, its stored inbound row
   * (none for a redelivery) and the person's active run, locked. One statement for the
   * whole batch: every round trip to the database is paid by every answer.
   */
  private async preload(sql: SqlRunner, events: InboundEvent[]): Promise<Found[]> {
    const keys = events.map((e, n) => ({
      n,
      channel: e.channel,
      address: e.address,
      org: e.organisationId ?? null,
      id: newMessageId(),
      body: e.text ?? (e.voiceRef ? '[voice]' : ''),
      payload:
        e.buttonData || e.voiceRef ? { buttonData: e.buttonData, voiceRef: e.voiceRef } : null,
      key: inboundKey(e),
      at: e.receivedAt.toISOString(),
    }));
    // m: the newest identity matching each sender (the same chat may be known to two
    // organisations), its person and their territory. ins: the messages, stored first
    // under the channel's own id, so that a redelivered one stops here. runs: the active
    // runs of the people whose message is new, locked in id order, so that two batches
    // never wait for each other's rows in turn.
    const [found] = await sql.query<{
      matches: { n: number; identity: unknown; person: unknown; territory: unknown }[];
      created: { id: string; key: string }[];
      runs: unknown[];
    }>(
      `WITH k AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS k(n int, channel text, address text,
                org uuid, id uuid, body text, payload jsonb, key text, at text)),
       m AS (
         SELECT k.*, i."organisationId" AS "orgId", i."personId", i.id AS "identityId",
                to_jsonb(i) AS identity, to_jsonb(p) AS person, to_jsonb(t) AS territory
           FROM k
           JOIN LATERAL (
             SELECT * FROM "ChannelIdentity" c
              WHERE c.channel = k.channel::"ChannelKind" AND c.address = k.address
                AND (k.org IS NULL OR c."organisationId" = k.org)
              ORDER BY c."updatedAt" DESC LIMIT 1) AS i ON true
           JOIN "Person" p ON p.id = i."personId"
           LEFT JOIN "Territory" t ON t.id = p."territoryId"),
       ins AS (
         INSERT INTO "Message" (id, "organisationId", "personId", "identityId", direction,
                channel, status, body, payload, "idempotencyKey", "createdAt")
         SELECT id, "orgId", "personId", "identityId", 'inbound', channel::"ChannelKind",
                'received', body, payload, key, at::timestamp(3)
           FROM m ORDER BY n
         ON CONFLICT DO NOTHING
         RETURNING id, "idempotencyKey", "personId"),
       runs AS (
         SELECT r.* FROM "FlowRun" r
          WHERE r."personId" IN (SELECT "personId" FROM ins) AND r.status = 'active'
          ORDER BY r.id FOR UPDATE)
       SELECT
         (SELECT coalesce(jsonb_agg(jsonb_build_object('n', n, 'identity', identity,
                 'person', person, 'territory', territory)), '[]'::jsonb) FROM m) AS matches,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'key', "idempotencyKey")),
                 '[]'::jsonb) FROM ins) AS created,
         (SELECT coalesce(jsonb_agg(to_jsonb(runs)), '[]'::jsonb) FROM runs) AS runs`,
      [JSON.stringify(keys)],
    );
    const identities: (ChannelIdentity & { person: PersonWithTerritory })[] = [];
    for (const m of found?.matches ?? []) {
      identities[m.n] = {
        ...fromJsonRow('ChannelIdentity', m.identity),
        person: {
          ...fromJsonRow('Person', m.person),
          territory: m.territory ? fromJsonRow('Territory', m.territory) : null,
        },
      };
    }
    const inboundIds = new Map((found?.created ?? []).map((c) => [c.key, c.id]));
    const runs = (found?.runs ?? []).map((r) => fromJsonRow('FlowRun', r));
    const activeOf = (personId: string) =>
      runs
        .filter((r) => r.personId === personId)
        .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
    return events.map((event, i) => {
      const identity = identities[i];
      if (!identity) return {};
      const inboundId = inboundIds.get(inboundKey(event));
      const { person, ...bare } = identity;
      const [run, ...otherRuns] = inboundId ? activeOf(person.id) : [];
      return {
        identity: bare,
        person,
        inboundId,
        run,
        otherRuns: run ? otherRuns : undefined,
      };
    });
  }

  /** A person's active runs, locked, newest first (as the preload gives them). */
  private async activeRuns(
    sql: SqlRunner,
    personId: string,
  ): Promise<Pick<Found, 'run' | 'otherRuns'>> {
    const rows = await sql.query<{ run: unknown }>(
      `SELECT to_jsonb(r) AS run FROM "FlowRun" r
        WHERE r."personId" = $1::uuid AND r.status = 'active'
        ORDER BY r."startedAt" DESC FOR UPDATE`,
      [personId],
    );
    const [run, ...otherRuns] = rows.map((r) => fromJsonRow('FlowRun', r.run));
    return { run, otherRuns };
  }

  private async handleOne(
    tx: Tx,
    event: InboundEvent,
    found: Found,
    writes: Writes,
  ): Promise<InboundOutcome> {
    const { logger } = this.deps;
    const { identity, person, inboundId, run } = found;
    const now = this.deps.clock();
    if (!identity || !person) {
      // Nothing is kept of a stranger's message: no person, no consent, no purpose.
      logger.info({ channel: event.channel }, 'inbound message from an unknown address');
      return 'unknown_sender';
    }
    if (!inboundId) return 'duplicate';
    if (identity.unreachableAt) {
      // They wrote from it: the address works again (a bot unblocked, a number back).
      await tx.channelIdentity.update({
        where: { id: identity.id },
        data: { unreachableAt: null, unreachableReason: null },
      });
      identity.unreachableAt = null;
    }
    const cause = `reply:${inboundId}`;
    const texts = this.texts(person.language);
    let index = 0;
    const reply = (text: string, evenIfOptedOut = false) =>
      writes.message(
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
        reply(texts.t('stop.confirmed'), true);
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
      reply(texts.t('start.confirmed'));
      return 'start';
    }
    if (identity.optedOutAt) {
      // Opted out and writing anything but START: keep the message, send nothing.
      return 'handled';
    }
    if (keyword === 'help') {
      reply(`${helpText(texts, person.territory)} ${texts.t('help.commands')}`);
      return 'help';
    }
    // An answer to an anonymous questionnaire is applied, then its text leaves the row
    // that names the person (the row stays: it deduplicates redeliveries).
    const forget = async () => {
      writes.blank(inboundId);
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
        reply(texts.t('leave.noRun'));
        return 'left';
      }
      await this.stepLocked(
        tx,
        run,
        { type: 'leave' },
        cause,
        writes,
        identity,
        person,
        found.otherRuns,
      );
      return 'left';
    }
    const pressed = event.buttonData ? parseFlowButtonData(event.buttonData) : undefined;
    const startFlow =
      event.text && !pressed ? this.startWords.get(normalizeAnswer(event.text)) : undefined;
    if (startFlow && run?.flowId !== startFlow && this.deps.flows.current(startFlow)) {
      // AVIS is a keyword like the others, at any time. In the middle of a questionnaire,
      // that one waits while the avis runs, then picks up where it was (resumeWaiting).
      if (run) reply(texts.t('avis.meanwhile'));
      await this.startRun(
        {
          personId: person.id,
          identityId: identity.id,
          flowId: startFlow,
          cause,
          sentBefore: index,
        },
        tx,
        writes,
      );
      return 'started';
    }
    if (!pressed) {
      for (const handler of this.earlyInboundHandlers) {
        const ctx = { event, person, identity, texts, now, cause, activeRun: Boolean(run) };
        if (await handler(tx, ctx)) return 'handled';
      }
    }
    if (run && (event.text?.trim() || pressed || event.voiceRef)) {
      const text = event.voiceRef ? `[voice:${event.voiceRef}]` : event.text;
      const { anonymous } = await this.stepLocked(
        tx,
        run,
        {
          type: 'answer',
          ...(text ? { text } : {}),
          ...(pressed ? { payload: pressed } : {}),
          ...(event.voiceRef ? { voice: true } : {}),
        },
        cause,
        writes,
        identity,
        person,
        found.otherRuns,
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
      const { anonymous } = await this.stepLocked(
        tx,
        await this.lockRun(tx, last.id),
        { type: 'answer', payload: pressed },
        cause,
        writes,
        identity,
        person,
      );
      if (anonymous) await forget();
      return 'stale';
    }
    for (const handler of this.inboundHandlers) {
      const ctx = { event, person, identity, texts, now, cause, activeRun: Boolean(run) };
      if (await handler(tx, ctx)) return 'handled';
    }
    if (
      last?.status === 'expired' &&
      last.endedAt &&
      now.getTime() - last.endedAt.getTime() < LATE_ANSWER_MS
    ) {
      // An answer after the deadline: say the questionnaire is over, not "no question".
      reply(
        last.contextType === 'consultation'
          ? texts.t('consultation.closed')
          : texts.localizer.system('closed'),
      );
      const def = await this.deps.flows.get(last.flowId, last.flowVersion, tx);
      if (await this.anonymityOf(tx, last, def)) await forget();
      return 'closed';
    }
    const contact = contactLine(person.territory);
    reply(contact ? texts.t('noRun', { contact }) : texts.t('noRunNoContact'));
    return 'no_run';
  }
}
