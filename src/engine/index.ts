/** The flow engine: definitions as data, a pure step function, channel-neutral rendering. */

export { type FlowCatalog, flowCatalog } from './catalog.js';
export {
  type CheckedFlow,
  type CheckOptions,
  checkDefinition,
  checkFlowSource,
  checkFlowSources,
  type FlowSummary,
  formatProblem,
  hasErrors,
  type Problem,
  parseFlowSource,
  summaryLine,
} from './check.js';
export { retainedResults } from './graph.js';
export { answerHint, askSpec, promptOf, smsFooter } from './prompt.js';
export {
  answerOptions,
  type RenderCaps,
  type Rendered,
  type RenderedButton,
  render,
} from './render.js';
export {
  type AskKind,
  type AskNode,
  type BranchNode,
  type Choice,
  type EndNode,
  expiryOf,
  type FlowDefinition,
  type FlowKind,
  type FlowNode,
  flowSchema,
  parseDuration,
  type SayNode,
} from './schema.js';
export { DEFAULT_TIME_ZONE, MAX_MISSES, type StepContext, step } from './step.js';
export type {
  AskSpec,
  CancelFiresEffect,
  Effect,
  EndEffect,
  FireKind,
  FlowEvent,
  NotifyEffect,
  OfferHumanEffect,
  RunResult,
  RunState,
  RunStatus,
  SaveEffect,
  ScheduleEffect,
  SendEffect,
  SendRole,
  StepResult,
} from './types.js';
export { FlowEngineError } from './types.js';
