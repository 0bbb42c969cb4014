/**
 * Everything flows:check (and the loader at start-up) verifies in a flow file: YAML syntax,
 * the schema, the graph (unknown, unreachable or looping nodes, missing exits), the branches,
 * button labels, SMS length once rendered, translations, and the consultation's first words.
 * Pure: files come in as text, problems come out as data.
 */
import { prepareSms } from '../domain/sms/index.js';
import {
  createLocalizer,
  flowResource,
  type i18n,
  type Localizer,
  languagesOf,
  REQUIRED_FLOW_LANGUAGES,
} from '../i18n/localizer.js';
import { exitsOf, type FlowIndex, indexOf, noResponseOf } from './graph.js';
import { type Problem, parseFlowSource } from './parse.js';
import { promptOf } from './prompt.js';
import { render } from './render.js';
import { type FlowDefinition, type FlowNode, MAX_BUTTON_LABEL } from './schema.js';

export { formatProblem, type Problem, parseFlowSource } from './parse.js';

export interface CheckOptions {
  i18n: i18n;
  /** Languages every text must be translated into (default: en, fr-x-falc and any language with a flows.json). */
  languages?: readonly string[];
  /** SMS parts a rendered prompt may take (default 2). */
  maxSmsParts?: number;
  /** Characters of a button label (default 32). */
  maxLabel?: number;
}

export interface FlowSummary {
  nodes: number;
  /** The prompt taking the most SMS, counted the worse way (accents kept or transliterated). */
  longestSms: { parts: number; nodeId: string; lang: string; accents: SmsAccents } | undefined;
}

/** An organisation's SMS policy: accents kept (UCS-2 when needed) or transliterated (GSM-7). */
export type SmsAccents = 'keep' | 'transliterate';

export interface CheckedFlow {
  file: string;
  /** Present when the file parsed and matched the schema (it may still have graph errors). */
  definition?: FlowDefinition;
  problems: Problem[];
  summary?: FlowSummary;
}

export const DEFAULT_MAX_SMS_PARTS = 2;

/** Checks several flow files together (also catching the same id and version in two files). */
export function checkFlowSources(
  sources: readonly { file: string; text: string }[],
  opts: CheckOptions,
): CheckedFlow[] {
  const checked = sources.map((s) => checkFlowSource(s.file, s.text, opts));
  const seen = new Map<string, string>();
  for (const c of checked) {
    if (!c.definition) continue;
    const key = `${c.definition.id}@${c.definition.version}`;
    const first = seen.get(key);
    if (first !== undefined) {
      c.problems.push({
        file: c.file,
        path: 'version',
        severity: 'error',
        message: `flow ${c.definition.id} v${c.definition.version} is already defined in ${first}; give this one a new version`,
      });
    } else {
      seen.set(key, c.file);
    }
  }
  return checked;
}

/** Checks one flow file's text. */
export function checkFlowSource(file: string, text: string, opts: CheckOptions): CheckedFlow {
  const parsed = parseFlowSource(file, text);
  if (!parsed.definition) return { file, problems: parsed.problems };
  const { problems, summary } = checkDefinition(file, parsed.definition, opts);
  return { file, definition: parsed.definition, problems, summary };
}

interface Ctx {
  file: string;
  def: FlowDefinition;
  idx: FlowIndex;
  problems: Problem[];
}

function at(ctx: Ctx, node: FlowNode | undefined, field?: string): string {
  const i = node === undefined ? undefined : ctx.idx.byId.get(node.id)?.index;
  const base = i === undefined ? '' : `nodes[${i}]`;
  return field ? (base ? `${base}.${field}` : field) : base;
}

function error(ctx: Ctx, path: string, message: string): void {
  ctx.problems.push({ file: ctx.file, path, message, severity: 'error' });
}

function warning(ctx: Ctx, path: string, message: string): void {
  ctx.problems.push({ file: ctx.file, path, message, severity: 'warning' });
}

/** Languages a flow must be translated into. */
export function translationLanguages(def: FlowDefinition, opts: CheckOptions): string[] {
  const langs = new Set<string>(opts.languages ?? REQUIRED_FLOW_LANGUAGES);
  if (!opts.languages) {
    for (const lng of languagesOf(opts.i18n)) {
      if (opts.i18n.hasResourceBundle(lng, 'flows')) langs.add(lng);
    }
  }
  langs.delete(def.language);
  return [...langs].sort();
}

