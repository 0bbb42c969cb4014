/**
 * Localised pieces of a node: its text, its choices (labels and keywords in the person's
 * language), the channel-neutral description of a question, and the "Répondez 1, 2 ou 3."
 * hints built from it. Shared by step (what to send), render and check (how long it is).
 */
import type { Localizer } from '../i18n/localizer.js';
import { type AskNode, type FlowDefinition, type FlowNode, scaleBounds } from './schema.js';
import type { AskSpec, SendEffect, SendRole } from './types.js';

export interface LocalChoice {
  id: string;
  label: string;
  keywords: string[];
}

/** Choices of a single/multiple ask in the person's language. */
export function localChoices(def: FlowDefinition, node: AskNode, loc: Localizer): LocalChoice[] {
  return (node.choices ?? []).map((c) => ({
    id: c.id,
    label: loc.flowText(def.id, node.id, `choices.${c.id}.label`, c.label),
    keywords: loc.flowKeywords(def.id, node.id, c.id, c.keywords ?? []),
  }));
}

/** Choices as written in the YAML (the base language). */
export function baseChoices(node: AskNode): LocalChoice[] {
  return (node.choices ?? []).map((c) => ({
    id: c.id,
    label: c.label,
    keywords: c.keywords ?? [],
  }));
}

/** The main text of a say, ask or end node in the person's language. */
export function nodeText(def: FlowDefinition, node: FlowNode, loc: Localizer): string | undefined {
  switch (node.kind) {
    case 'say':
      return loc.flowText(def.id, node.id, 'say', node.say);
    case 'ask':
      return loc.flowText(def.id, node.id, 'text', node.text);
    case 'end':
      return node.end === undefined ? undefined : loc.flowText(def.id, node.id, 'end', node.end);
    case 'branch':
      return undefined;
  }
}

/** Localised labels of a scale's ends. */
export function scaleLabels(
  def: FlowDefinition,
  node: AskNode,
  loc: Localizer,
): { min?: string; max?: string } | undefined {
  if (!node.labels) return undefined;
  const out: { min?: string; max?: string } = {};
  if (node.labels.min !== undefined)
    out.min = loc.flowText(def.id, node.id, 'labels.min', node.labels.min);
  if (node.labels.max !== undefined)
    out.max = loc.flowText(def.id, node.id, 'labels.max', node.labels.max);
  return out;
}

/** The channel-neutral description of a question (what buttons or numbered options need). */
export function askSpec(def: FlowDefinition, node: AskNode, loc: Localizer): AskSpec {
  const spec: AskSpec = { kind: node.ask };
  if (node.ask === 'single' || node.ask === 'multiple') {
    spec.choices = localChoices(def, node, loc).map(({ id, label }) => ({ id, label }));
  } else if (node.ask === 'scale') {
    Object.assign(spec, scaleBounds(node));
    const labels = scaleLabels(def, node, loc);
    if (labels) spec.labels = labels;
  } else if (node.ask === 'number') {
    if (node.min !== undefined) spec.min = node.min;
    if (node.max !== undefined) spec.max = node.max;
  }
  return spec;
}

/** The send effect of entering a say, ask or end node (undefined for a branch or a silent end). */
export function promptOf(
  def: FlowDefinition,
  node: FlowNode,
  loc: Localizer,
): SendEffect | undefined {
  const text = nodeText(def, node, loc);
  if (text === undefined) return undefined;
  const role: SendRole = node.kind === 'ask' ? 'ask' : node.kind === 'say' ? 'say' : 'end';
  const effect: SendEffect = { type: 'send', nodeId: node.id, role, text };
  if (node.kind === 'ask') {
    effect.ask = askSpec(def, node, loc);
    if (node.hint !== undefined) effect.hint = loc.flowText(def.id, node.id, 'hint', node.hint);
  }
  return effect;
}

/** The 'retry' send after an unclear answer: "Je n'ai pas compris." plus the expected answer. */
export function retryOf(def: FlowDefinition, node: AskNode, loc: Localizer): SendEffect {
  const ask = askSpec(def, node, loc);
  return {
    type: 'send',
    nodeId: node.id,
    role: 'retry',
    text: loc.system('retry'),
    ask,
    hint: answerHint(ask, loc),
  };
}

/** "1, 2 ou 3" in the person's language. */
export function orList(items: string[], lang: string): string {
  try {
    return new Intl.ListFormat(lang, { type: 'disjunction' }).format(items);
  } catch {
    return new Intl.ListFormat('fr', { type: 'disjunction' }).format(items);
  }
}

/** Up to this many options, the hint lists them ("Répondez 1, 2 ou 3."); beyond, a range. */
const LISTED_OPTIONS = 5;

function choiceHint(count: number, loc: Localizer): string {
  if (count <= LISTED_OPTIONS) {
    const list = orList(
      Array.from({ length: count }, (_, i) => String(i + 1)),
      loc.lang,
    );
    return loc.system('hint.choiceList', { list });
  }
  return loc.system('hint.choiceRange', { min: 1, max: count });
}

function numberHint(spec: AskSpec, loc: Localizer): string {
  if (spec.min !== undefined && spec.max !== undefined)
    return loc.system('hint.numberRange', { min: spec.min, max: spec.max });
  if (spec.min !== undefined) return loc.system('hint.numberMin', { min: spec.min });
  if (spec.max !== undefined) return loc.system('hint.numberMax', { max: spec.max });
  return loc.system('hint.number');
}

/** What a retry says is expected: "Répondez 1, 2 ou 3.", "Répondez OUI ou NON."… */
export function answerHint(spec: AskSpec, loc: Localizer): string {
  switch (spec.kind) {
    case 'single':
      return choiceHint(spec.choices?.length ?? 0, loc);
    case 'multiple':
      return loc.system('hint.multiple', {
        example: (spec.choices?.length ?? 0) >= 3 ? '1 3' : '1 2',
      });
    case 'yesno':
      return loc.system('hint.yesno');
    case 'scale':
      return loc.system('hint.scale', { min: spec.min ?? 1, max: spec.max ?? 5 });
    case 'number':
      return numberHint(spec, loc);
    case 'date':
      return loc.system('hint.date', { example: loc.system('dateExample') });
    case 'text':
      return loc.system('hint.text');
  }
}

/** The last line of a question sent by SMS (no buttons); undefined for free text. */
export function smsFooter(spec: AskSpec, loc: Localizer): string | undefined {
  switch (spec.kind) {
    case 'scale':
      return loc.system('sms.scale', { min: spec.min ?? 1, max: spec.max ?? 5 });
    case 'text':
      return undefined;
    default:
      return answerHint(spec, loc);
  }
}
