// At start-up an invalid flow is refused with the file, the path inside it and what is
// wrong, and the valid flows of the same folder still load.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFlowsDir, type Relais, startRelais } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { testConfig } from '../../support/relais.js';

const lines: string[] = [];
let db: TestDatabase;
let relais: Relais;
const dir = mkdtempSync(path.join(tmpdir(), 'relais-flows-'));

beforeAll(async () => {
  cpSync(defaultFlowsDir, dir, { recursive: true });
  // A consultation with a typo in a next, and one whose YAML does not parse.
  writeFileSync(
    path.join(dir, 'broken-next.yaml'),
    'id: broken-next\nversion: 1\nkind: avis\ntitle: Cassé\nnodes:\n  - id: q\n    ask: yesno\n    text: Ça va ?\n    result: ok\n    next: fni\n  - id: fin\n    end: Merci.\n',
  );
  writeFileSync(path.join(dir, 'broken-syntax.yaml'), 'id: broken-syntax\nnodes: [\n');
  db = await createTestDatabase();
  const logger = createLogger('info', { write: (line: string) => lines.push(line) });
  relais = await startRelais(testConfig({ LOG_LEVEL: 'info' }), { db, logger, flowsDir: dir });
});
afterAll(async () => {
  await relais?.stop();
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('flows at start-up', () => {
  it('refuses an invalid flow with file, path and problem, and loads the valid ones', () => {
    const refused = lines
      .map((l) => JSON.parse(l) as { msg: string; problem?: string; level: number })
      .filter((l) => l.msg === 'flow refused')
      .map((l) => l.problem);
    expect(refused).toContain(
      `${path.join(dir, 'broken-next.yaml')}:nodes[0].next: unknown node "fni"`,
    );
    expect(refused.some((p) => p?.startsWith(`${path.join(dir, 'broken-syntax.yaml')}:`))).toBe(
      true,
    );
    expect(relais.services.flows.list().map((f) => f.id)).toEqual([
      'avis-guichet',
      'avis-libre',
      'mobilite-forum',
      'onboarding',
      'satisfaction-accompagnement',
    ]);
    expect(relais.services.flows.current('broken-next')).toBeUndefined();
  });
});