/** Graph, branches, labels, SMS length, translations and wording of a schema-valid flow. */
export function checkDefinition(
  file: string,
  def: FlowDefinition,
  opts: CheckOptions,
): { problems: Problem[]; summary: FlowSummary } {
  const ctx: Ctx = { file, def, idx: indexOf(def), problems: [] };
  checkGraph(ctx);
  checkBranches(ctx);
  const langs = translationLanguages(def, opts);
  checkTranslations(ctx, opts.i18n, langs);
  checkLabels(ctx, opts, langs);
  const longestSms = checkSmsLength(ctx, opts, langs);
  checkWording(ctx, opts, langs);
  return { problems: ctx.problems, summary: { nodes: def.nodes.length, longestSms } };
}

function checkGraph(ctx: Ctx): void {
  const { def, idx } = ctx;
  if (def.start !== undefined && !idx.byId.has(def.start)) {
    error(ctx, 'start', `unknown node "${def.start}"`);
  }
  for (const node of def.nodes) {
    for (const exit of exitsOf(idx, node)) {
      if (exit.target === undefined) {
        if (node.kind === 'branch') {
          error(
            ctx,
            at(ctx, node, 'default'),
            'a branch needs a default: where to go when no case matches',
          );
        } else {
          error(
            ctx,
            at(ctx, node),
            `no way out of "${node.id}": it is the last node and has no next (add next, or end the flow with an end node)`,
          );
          break;
        }
      } else if (!idx.byId.has(exit.target)) {
        error(ctx, at(ctx, node, exit.field), `unknown node "${exit.target}"`);
      }
    }
  }

  // Reachability from the start, following every exit.
  const reached = new Set<string>();
  const queue = idx.startId !== undefined && idx.byId.has(idx.startId) ? [idx.startId] : [];
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (reached.has(id)) continue;
    reached.add(id);
    const node = idx.byId.get(id)?.node;
    if (!node) continue;
    for (const exit of exitsOf(idx, node)) {
      if (exit.target !== undefined && idx.byId.has(exit.target) && !reached.has(exit.target)) {
        queue.push(exit.target);
      }
    }
  }
  if (reached.size > 0) {
    for (const node of def.nodes) {
      if (!reached.has(node.id)) {
        error(ctx, at(ctx, node), `node "${node.id}" is never reached`);
      }
    }
  }

  // Loops made only of say and branch nodes would never wait for the person.
  const silent = (id: string | undefined): FlowNode | undefined => {
    const n = id === undefined ? undefined : idx.byId.get(id)?.node;
    return n && (n.kind === 'say' || n.kind === 'branch') ? n : undefined;
  };
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (node: FlowNode): void => {
    state.set(node.id, 'open');
    stack.push(node.id);
    for (const exit of exitsOf(idx, node)) {
      const target = silent(exit.target);
      if (!target) continue;
      const s = state.get(target.id);
      if (s === 'open') {
        const cycle = stack.slice(stack.indexOf(target.id));
        const key = [...cycle].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          error(
            ctx,
            at(ctx, target),
            `loop without a question: ${[...cycle, target.id].join(' → ')} would never wait for an answer`,
          );
        }
      } else if (s === undefined) {
        visit(target);
      }
    }
    stack.pop();
    state.set(node.id, 'done');
  };
  for (const node of def.nodes) {
    if (silent(node.id) && !state.has(node.id)) visit(node);
  }
}

function checkBranches(ctx: Ctx): void {
  for (const node of ctx.def.nodes) {
    if (node.kind !== 'branch') continue;
    const asks = ctx.idx.asksByResult.get(node.branch);
    if (!asks || asks.length === 0) {
      error(ctx, at(ctx, node, 'branch'), `no question stores a result "${node.branch}"`);
      continue;
    }
    const kinds = new Set(asks.map((a) => a.ask));
    const numeric = [...kinds].every((k) => k === 'scale' || k === 'number');
    const categories = new Set<string>();
    let anyText = false;
    for (const a of asks) {
      if (a.ask === 'yesno') {
        categories.add('yes');
        categories.add('no');
      } else if (a.ask === 'single' || a.ask === 'multiple') {
        for (const c of a.choices ?? []) categories.add(c.id);
      } else if (a.ask === 'text') {
        categories.add('voice');
        anyText = true;
      } else {
        anyText = true; // numbers and dates: values are open
      }
    }
    node.cases.forEach((c, i) => {
      if (Array.isArray(c.when)) {
        if (anyText || numeric) return;
        c.when.forEach((w, j) => {
          if (!categories.has(w)) {
            error(
              ctx,
              at(ctx, node, `cases[${i}].when[${j}]`),
              `"${w}" is not a category of result "${node.branch}" (expected ${[...categories].join(', ')})`,
            );
          }
        });
      } else if (!numeric) {
        error(
          ctx,
          at(ctx, node, `cases[${i}].when`),
          `a range (gte/lte) only fits a scale or number result; "${node.branch}" is ${[...kinds].join('/')}`,
        );
      }
    });
  }
}

