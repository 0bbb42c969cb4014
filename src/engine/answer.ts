/**
 * Turns what a person sent (typed text or a button payload) into a result for the ask that
 * waits, or undefined when the answer is unclear. The forgiving French parsing itself lives
 * in domain/answers; this module picks the parser for each ask kind and feeds it the
 * choices in the person's language (then, as a second chance, in the base language).
 */
import {
  normalizeAnswer,
  parseChoice,
  parseChoices,
  parseDate,
  parseNumber,
  parseScale,
  parseYesNo,
} from '../domain/answers/index.js';
import type { Localizer } from '../i18n/localizer.js';
import { baseChoices, type LocalChoice, localChoices, scaleLabels } from './prompt.js';
import { type AskNode, type FlowDefinition, scaleBounds } from './schema.js';

export interface Interpreted {
  value: string;
  category?: string;
  input?: string;
}

export interface AnswerInput {
  text?: string;
  payload?: { nodeId: string; choiceId: string };
  /** Set by the conversation layer for an actual voice note, never for typed text. */
  voice?: boolean;
}

/** The number of each option of a yes/no question, in the order render.ts shows them. */
const YES_NO_NUMBERS: Record<string, 'yes' | 'no'> = { '1': 'yes', '2': 'no' };

/** A voice note relayed by the conversation layer, stored as is: "[voice:<file_id>]". */
const VOICE_NOTE = /^\[voice:[^\]\s]+\]$/;

export function interpretAnswer(
  def: FlowDefinition,
  node: AskNode,
  answer: AnswerInput,
  now: Date,
  loc: Localizer,
  timeZone: string,
): Interpreted | undefined {
  if (answer.payload) return interpretPayload(node, answer.payload.choiceId);
  const input = answer.text?.trim() ?? '';
  if (input === '') return undefined;
  const lang = loc.lang;
  const withInput = (r: Interpreted | undefined): Interpreted | undefined =>
    r && r.value !== input ? { ...r, input } : r;

  switch (node.ask) {
    case 'single': {
      const id = matchInChoices(def, node, loc, (options, language) =>
        parseChoice(input, options, { lang: language }),
      );
      return withInput(id === undefined ? undefined : { value: id, category: id });
    }
    case 'multiple': {
      const ids = matchInChoices(def, node, loc, (options, language) => {
        const found = parseChoices(input, options, { lang: language });
        return found && found.length > 0 ? found : undefined;
      });
      if (ids === undefined) return undefined;
      const order = (node.choices ?? []).map((c) => c.id);
      const sorted = [...new Set(ids)].sort((a, b) => order.indexOf(a) - order.indexOf(b));
      return withInput({ value: sorted.join(' ') });
    }
    case 'yesno': {
      // SMS shows "Répondez OUI (1) ou NON (2)." and a messaging app that fell back to SMS
      // numbers its Oui/Non buttons 1 and 2: a bare number is that option.
      const numbered = YES_NO_NUMBERS[normalizeAnswer(input)];
      if (numbered) return { value: numbered, category: numbered, input };
      const yn = parseYesNo(input, {
        lang,
        yes: [loc.system('yes')],
        no: [loc.system('no')],
      });
      return withInput(yn === undefined ? undefined : { value: yn, category: yn });
    }
    case 'scale': {
      const { min, max } = scaleBounds(node);
      let n = parseScale(input, min, max, { lang });
      if (n === undefined) n = scaleFromLabel(def, node, loc, input);
      return withInput(n === undefined ? undefined : { value: String(n) });
    }
    case 'number': {
      const n = parseNumber(input, { lang });
      if (n === undefined || !Number.isFinite(n)) return undefined;
      if (node.min !== undefined && n < node.min) return undefined;
      if (node.max !== undefined && n > node.max) return undefined;
      return withInput({ value: String(n) });
    }
    case 'date': {
      const d = parseDate(input, now, { lang, timeZone });
      return withInput(d === undefined ? undefined : { value: d });
    }
    case 'text':
      // Someone typing "[voice:…]" wrote text: only a voice note is marked for listening.
      return answer.voice && VOICE_NOTE.test(input)
        ? { value: input, category: 'voice' }
        : { value: input };
  }
}

/** Tries the person's language first, then the base-language labels and keywords. */
function matchInChoices<T>(
  def: FlowDefinition,
  node: AskNode,
  loc: Localizer,
  match: (options: LocalChoice[], lang: string) => T | undefined,
): T | undefined {
  const local = match(localChoices(def, node, loc), loc.lang);
  if (local !== undefined || loc.lang === def.language) return local;
  return match(baseChoices(node), def.language);
}

/** "très difficile" answers a scale whose top end is labelled "Très difficile". */
function scaleFromLabel(
  def: FlowDefinition,
  node: AskNode,
  loc: Localizer,
  input: string,
): number | undefined {
  const { min, max } = scaleBounds(node);
  const said = normalizeAnswer(input);
  const local = scaleLabels(def, node, loc);
  const candidates: [string | undefined, number][] = [
    [local?.min, min],
    [local?.max, max],
    [node.labels?.min, min],
    [node.labels?.max, max],
  ];
  for (const [label, value] of candidates) {
    if (label !== undefined && normalizeAnswer(label) === said) return value;
  }
  return undefined;
}

function interpretPayload(node: AskNode, choiceId: string): Interpreted | undefined {
  switch (node.ask) {
    case 'single':
      return node.choices?.some((c) => c.id === choiceId)
        ? { value: choiceId, category: choiceId }
        : undefined;
    case 'multiple': {
      const ids = choiceId.split(/[\s,+]+/).filter((s) => s !== '');
      const known = (node.choices ?? []).map((c) => c.id).filter((id) => ids.includes(id));
      return ids.length > 0 && known.length === ids.length ? { value: known.join(' ') } : undefined;
    }
    case 'yesno':
      return choiceId === 'yes' || choiceId === 'no'
        ? { value: choiceId, category: choiceId }
        : undefined;
    case 'scale': {
      const { min, max } = scaleBounds(node);
      const n = /^-?\d+$/.test(choiceId) ? Number(choiceId) : Number.NaN;
      return Number.isInteger(n) && n >= min && n <= max ? { value: String(n) } : undefined;
    }
    default:
      return undefined;
  }
}
