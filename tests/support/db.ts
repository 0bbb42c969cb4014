// An isolated, migrated database for one test: a fresh PGlite loaded from the migrated
// snapshot, or (TEST_DATABASE_URL) a new PostgreSQL database cloned from the template.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { adminUrl } from './global-setup.js';

export interface TestDatabase extends Database {
  /** postgresql URL of this database, when it is a real PostgreSQL one. */
  url?: string;
  /** Closes and deletes the database. */
  destroy(): Promise<void>;
}

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

let snapshot: Blob | undefined;

/** A migrated database of its own, or an empty one with { migrated: false }. */
export async function createTestDatabase(
  options: { migrated?: boolean; poolSize?: number } = {},
): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const name = `relais_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl(url) });
    await admin.connect();
    await admin.query(
      migrated
        ? `CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`
        : `CREATE DATABASE ${name}`,
    );
    await admin.end();
    const dbUrl = adminUrl(url, name);
    const db = await openDatabase({ databaseUrl: dbUrl, poolSize: options.poolSize ?? 4 });
    return {
      ...db,
      url: dbUrl,
      async destroy() {
        await db.close();
        const again = new pg.Client({ connectionString: adminUrl(url) });
        await again.connect();
        await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await again.end();
      },
    };
  }
  let pglite: PGlite;
  if (migrated) {
    snapshot ??= new Blob([readFileSync(inject('pgliteSnapshot'))]);
    pglite = new PGlite({ loadDataDir: snapshot });
  } else {
    pglite = new PGlite();
  }
  const db = await openDatabase({ pglite });
  return {
    ...db,
    async destroy() {
      await db.close();
      await pglite.close();
    },
  };
}
