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
  it('take an empty database to exactly the schema in schema.prisma', async () => {
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

    // The comparison does see drift: a column added by hand shows up.
    await current.prisma.$executeRawUnsafe('ALTER TABLE "Person" ADD COLUMN nickname text');
    expect(await diffDatabaseCatalogToSchema(query)).toEqual([
      '+ column Person.nickname text null default -',
    ]);
  });
});
