// Definitions by id and version, for callers that hold flows in memory (the CLIs, tests).
import type { FlowDefinition } from './schema.js';

/**
 * Finds definitions by id and version. A run keeps the version it started with: step it with
 * `get(state.flowId, state.flowVersion)`; start new runs with `latest(id)`.
 */
export interface FlowCatalog {
  get(id: string, version: number): FlowDefinition | undefined;
  latest(id: string): FlowDefinition | undefined;
  all(): FlowDefinition[];
}

export function flowCatalog(flows: readonly FlowDefinition[]): FlowCatalog {
  const byKey = new Map<string, FlowDefinition>();
  const latest = new Map<string, FlowDefinition>();
  for (const f of flows) {
    byKey.set(`${f.id}@${f.version}`, f);
    const current = latest.get(f.id);
    if (!current || current.version < f.version) latest.set(f.id, f);
  }
  return {
    get: (id, version) => byKey.get(`${id}@${version}`),
    latest: (id) => latest.get(id),
    all: () => [...flows],
  };
}
