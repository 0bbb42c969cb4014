/**
 * The pure flow engine: step(definition, state, event, now, ctx) -> { state, effects }.
 *
 * No I/O, no clock, no randomness, no replay. The state is one small row (current ask,
 * misses, step counter, named results); the work of one answer depends on the definition,
 * never on how many answers came before. The caller carries out the effects (outbox rows,
 * fires, notifications) and stores the new state.
 */
import type { Localizer } from '../i18n/localizer.js';
import { type Interpreted, interpretAnswer } from './answer.js';
import { branchDefaultOf, type FlowIndex, indexOf, nextOf, noResponseOf } from './graph.js';
import { promptOf, retryOf } from './prompt.js';
import {
  type AskNode,
  type BranchNode,
  expiryOf,
  type FlowDefinition,
  parseDuration,
} from './schema.js';
import {
  type Effect,
  FlowEngineError,
  type FlowEvent,
  type RunResult,
  type RunState,
  type SendEffect,
  type StepResult,
} from './types.js';

export interface StepContext {
  localizer: Localizer;
  /** For dates such as "demain" (default Europe/Paris). */
  timeZone?: string;
}

export const DEFAULT_TIME_ZONE = 'Europe/Paris';

/** After this many unclear answers to one ask, the engine offers a human and moves on. */
export const MAX_MISSES = 2;

export function step(
  def: FlowDefinition,
  state: RunState | undefined,
  event: FlowEvent,
  now: Date,
  ctx: StepContext,
): StepResult {
  if (Number.isNaN(now.getTime())) throw new FlowEngineError('step needs a valid "now"');
  if (event.type === 'start') {
    if (state !== undefined) {
      throw new FlowEngineError(
        `a "start" event begins a new run; run ${state.flowId} v${state.flowVersion} already exists`,
      );
    }
    return start(def, now, ctx);
  }
  if (state === undefined) {
    throw new FlowEngineError(`a "${event.type}" event needs the run state it applies to`);
  }
  if (def.id !== state.flowId || def.version !== state.flowVersion) {
    throw new FlowEngineError(
      `run of flow ${state.flowId} v${state.flowVersion} cannot step with definition ${def.id} v${def.version}: pick the definition by state.flowId and state.flowVersion`,
    );
  }

  if (state.status !== 'active') {
    // Whatever arrives after the end changes nothing; an answer gets a short "this is closed".
    return event.type === 'answer'
      ? { state, effects: [closed(ctx.localizer)] }
      : { state, effects: [] };
  }

  switch (event.type) {
    case 'answer':
      if (state.expiresAt !== undefined && now.getTime() >= Date.parse(state.expiresAt)) {
        // The expiry fire is late (or lost): the run is over all the same.
        return finish(state, 'expired', [closed(ctx.localizer)]);
      }
      return answer(def, state, event, now, ctx);
    case 'timeout':
      return timeout(def, state, event, now, ctx);
    case 'expire':
      return finish(state, 'expired', []);
    case 'leave':
      return finish(state, 'left', []);
  }
}

function start(def: FlowDefinition, now: Date, ctx: StepContext): StepResult {
  const idx = indexOf(def);
  const expiry = expiryOf(def);
  const state: RunState = {
    flowId: def.id,
    flowVersion: def.version,
    status: 'active',
    nodeId: null,
    misses: 0,
    step: 1,
    results: {},
    startedAt: now.toISOString(),
  };
  if (expiry !== undefined) state.expiresAt = new Date(now.getTime() + expiry).toISOString();
  const effects: Effect[] = [];
  const next = advance(def, idx, idx.startId, state, effects, now, ctx);
  if (next.status === 'active' && next.expiresAt !== undefined) {
    effects.push({
      type: 'schedule',
      kind: 'flow.expire',
      at: new Date(next.expiresAt),
      step: next.step,
    });
  }
  return { state: next, effects };
}

