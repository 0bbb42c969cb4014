import { afterEach, describe, expect, it } from 'vitest';
import { diffDatabaseCatalogToSchema, diffMigrationsToSchema } from '../../../src/db/migrations.js';
import { checkReadiness } from '../../../src/db/readiness.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';

const kind = usingPostgres ? 'PostgreSQL' : 'PGlite';
let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.destroy();
  db = undefined;
});

describe(`migrations on ${kind}`, () => {
  // Three runs of the WebAssembly schema engine: minutes on a loaded machine.
  it('take an empty database to exactly the schema in schema.prisma', {
    timeout: 240_000,
  }, async () => {
    const current = await createTestDatabase({ migrated: false });
    db = current;
    expect((await checkReadiness(current.prisma)).ready).toBe(false);

    const applied = await current.migrate();
    expect(applied.length).toBeGreaterThan(0);
    expect(await current.migrate()).toEqual([]);
    expect(await checkReadiness(current.prisma)).toEqual({
      ready: true,
      database: 'ok',
      pendingMigrations: [],
    });

    // The migrations replayed by the schema engine produce the schema...
    expect(await diffMigrationsToSchema()).toBe('');
    // ...and the live database has the same tables, columns, indexes and enums as a
    // database created straight from schema.prisma.
    const query = <T>(sql: string) => current.prisma.$queryRawUnsafe<T[]>(sql);
    expect(await diffDatabaseCatalogToSchema(query)).toEqual([]);

    // The comparison does see drift: a column added by hand shows up, and so does a
    // change of precision, length or collation alone (same type name).
    await current.prisma.$executeRawUnsafe(
      'ALTER TABLE "Person" ADD COLUMN nickname varchar(20), ALTER COLUMN "createdAt" TYPE timestamp(0), ALTER COLUMN "displayName" TYPE text COLLATE "C", ALTER COLUMN "birthYear" TYPE numeric(4,0)',
    );
    expect(await diffDatabaseCatalogToSchema(query)).toEqual([
      '- column Person.birthYear int4 precision=32 scale=0 null default -',
      '- column Person.createdAt timestamp datetime_precision=3 not null default CURRENT_TIMESTAMP',
      '- column Person.displayName text not null default -',
      '+ column Person.birthYear numeric precision=4 scale=0 null default -',
      '+ column Person.createdAt timestamp datetime_precision=0 not null default CURRENT_TIMESTAMP',
      '+ column Person.displayName text collation=C not null default -',
      '+ column Person.nickname varchar length=20 null default -',
    ]);
  });

  // Prisma's schema engine locks with pg_advisory_lock(72707369) and unlocks in another
  // statement: on a busy shared pool the two could land on different connections, and
  // the lock stayed with an idle one (a later instance's migrate then timed out).
  it.skipIf(!usingPostgres)(
    'leaves no migration lock behind, even with the pool busy',
    async () => {
      const current = await createTestDatabase();
      db = current;
      let busy = true;
      const load = Array.from({ length: 4 }, async () => {
        while (busy) await current.prisma.$queryRawUnsafe('SELECT 1 AS n FROM pg_sleep(0.002)');
      });
      try {
        for (let i = 0; i < 3; i++) expect(await current.migrate()).toEqual([]);
      } finally {
        busy = false;
        await Promise.all(load);
      }
      const held = await current.prisma.$queryRawUnsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND objid = 72707369
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(held).toEqual([{ n: 0 }]);
    },
  );
});
