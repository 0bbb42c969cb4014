/**
 * Per-definition indexes (node by id, following node, where each exit leads), computed once
 * per definition object and cached in a WeakMap: stepping never scans the node list.
 */
import type { AskNode, BranchNode, FlowDefinition, FlowNode, SayNode } from './schema.js';

export interface IndexedNode {
  node: FlowNode;
  /** Position in `nodes` (for problem paths). */
  index: number;
  /** Id of the node written after this one, if any (the default `next`). */
  following: string | undefined;
}

export interface FlowIndex {
  byId: Map<string, IndexedNode>;
  startId: string | undefined;
  /** The asks storing each result name. */
  asksByResult: Map<string, AskNode[]>;
}

const cache = new WeakMap<FlowDefinition, FlowIndex>();

export function indexOf(def: FlowDefinition): FlowIndex {
  const cached = cache.get(def);
  if (cached) return cached;
  const byId = new Map<string, IndexedNode>();
  const asksByResult = new Map<string, AskNode[]>();
  def.nodes.forEach((node, index) => {
    if (!byId.has(node.id)) byId.set(node.id, { node, index, following: def.nodes[index + 1]?.id });
    if (node.kind === 'ask') {
      const list = asksByResult.get(node.result) ?? [];
      list.push(node);
      asksByResult.set(node.result, list);
    }
  });
  const index: FlowIndex = { byId, startId: def.start ?? def.nodes[0]?.id, asksByResult };
  cache.set(def, index);
  return index;
}

/** Where a say node, or an ask answered without a choice-level next, goes. */
export function nextOf(idx: FlowIndex, node: SayNode | AskNode): string | undefined {
  return node.next ?? idx.byId.get(node.id)?.following;
}

/** Where an ask goes on a timeout or on the second unclear answer. */
export function noResponseOf(idx: FlowIndex, node: AskNode): string | undefined {
  return node.noResponse ?? nextOf(idx, node);
}

/** Where a branch goes when no case matches. */
export function branchDefaultOf(idx: FlowIndex, node: BranchNode): string | undefined {
  // A branch without default is an error for flows:check; at run time it falls through.
  return node.default ?? idx.byId.get(node.id)?.following;
}

export interface Exit {
  /** Path of the field that leads there, inside the node (e.g. "choices[1].next"). */
  field: string;
  /** The node id it leads to; undefined when the exit leads nowhere. */
  target: string | undefined;
  /** True when the target was written (next, noResponse, case, default), not implied. */
  explicit: boolean;
}

/** Every way out of a node, as the engine would take it. */
export function exitsOf(idx: FlowIndex, node: FlowNode): Exit[] {
  const following = idx.byId.get(node.id)?.following;
  switch (node.kind) {
    case 'say':
      return [{ field: 'next', target: node.next ?? following, explicit: node.next !== undefined }];
    case 'ask': {
      const exits: Exit[] = [];
      const answered = node.next ?? following;
      const choices = node.choices ?? [];
      const everyChoiceRouted = choices.length > 0 && choices.every((c) => c.next !== undefined);
      choices.forEach((c, i) => {
        if (c.next !== undefined)
          exits.push({ field: `choices[${i}].next`, target: c.next, explicit: true });
      });
      if (!everyChoiceRouted || node.next !== undefined) {
        exits.push({ field: 'next', target: answered, explicit: node.next !== undefined });
      }
      exits.push({
        field: 'noResponse',
        target: node.noResponse ?? answered,
        explicit: node.noResponse !== undefined,
      });
      return exits;
    }
    case 'branch':
      return [
        ...node.cases.map((c, i) => ({
          field: `cases[${i}].next`,
          target: c.next as string | undefined,
          explicit: true,
        })),
        { field: 'default', target: node.default, explicit: node.default !== undefined },
      ];
    case 'end':
      return [];
  }
}

const retained = new WeakMap<FlowDefinition, ReadonlySet<string>>();

/**
 * The results a run must carry from one answer to the next: the ones a branch tests, and,
 * when a node notifies the facilitators (an avis: they receive what the person said), the
 * results of every question. `notify: referent` passes only the wish to be called, never
 * the answers, so it needs none. The caller keeps these in the run row and files the rest
 * elsewhere, so a questionnaire's row does not grow with its length.
 */
export function retainedResults(def: FlowDefinition): ReadonlySet<string> {
  let names = retained.get(def);
  if (!names) {
    const all = def.nodes.some((n) => n.notify === 'facilitators');
    names = new Set(
      def.nodes.flatMap((n) =>
        n.kind === 'branch' ? [n.branch] : all && n.kind === 'ask' ? [n.result] : [],
      ),
    );
    retained.set(def, names);
  }
  return names;
}
