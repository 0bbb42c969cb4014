// A run keeps the flow version it started with, across a change of flows/ and a restart;
// a version whose content changed without a new number is refused.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFlowsDir } from '../../../src/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { type GroupFixture, groupWithMembers } from '../../support/fixtures.js';
import { startTestRelais } from '../../support/relais.js';

let db: TestDatabase;
let group: GroupFixture;
const dirs: string[] = [];

function flowsDir(edit?: (yaml: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'relais-flows-'));
  dirs.push(dir);
  const source = readFileSync(join(defaultFlowsDir, 'avis-guichet.yaml'), 'utf8');
  writeFileSync(join(dir, 'avis-guichet.yaml'), edit ? edit(source) : source);
  copyFileSync(join(defaultFlowsDir, 'avis-libre.yaml'), join(dir, 'avis-libre.yaml'));
  return dir;
}

beforeAll(async () => {
  db = await createTestDatabase();
  group = await groupWithMembers(db.prisma, 2);
});
afterAll(async () => {
  await db?.destroy();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const answer = (
  relais: Awaited<ReturnType<typeof startTestRelais>>,
  member: number,
  text: string,
) =>
  relais.services.conversations.handleInbound({
    channel: 'web',
    address: group.members[member]?.address as string,
    text,
    providerMessageId: `${member}-${text}-${Math.random()}`,
    receivedAt: new Date(),
  });

async function lastOutbound(member: number) {
  return (
    await db.prisma.message.findFirst({
      where: { identityId: group.members[member]?.identityId, direction: 'outbound' },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    })
  )?.body;
}

describe('flow versions', () => {
  it('a run in flight keeps its version after flows/ changes and the service restarts', async () => {
    const v1 = await startTestRelais(db, {}, { flowsDir: flowsDir() });
    const run = await v1.services.conversations.startRun({
      personId: group.members[0]?.personId as string,
      identityId: group.members[0]?.identityId as string,
      flowId: 'avis-guichet',
      cause: 'test:v1',
    });
    await v1.stop();

    const v2dir = flowsDir((yaml) =>
      yaml
        .replace('version: 2', 'version: 3')
        .replace('Les informations étaient-elles claires ?', 'Avez-vous tout compris ?'),
    );
    const v2 = await startTestRelais(db, {}, { flowsDir: v2dir });
    try {
      expect(v2.services.flows.current('avis-guichet')?.version).toBe(3);
      await answer(v2, 0, 'bien');
      expect(await lastOutbound(0)).toBe('Les informations étaient-elles claires ?');
      expect(
        (await db.prisma.flowRun.findUniqueOrThrow({ where: { id: run.id } })).flowVersion,
      ).toBe(2);

      // A new run starts on the new version.
      const fresh = await v2.services.conversations.startRun({
        personId: group.members[1]?.personId as string,
        identityId: group.members[1]?.identityId as string,
        flowId: 'avis-guichet',
        cause: 'test:v2',
      });
      expect(fresh.flowVersion).toBe(3);
      await answer(v2, 1, 'bien');
      expect(await lastOutbound(1)).toBe('Avez-vous tout compris ?');
    } finally {
      await v2.stop();
    }
  });

  it('refuses a known version whose content changed, and keeps the recorded one', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../../../src/logger.js');
    const logger = createLogger('warn', { write: (l: string) => lines.push(l) });
    const { startRelais } = await import('../../../src/app.js');
    const { testConfig } = await import('../../support/relais.js');
    const changed = flowsDir((yaml) =>
      yaml.replace("Comment s'est passé l'accueil ?", "L'accueil ?"),
    );
    const relais = await startRelais(testConfig(), { db, logger, flowsDir: changed });
    try {
      const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'flow refused');
      expect(errors.map((e) => e.problem)).toEqual([
        'flows/avis-guichet v2:version: flow avis-guichet v2 changed since it was first loaded; runs in flight use the old text. Give it version 3',
      ]);
      // The other flow of the folder still loads.
      expect(relais.services.flows.current('avis-libre')).toBeDefined();
    } finally {
      await relais.stop();
    }
  });
});
