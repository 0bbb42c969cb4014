/**
 * Flow definitions as data: the zod schema of one flow file (flows/*.yaml).
 *
 * A node's kind is given by which key it carries (`say`, `ask`, `branch` or `end`); the
 * schema adds a `kind` discriminator so the rest of the engine can switch on it.
 * Graph-level rules (unknown or unreachable nodes, exits, loops, translations, SMS length)
 * live in check.ts; this file only checks the shape of one file.
 */
import { z } from 'zod';

/** Node and choice ids: short, because a Telegram callback `<prefix><nodeId>:<choiceId>` must fit 64 bytes. */
export const ID_MAX = 24;
export const ID_PATTERN = /^[a-z0-9_-]{1,24}$/;
export const FLOW_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const RESULT_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
const DURATION_PATTERN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;
/** Buttons (Telegram, Slack) show this many characters of a label at most. */
export const MAX_BUTTON_LABEL = 32;
/** Longest scale we accept: one button per point must still fit a keyboard. */
export const MAX_SCALE_POINTS = 11;
/** Default lifetime of a consultation run (RapidPro's default too). */
export const DEFAULT_CONSULTATION_EXPIRY = '3d';

export const FLOW_KINDS = [
  'consultation',
  'avis',
  'forum-poll',
  'reminder-dialog',
  'onboarding',
] as const;
export const ASK_KINDS = [
  'single',
  'multiple',
  'scale',
  'yesno',
  'text',
  'number',
  'date',
] as const;
export const NOTIFY_TARGETS = ['facilitators', 'referent'] as const;

export type FlowKind = (typeof FLOW_KINDS)[number];
export type AskKind = (typeof ASK_KINDS)[number];
export type NotifyTarget = (typeof NOTIFY_TARGETS)[number];

/** "3d", "48h", "90m", "1d12h": milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const [, d, h, min] = m;
  const ms = (Number(d ?? 0) * 24 * 60 + Number(h ?? 0) * 60 + Number(min ?? 0)) * 60_000;
  return ms > 0 ? ms : undefined;
}

const text = z
  .string({ error: 'expected a text' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(1000, { error: 'is longer than 1000 characters' });

const nodeId = z.string({ error: 'expected a node id' }).regex(ID_PATTERN, {
  error: `must be 1 to ${ID_MAX} characters among a-z, 0-9, "_" and "-"`,
});

const duration = z
  .string({ error: 'expected a duration like "3d", "48h" or "90m"' })
  .refine((v) => parseDuration(v) !== undefined, {
    error: 'expected a duration like "3d", "48h" or "90m"',
  });

const notify = z.enum(NOTIFY_TARGETS, { error: 'expected "facilitators" or "referent"' });

const choiceSchema = z.strictObject({
  id: nodeId,
  label: text,
  keywords: z.array(z.string().trim().min(1)).optional(),
  next: nodeId.optional(),
});

const saySchema = z.strictObject({
  kind: z.literal('say'),
  id: nodeId,
  say: text,
  next: nodeId.optional(),
  notify: notify.optional(),
});

const askSchema = z
  .strictObject({
    kind: z.literal('ask'),
    id: nodeId,
    ask: z.enum(ASK_KINDS, { error: `expected one of ${ASK_KINDS.join(', ')}` }),
    text,
    result: z.string().regex(RESULT_PATTERN, {
      error: 'a result name is 1 to 32 characters among a-z, 0-9 and "_", starting with a letter',
    }),
    choices: z.array(choiceSchema).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    labels: z.strictObject({ min: text.optional(), max: text.optional() }).optional(),
    next: nodeId.optional(),
    timeout: duration.optional(),
    noResponse: nodeId.optional(),
    hint: text.optional(),
    notify: notify.optional(),
  })
  .superRefine((node, ctx) => {
    const withChoices = node.ask === 'single' || node.ask === 'multiple';
    if (withChoices) {
      if (!node.choices || node.choices.length < 2) {
        ctx.addIssue({
          code: 'custom',
          path: ['choices'],
          message: `an ask "${node.ask}" needs at least 2 choices`,
        });
      } else {
        const seen = new Set<string>();
        node.choices.forEach((c, i) => {
          if (seen.has(c.id)) {
            ctx.addIssue({
              code: 'custom',
              path: ['choices', i, 'id'],
              message: `duplicate choice id "${c.id}"`,
            });
          }
          seen.add(c.id);
        });
      }
    } else if (node.choices) {
      ctx.addIssue({
        code: 'custom',
        path: ['choices'],
        message: `choices are only for ask "single" or "multiple", not "${node.ask}"`,
      });
    }
    const bounded = node.ask === 'scale' || node.ask === 'number';
    if (!bounded && (node.min !== undefined || node.max !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [node.min !== undefined ? 'min' : 'max'],
        message: `min and max are only for ask "scale" or "number", not "${node.ask}"`,
      });
    }
    if (node.labels && node.ask !== 'scale') {
      ctx.addIssue({
        code: 'custom',
        path: ['labels'],
        message: 'labels are only for ask "scale"',
      });
    }
    if (node.min !== undefined && node.max !== undefined && node.min > node.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'max must not be below min' });
    }
    if (node.ask === 'scale') {
      const { min, max } = scaleBounds(node);
      if (!Number.isInteger(min) || !Number.isInteger(max)) {
        ctx.addIssue({ code: 'custom', path: ['min'], message: 'a scale has whole-number ends' });
      } else if (max - min < 1 || max - min + 1 > MAX_SCALE_POINTS) {
        ctx.addIssue({
          code: 'custom',
          path: ['max'],
          message: `a scale has 2 to ${MAX_SCALE_POINTS} points (it has ${max - min + 1})`,
        });
      }
    }
  });

const whenValue = z.union([
  z.string().trim().min(1),
  z.number().transform((n) => String(n)),
  z.boolean().transform((b) => (b ? 'yes' : 'no')),
]);

const branchCaseSchema = z.strictObject({
  when: z.union(
    [
      z.array(whenValue).min(1, { error: 'list at least one category or value' }),
      z
        .strictObject({ gte: z.number().optional(), lte: z.number().optional() })
        .refine((r) => r.gte !== undefined || r.lte !== undefined, {
          error: 'a range needs gte, lte or both',
        }),
    ],
    { error: 'expected a list of categories/values, or a range { gte, lte }' },
  ),
  next: nodeId,
});

const branchSchema = z.strictObject({
  kind: z.literal('branch'),
  id: nodeId,
  branch: z.string().regex(RESULT_PATTERN, { error: 'expected a result name' }),
  cases: z.array(branchCaseSchema).min(1, { error: 'a branch needs at least one case' }),
  default: nodeId.optional(),
  notify: notify.optional(),
});

const endSchema = z.strictObject({
  kind: z.literal('end'),
  id: nodeId,
  end: text
    .nullish()
    .transform((v) => v ?? undefined)
    .optional(),
  notify: notify.optional(),
});

const NODE_KEYS = ['say', 'ask', 'branch', 'end'] as const;

/** Adds the `kind` discriminator from the one node key present (or marks the node as unclear). */
function withKind(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = NODE_KEYS.filter((k) => k in value);
  const { kind: _ignored, ...rest } = value as Record<string, unknown>;
  return { ...rest, kind: keys.length === 1 ? keys[0] : `unclear:${keys.join('+')}` };
}