function answer(
  def: FlowDefinition,
  state: RunState,
  event: Extract<FlowEvent, { type: 'answer' }>,
  now: Date,
  ctx: StepContext,
): StepResult {
  const idx = indexOf(def);
  const node = waitingAsk(def, idx, state);
  if (event.payload && event.payload.nodeId !== node.id) {
    // A button from an earlier question: say so, change nothing.
    const stale: SendEffect = {
      type: 'send',
      nodeId: event.payload.nodeId,
      role: 'stale',
      text: ctx.localizer.system('stale'),
    };
    return { state, effects: [stale] };
  }

  const parsed = interpretAnswer(
    def,
    node,
    event,
    now,
    ctx.localizer,
    ctx.timeZone ?? DEFAULT_TIME_ZONE,
  );
  if (parsed) return answered(def, idx, state, node, parsed, now, ctx);

  const misses = state.misses + 1;
  if (misses >= MAX_MISSES) {
    // Second unclear answer: offer a person, then take the no-response path, saving nothing.
    const effects: Effect[] = [{ type: 'offerHuman', nodeId: node.id }];
    if (node.timeout !== undefined) effects.push({ type: 'cancelFires', kind: 'flow.timeout' });
    const base = { ...state, misses: 0, step: state.step + 1 };
    const next = advance(def, idx, noResponseOf(idx, node), base, effects, now, ctx);
    return { state: next, effects };
  }

  const next: RunState = { ...state, misses, step: state.step + 1 };
  const effects: Effect[] = [retryOf(def, node, ctx.localizer)];
  if (node.timeout !== undefined) {
    // The wait starts again; the old fire no longer matches the step and would be a no-op.
    effects.push({ type: 'cancelFires', kind: 'flow.timeout' });
    effects.push(timeoutFire(node, next.step, now));
  }
  return { state: next, effects };
}

function answered(
  def: FlowDefinition,
  idx: FlowIndex,
  state: RunState,
  node: AskNode,
  parsed: Interpreted,
  now: Date,
  ctx: StepContext,
): StepResult {
  const result: RunResult = {
    value: parsed.value,
    ...(parsed.category !== undefined ? { category: parsed.category } : {}),
    ...(parsed.input !== undefined ? { input: parsed.input } : {}),
    nodeId: node.id,
  };
  const effects: Effect[] = [{ type: 'save', name: node.result, ...result }];
  // Only a wait with a timeout has a fire to cancel (a stale one would be a no-op anyway:
  // cancelling just keeps the table small), so a plain question costs no statement.
  if (node.timeout !== undefined) effects.push({ type: 'cancelFires', kind: 'flow.timeout' });
  const base: RunState = {
    ...state,
    misses: 0,
    step: state.step + 1,
    results: { ...state.results, [node.result]: result },
  };
  const choiceNext =
    node.ask === 'single' ? node.choices?.find((c) => c.id === parsed.value)?.next : undefined;
  const target = choiceNext ?? nextOf(idx, node);
  return { state: advance(def, idx, target, base, effects, now, ctx), effects };
}

function timeout(
  def: FlowDefinition,
  state: RunState,
  event: Extract<FlowEvent, { type: 'timeout' }>,
  now: Date,
  ctx: StepContext,
): StepResult {
  if (event.nodeId !== state.nodeId || event.step !== state.step) {
    return { state, effects: [] }; // a stale fire: the person answered, or the wait restarted
  }
  const idx = indexOf(def);
  const node = waitingAsk(def, idx, state);
  const effects: Effect[] = [];
  const base = { ...state, misses: 0, step: state.step + 1 };
  return { state: advance(def, idx, noResponseOf(idx, node), base, effects, now, ctx), effects };
}

/**
 * Runs from `fromId` through say and branch nodes until an ask (the run waits there) or an end.
 * Appends the effects; returns the new state. `base` already carries the incremented step.
 */