/** Every translatable field of a node: [field key, inline text]. */
function textFields(node: FlowNode): [string, string][] {
  switch (node.kind) {
    case 'say':
      return [['say', node.say]];
    case 'end':
      return node.end === undefined ? [] : [['end', node.end]];
    case 'branch':
      return [];
    case 'ask': {
      const out: [string, string][] = [['text', node.text]];
      if (node.hint !== undefined) out.push(['hint', node.hint]);
      if (node.labels?.min !== undefined) out.push(['labels.min', node.labels.min]);
      if (node.labels?.max !== undefined) out.push(['labels.max', node.labels.max]);
      for (const c of node.choices ?? []) out.push([`choices.${c.id}.label`, c.label]);
      return out;
    }
  }
}

function fieldPath(ctx: Ctx, node: FlowNode, field: string): string {
  const m = /^choices\.([^.]+)\.(label|keywords)$/.exec(field);
  if (m && node.kind === 'ask') {
    const j = (node.choices ?? []).findIndex((c) => c.id === m[1]);
    return at(ctx, node, `choices[${j}].${m[2]}`);
  }
  return at(ctx, node, field);
}

function checkTranslations(ctx: Ctx, instance: i18n, langs: string[]): void {
  const { def } = ctx;
  for (const lang of langs) {
    const where = `locales/${lang}/flows.json`;
    for (const node of def.nodes) {
      for (const [field] of textFields(node)) {
        const v = flowResource(instance, lang, def.id, node.id, field);
        if (typeof v !== 'string' || v.trim() === '') {
          error(
            ctx,
            fieldPath(ctx, node, field),
            `missing ${lang} translation (${where}: ${def.id}.${node.id}.${field})`,
          );
        }
      }
      if (node.kind === 'ask') {
        for (const c of node.choices ?? []) {
          if (!c.keywords || c.keywords.length === 0) continue;
          const field = `choices.${c.id}.keywords`;
          const v = flowResource(instance, lang, def.id, node.id, field);
          if (!Array.isArray(v) || v.length === 0 || !v.every((k) => typeof k === 'string')) {
            error(
              ctx,
              fieldPath(ctx, node, field),
              `missing ${lang} keywords (${where}: ${def.id}.${node.id}.${field}, a list of words)`,
            );
          }
        }
      }
    }
    // Translations left behind by a renamed or removed node.
    const bundle = instance.getResource(lang, 'flows', def.id);
    if (bundle && typeof bundle === 'object') {
      for (const nodeId of Object.keys(bundle)) {
        if (!ctx.idx.byId.has(nodeId)) {
          warning(
            ctx,
            '',
            `${where}: ${def.id}.${nodeId} translates a node this flow does not have`,
          );
        }
      }
    }
  }
}

function checkLabels(ctx: Ctx, opts: CheckOptions, langs: string[]): void {
  const max = opts.maxLabel ?? MAX_BUTTON_LABEL;
  for (const lang of [ctx.def.language, ...langs]) {
    const loc = createLocalizer(opts.i18n, lang);
    for (const node of ctx.def.nodes) {
      if (node.kind !== 'ask') continue;
      const choices = node.choices ?? [];
      // Buttons of a multiple question carry their number ("2. "), see render.ts.
      const prefix = node.ask === 'multiple' ? `${choices.length}. `.length : 0;
      choices.forEach((c, j) => {
        const label = loc.flowText(ctx.def.id, node.id, `choices.${c.id}.label`, c.label);
        const length = [...label].length;
        if (length + prefix > max) {
          const who = lang === ctx.def.language ? 'label' : `${lang} label`;
          const room = prefix > 0 ? ` (${max - prefix} after the number of a multiple choice)` : '';
          error(
            ctx,
            at(ctx, node, `choices[${j}].label`),
            `${who} "${label}" is ${length} characters; buttons show ${max} at most${room}`,
          );
        }
      });
    }
  }
}

function sendField(node: FlowNode): string {
  return node.kind === 'say' ? 'say' : node.kind === 'end' ? 'end' : 'text';
}