const nodeSchema = z.preprocess(
  withKind,
  z.discriminatedUnion('kind', [saySchema, askSchema, branchSchema, endSchema], {
    error: (issue) => {
      const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
      if (typeof kind === 'string' && kind.startsWith('unclear:') && kind.length > 8) {
        return `a node has exactly one of say, ask, branch, end (this one has ${kind.slice(8).replaceAll('+', ', ')})`;
      }
      return issue.input === undefined || typeof issue.input !== 'object'
        ? 'expected a node (an object with say, ask, branch or end)'
        : 'a node needs one of: say, ask, branch, end';
    },
  }),
);

export const flowSchema = z
  .strictObject(
    {
      id: z.string({ error: 'expected a flow id' }).regex(FLOW_ID_PATTERN, {
        error: 'a flow id is kebab-case: lower-case letters, digits and "-"',
      }),
      version: z
        .number({ error: 'expected a version number' })
        .int({ error: 'a version is a whole number' })
        .positive({ error: 'a version is 1 or more' }),
      kind: z.enum(FLOW_KINDS, { error: `expected one of ${FLOW_KINDS.join(', ')}` }),
      title: text,
      description: z.string().optional(),
      language: z
        .string()
        .regex(/^[a-z]{2,3}(?:-[a-z0-9-]+)?$/, { error: 'expected a language tag such as "fr"' })
        .default('fr'),
      expiresAfter: duration.optional(),
      /**
       * People receive this flow without asking for it (an avis after a RIO): like a
       * consultation, it must open by saying that answering is voluntary.
       */
      invited: z.boolean({ error: 'expected true or false' }).optional(),
      start: nodeId.optional(),
      nodes: z.array(nodeSchema, { error: 'expected a list of nodes' }).min(1, {
        error: 'a flow needs at least one node',
      }),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'a flow file is a YAML mapping with id, version, kind, title and nodes'
          : undefined,
    },
  )
  .superRefine((flow, ctx) => {
    const seen = new Map<string, number>();
    flow.nodes.forEach((n, i) => {
      const first = seen.get(n.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', i, 'id'],
          message: `duplicate node id "${n.id}" (already used by nodes[${first}])`,
        });
      } else {
        seen.set(n.id, i);
      }
    });
  });

export type FlowDefinition = z.output<typeof flowSchema>;
export type FlowNode = FlowDefinition['nodes'][number];
export type SayNode = Extract<FlowNode, { kind: 'say' }>;
export type AskNode = Extract<FlowNode, { kind: 'ask' }>;
export type BranchNode = Extract<FlowNode, { kind: 'branch' }>;
export type EndNode = Extract<FlowNode, { kind: 'end' }>;
export type Choice = NonNullable<AskNode['choices']>[number];
export type BranchCase = BranchNode['cases'][number];

/** The ends of a scale (default 1..5). */
export function scaleBounds(node: Pick<AskNode, 'min' | 'max'>): { min: number; max: number } {
  return { min: node.min ?? 1, max: node.max ?? 5 };
}

/** How long a run of this flow lives, in milliseconds (consultations default to 3 days). */
export function expiryOf(def: Pick<FlowDefinition, 'kind' | 'expiresAfter'>): number | undefined {
  const text =
    def.expiresAfter ?? (def.kind === 'consultation' ? DEFAULT_CONSULTATION_EXPIRY : undefined);
  return text === undefined ? undefined : parseDuration(text);
}

/** Formats a zod/YAML path as `nodes[3].choices[1].label`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
