/**
 * The engine's data: the run state (one database row), the events it is given and the
 * effects it asks the caller to carry out. Everything here is JSON-serialisable except the
 * `Date` of a schedule effect.
 */
import type { AskKind, NotifyTarget } from './schema.js';

export type RunStatus = 'active' | 'completed' | 'expired' | 'left';

/** A named result: the last answer given to an ask that stores `result: <name>`. */
export interface RunResult {
  /** Choice id(s) (space-separated for multiple), 'yes'/'no', a number, 'YYYY-MM-DD' or the text. */
  value: string;
  /** The category a branch can test: the choice id, 'yes'/'no', 'voice' for a voice note. */
  category?: string;
  /** What the person typed, when it differs from the value. */
  input?: string;
  /** The ask that stored it. */
  nodeId: string;
}

export interface RunState {
  flowId: string;
  flowVersion: number;
  status: RunStatus;
  /** The ask waiting for an answer; null once the run has ended. */
  nodeId: string | null;
  /** Unclear answers given to the current ask. */
  misses: number;
  /** Incremented on every state change; a timeout fire carries the step it was scheduled at. */
  step: number;
  results: Record<string, RunResult>;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601, when the flow has an expiry. */
  expiresAt?: string;
}

export type FlowEvent =
  | { type: 'start' }
  | {
      type: 'answer';
      text?: string;
      payload?: { nodeId: string; choiceId: string };
      /** The text stands for a voice note the channel received (never set for typed text). */
      voice?: boolean;
    }
  | { type: 'timeout'; nodeId: string; step: number }
  | { type: 'expire' }
  | { type: 'leave' };

export type SendRole = 'say' | 'ask' | 'retry' | 'stale' | 'end' | 'closed';

export interface AskSpec {
  kind: AskKind;
  /** Localised labels, in order (single and multiple). */
  choices?: { id: string; label: string }[];
  /** Scale ends, or number bounds. */
  min?: number;
  max?: number;
  /** Localised labels of the scale ends. */
  labels?: { min?: string; max?: string };
}

export interface SendEffect {
  type: 'send';
  nodeId: string;
  role: SendRole;
  /**
   * Localised text. For 'ask' the question alone (render adds options and footer); for 'retry'
   * "I did not understand." (render adds `hint`, or a tap-a-button line when there are buttons).
   */
  text: string;
  /** The question being asked ('ask' and 'retry'): what a channel needs for buttons. */
  ask?: AskSpec;
  /** For 'ask': the author's hint (localised). For 'retry': the expected answer ("Répondez 1, 2 ou 3."). */
  hint?: string;
}

export interface SaveEffect {
  type: 'save';
  name: string;
  nodeId: string;
  value: string;
  category?: string;
  input?: string;
}

export type FireKind = 'flow.timeout' | 'flow.expire';

export interface ScheduleEffect {
  type: 'schedule';
  kind: FireKind;
  at: Date;
  nodeId?: string;
  step: number;
}

export interface CancelFiresEffect {
  type: 'cancelFires';
  kind: 'flow.timeout' | 'all';
}

export interface NotifyEffect {
  type: 'notify';
  target: NotifyTarget;
  /** 'node': a node carries `notify:`. 'human_contact' is for the conversation layer (an accepted offerHuman). */
  reason: 'human_contact' | 'node';
  nodeId: string;
  results: RunState['results'];
}

export interface OfferHumanEffect {
  type: 'offerHuman';
  nodeId: string;
}

export interface EndEffect {
  type: 'end';
  status: Exclude<RunStatus, 'active'>;
}

export type Effect =
  | SendEffect
  | SaveEffect
  | ScheduleEffect
  | CancelFiresEffect
  | NotifyEffect
  | OfferHumanEffect
  | EndEffect;

export interface StepResult {
  state: RunState;
  effects: Effect[];
}

/** A misuse of the engine by its caller (wrong definition for a state, missing state…). */
export class FlowEngineError extends Error {
  override name = 'FlowEngineError';
}