/** Asks a reminder can repeat: those reached without an answer (start, timeouts, misses). */
function remindedAsks(ctx: Ctx): Set<string> {
  const reminded = new Set<string>();
  if (ctx.def.kind !== 'consultation' && ctx.def.kind !== 'forum-poll') return reminded;
  const seen = new Set<string>();
  const queue = ctx.idx.startId === undefined ? [] : [ctx.idx.startId];
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const entry = ctx.idx.byId.get(id);
    if (!entry) continue;
    const node = entry.node;
    // Without an answer, a branch finds no result and takes its default.
    const next =
      node.kind === 'say'
        ? (node.next ?? entry.following)
        : node.kind === 'branch'
          ? (node.default ?? entry.following)
          : node.kind === 'ask'
            ? noResponseOf(ctx.idx, node)
            : undefined;
    if (node.kind === 'ask') reminded.add(node.id);
    if (next !== undefined) queue.push(next);
  }
  return reminded;
}

/**
 * The SMS a text takes under both policies an organisation can choose, the worse first: a
 * text with one character outside GSM-7 ("ê", "À", "’") goes as UCS-2 when accents are
 * kept, 70 characters an SMS instead of 160.
 */
function smsCount(text: string): {
  accents: SmsAccents;
  parts: number;
  units: number;
  encoding: string;
  other: number;
} {
  const kept = prepareSms(text, 'keep').segments;
  const plainSms = prepareSms(text, 'transliterate').segments;
  return kept.parts > plainSms.parts
    ? { accents: 'keep', ...kept, other: plainSms.parts }
    : { accents: 'transliterate', ...plainSms, other: kept.parts };
}

function checkSmsLength(ctx: Ctx, opts: CheckOptions, langs: string[]): FlowSummary['longestSms'] {
  const maxParts = opts.maxSmsParts ?? DEFAULT_MAX_SMS_PARTS;
  const reminded = remindedAsks(ctx);
  let longest: FlowSummary['longestSms'];
  for (const lang of [ctx.def.language, ...langs]) {
    const loc = createLocalizer(opts.i18n, lang);
    for (const node of ctx.def.nodes) {
      const send = promptOf(ctx.def, node, loc);
      if (!send) continue;
      const { text } = render(
        send,
        { buttons: false, maxChoiceLabel: Number.MAX_SAFE_INTEGER },
        loc,
      );
      const what = node.kind === 'ask' ? 'question with its options' : 'message';
      // A reminder repeats the question after "Rappel : …" (participation/consultations.ts).
      const variants: { text: string; what: string }[] = [{ text, what }];
      if (reminded.has(node.id)) {
        variants.push({
          text: `${loc.system('reminder')}\n\n${text}`,
          what: `reminder of this ${what}`,
        });
      }
      for (const v of variants) {
        const count = smsCount(v.text);
        if (!longest || count.parts > longest.parts) {
          longest = { parts: count.parts, nodeId: node.id, lang, accents: count.accents };
        }
        if (count.parts > maxParts) {
          const how =
            count.accents === 'keep'
              ? `${count.parts} SMS with accents kept (${count.encoding}); ${count.other} transliterated`
              : `${count.parts} SMS transliterated (${count.encoding}); ${count.other} with accents kept`;
          error(
            ctx,
            at(ctx, node, sendField(node)),
            `${lang}: this ${v.what} is ${count.units} characters once rendered for SMS: ${how}; keep it to ${maxParts} SMS (a character outside GSM-7, such as ê, â, ç, À or ’, makes a kept-accents SMS hold 70 characters)`,
          );
          break;
        }
      }
    }
  }
  return longest;
}

const EXPOSING = /\b(?:rsa|allocataires?)\b/i;

function plain(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\u2019']/g, "'");
}

/** The base-language messages a person receives when the flow starts, up to the first question. */
function openingMessages(ctx: Ctx, loc?: Localizer): { node: FlowNode; text: string }[] {
  const out: { node: FlowNode; text: string }[] = [];
  const seen = new Set<string>();
  let id = ctx.idx.startId;
  const { def } = ctx;
  const say = (node: FlowNode, field: string, inline: string) =>
    loc ? loc.flowText(def.id, node.id, field, inline) : inline;
  while (id !== undefined && !seen.has(id)) {
    seen.add(id);
    const entry = ctx.idx.byId.get(id);
    if (!entry) break;
    const node = entry.node;
    if (node.kind === 'say') {
      out.push({ node, text: say(node, 'say', node.say) });
      id = node.next ?? entry.following;
    } else if (node.kind === 'branch') {
      id = node.default ?? entry.following;
    } else {
      if (node.kind === 'ask') out.push({ node, text: say(node, 'text', node.text) });
      else if (node.end !== undefined) out.push({ node, text: say(node, 'end', node.end) });
      break;
    }
  }
  return out;
}

