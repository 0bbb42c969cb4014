// Every flow version ever loaded is kept in the database, so a run continues with the
// definition it started with even after flows/ changes and the service restarts.
import { createHash } from 'node:crypto';
import type { Db } from '../db/types.js';
import type { FlowDefinition, Problem } from '../engine/index.js';
import type { PrismaClient } from '../generated/prisma/client.js';

function checksum(def: FlowDefinition): string {
  return createHash('sha256').update(JSON.stringify(def)).digest('hex');
}

export class FlowRegistry {
  private readonly byVersion = new Map<string, FlowDefinition>();
  private readonly latest = new Map<string, FlowDefinition>();

  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Records the flows loaded from flows/. A version already recorded with other content
   * is refused (runs in flight rely on it): the file must bump its version.
   */
  async sync(flows: FlowDefinition[], source: (def: FlowDefinition) => string): Promise<Problem[]> {
    const problems: Problem[] = [];
    for (const def of flows) {
      const sum = checksum(def);
      const stored = await this.prisma.flowVersion.findUnique({
        where: { flowId_version: { flowId: def.id, version: def.version } },
      });
      if (stored && stored.checksum !== sum) {
        problems.push({
          file: source(def),
          path: 'version',
          severity: 'error',
          message: `flow ${def.id} v${def.version} changed since it was first loaded; runs in flight use the old text. Give it version ${def.version + 1}`,
        });
        this.remember(stored.definition as unknown as FlowDefinition, true);
        continue;
      }
      if (!stored) {
        await this.prisma.flowVersion.createMany({
          data: [
            {
              flowId: def.id,
              version: def.version,
              kind: def.kind,
              title: def.title,
              definition: def as unknown as object,
              checksum: sum,
            },
          ],
          skipDuplicates: true,
        });
      }
      this.remember(def, true);
    }
    return problems;
  }

  private remember(def: FlowDefinition, current: boolean): void {
    this.byVersion.set(`${def.id}@${def.version}`, def);
    const known = this.latest.get(def.id);
    if (current && (!known || known.version <= def.version)) this.latest.set(def.id, def);
  }

  /** The current definition of a flow (the highest version loaded from flows/). */
  current(flowId: string): FlowDefinition | undefined {
    return this.latest.get(flowId);
  }

  list(): FlowDefinition[] {
    return [...this.latest.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * A given version, from memory or from the database. Inside a transaction, pass it:
   * the embedded database has one connection, which the transaction holds.
   */
  async get(flowId: string, version: number, db: Db = this.prisma): Promise<FlowDefinition> {
    const key = `${flowId}@${version}`;
    const known = this.byVersion.get(key);
    if (known) return known;
    const stored = await db.flowVersion.findUnique({
      where: { flowId_version: { flowId, version } },
    });
    if (!stored) throw new Error(`flow ${flowId} v${version} is not known to this database`);
    const def = stored.definition as unknown as FlowDefinition;
    this.byVersion.set(key, def);
    return def;
  }
}