function advance(
  def: FlowDefinition,
  idx: FlowIndex,
  fromId: string | undefined,
  base: RunState,
  effects: Effect[],
  now: Date,
  ctx: StepContext,
): RunState {
  const loc = ctx.localizer;
  let id = fromId;
  // Without an ask in between, a walk longer than the flow is a loop (flows:check refuses these).
  for (let hops = 0; hops <= def.nodes.length; hops++) {
    if (id === undefined) return complete(base, effects); // no exit: the run is over
    const entry = idx.byId.get(id);
    if (!entry) {
      throw new FlowEngineError(`flow ${def.id} v${def.version}: unknown node "${id}"`);
    }
    const node = entry.node;
    if (node.notify !== undefined) {
      effects.push({
        type: 'notify',
        target: node.notify,
        reason: 'node',
        nodeId: node.id,
        results: base.results,
      });
    }
    switch (node.kind) {
      case 'say': {
        const send = promptOf(def, node, loc);
        if (send) effects.push(send);
        id = nextOf(idx, node);
        break;
      }
      case 'branch':
        id = evaluateBranch(idx, node, base.results);
        break;
      case 'end': {
        const send = promptOf(def, node, loc);
        if (send) effects.push(send);
        return complete(base, effects);
      }
      case 'ask': {
        const send = promptOf(def, node, loc);
        if (send) effects.push(send);
        if (node.timeout !== undefined) effects.push(timeoutFire(node, base.step, now));
        return { ...base, nodeId: node.id, misses: 0 };
      }
    }
  }
  throw new FlowEngineError(
    `flow ${def.id} v${def.version}: loop without a question through node "${id}"`,
  );
}

function evaluateBranch(
  idx: FlowIndex,
  node: BranchNode,
  results: RunState['results'],
): string | undefined {
  const r = results[node.branch];
  if (r) {
    const asked = idx.byId.get(r.nodeId)?.node;
    const multiple = asked?.kind === 'ask' && asked.ask === 'multiple';
    const values = new Set<string>(
      [r.value, r.category, ...(multiple ? r.value.split(' ') : [])]
        .filter((v): v is string => v !== undefined)
        .map((v) => v.toLowerCase()),
    );
    const n = Number(r.value.replace(',', '.'));
    for (const c of node.cases) {
      if (Array.isArray(c.when)) {
        if (c.when.some((w) => values.has(w.toLowerCase()))) return c.next;
      } else if (
        r.value.trim() !== '' &&
        Number.isFinite(n) &&
        (c.when.gte === undefined || n >= c.when.gte) &&
        (c.when.lte === undefined || n <= c.when.lte)
      ) {
        return c.next;
      }
    }
  }
  return branchDefaultOf(idx, node);
}

function waitingAsk(def: FlowDefinition, idx: FlowIndex, state: RunState): AskNode {
  const node = state.nodeId === null ? undefined : idx.byId.get(state.nodeId)?.node;
  if (node?.kind !== 'ask') {
    throw new FlowEngineError(
      `run of ${def.id} v${def.version} waits at "${state.nodeId}", which is not a question of this definition`,
    );
  }
  return node;
}

function timeoutFire(node: AskNode, stepNo: number, now: Date): Effect {
  const ms = parseDuration(node.timeout ?? '') ?? 0;
  return {
    type: 'schedule',
    kind: 'flow.timeout',
    at: new Date(now.getTime() + ms),
    nodeId: node.id,
    step: stepNo,
  };
}

function complete(base: RunState, effects: Effect[]): RunState {
  effects.push({ type: 'cancelFires', kind: 'all' }, { type: 'end', status: 'completed' });
  return { ...base, status: 'completed', nodeId: null, misses: 0 };
}

function finish(state: RunState, status: 'expired' | 'left', sends: SendEffect[]): StepResult {
  return {
    state: { ...state, status, nodeId: null, misses: 0, step: state.step + 1 },
    effects: [...sends, { type: 'cancelFires', kind: 'all' }, { type: 'end', status }],
  };
}

function closed(loc: Localizer): SendEffect {
  return { type: 'send', nodeId: '', role: 'closed', text: loc.system('closed') };
}