/**
 * The words that make up "answering is voluntary and changes nothing to your rights or
 * allowance" in a language (locales/<lng>/engine.json: statement; easy-read French falls
 * back to French). Each list holds phrases; one of each group must appear.
 */
interface StatementWords {
  voluntary: string[];
  noEffect: string[];
  rights: string[];
  allowance: string[];
}
const STATEMENT_PARTS: { key: keyof StatementWords; says: string }[] = [
  { key: 'voluntary', says: 'that answering is voluntary' },
  { key: 'noEffect', says: 'that it changes nothing' },
  { key: 'rights', says: "to the person's rights" },
  { key: 'allowance', says: 'or allowance' },
];

function statementWords(instance: i18n, lang: string): StatementWords | undefined {
  const t = instance.getFixedT(createLocalizer(instance, lang).lang, 'engine');
  const words = t('statement', { returnObjects: true }) as unknown;
  const ok = (v: unknown): v is string[] =>
    Array.isArray(v) && v.length > 0 && v.every((w) => typeof w === 'string');
  if (!words || typeof words !== 'object') return undefined;
  const w = words as Record<string, unknown>;
  return STATEMENT_PARTS.every((p) => ok(w[p.key])) ? (words as StatementWords) : undefined;
}

function says(text: string, phrases: string[]): boolean {
  const haystack = plain(text);
  return phrases.some((phrase) => {
    const needle = plain(phrase).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![\\p{L}\\p{N}])${needle}(?![\\p{L}\\p{N}])`, 'u').test(haystack);
  });
}

/** Flows people receive without asking: they must open with the voluntary statement. */
function sentUnasked(def: FlowDefinition): boolean {
  return def.kind === 'consultation' || def.kind === 'forum-poll' || def.invited === true;
}

function checkWording(ctx: Ctx, opts: CheckOptions, langs: string[]): void {
  const opening = openingMessages(ctx);
  const first = opening[0];
  if (!first) return;
  if (sentUnasked(ctx.def)) {
    for (const lang of [ctx.def.language, ...langs]) {
      const loc = createLocalizer(opts.i18n, lang);
      const texts = openingMessages(ctx, loc).map((m) => m.text);
      const words = statementWords(opts.i18n, lang);
      const where =
        lang === ctx.def.language
          ? ''
          : ` (locales/${lang}/flows.json: ${ctx.def.id}.${first.node.id})`;
      if (!words) {
        error(
          ctx,
          at(ctx, first.node, sendField(first.node)),
          `${lang}: no words to check the voluntary statement with; add statement.voluntary, noEffect, rights and allowance to locales/${lang}/engine.json`,
        );
        continue;
      }
      const missing = STATEMENT_PARTS.filter((p) => !texts.some((t) => says(t, words[p.key])));
      if (missing.length > 0) {
        error(
          ctx,
          at(ctx, first.node, sendField(first.node)),
          `${lang}: a ${ctx.def.kind === 'avis' ? 'flow sent to people who did not ask for it' : ctx.def.kind} first says that answering is voluntary and changes nothing to the person's rights or allowance${where}; it does not say ${missing.map((p) => p.says).join(', ')} (e.g. "Répondre est libre. Cela ne change rien à vos droits ni à votre allocation.")`,
        );
      }
    }
  }
  const firstLine = first.text.split('\n')[0] ?? '';
  if (EXPOSING.test(firstLine)) {
    warning(
      ctx,
      at(ctx, first.node, sendField(first.node)),
      'the first line shows on a locked phone: do not name "RSA" or "allocataire" there',
    );
  }
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** "mobilite-forum v1: 12 nodes, longest SMS prompt 2 SMS" */
export function summaryLine(def: FlowDefinition, summary: FlowSummary): string {
  const sms = summary.longestSms
    ? `longest SMS prompt ${summary.longestSms.parts} SMS (${summary.longestSms.nodeId}, ${summary.longestSms.lang}${summary.longestSms.accents === 'keep' ? ', accents kept' : ''})`
    : 'no SMS prompt';
  return `${def.id} v${def.version}: ${summary.nodes} nodes, ${sms}`;
}
