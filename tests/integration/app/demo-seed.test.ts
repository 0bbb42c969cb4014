import { describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/client.js';
import { createTestDatabase, usingPostgres } from '../../support/db.js';
import { startTestRelais } from '../../support/relais.js';

describe('demo data at start-up', () => {
  it('is loaded once when two instances start together on one empty database', async () => {
    const db = await createTestDatabase();
    // On PostgreSQL each instance has its own pool, as two processes would; PGlite is
    // one process's, so the two instances share it.
    const other: Database = usingPostgres
      ? await openDatabase({ databaseUrl: db.url, poolSize: 4 })
      : db;
    try {
      const started = await Promise.allSettled([
        startTestRelais(db, { DEMO_DATA: 'true' }),
        startTestRelais(other as typeof db, { DEMO_DATA: 'true' }),
      ]);
      const instances = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      try {
        for (const r of started) if (r.status === 'rejected') throw r.reason;
        // One of them loaded the demo (and shows its token); the other found it there.
        expect(instances.filter((r) => r.demoToken).length).toBe(1);
        expect(await db.prisma.organisation.count()).toBe(2);
        expect(await db.prisma.apiToken.count()).toBe(1);
      } finally {
        await Promise.all(instances.map((r) => r.stop()));
      }
    } finally {
      if (other !== db) await other.close();
      await db.destroy();
    }
  });
});
