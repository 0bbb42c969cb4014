// Statements below Prisma (src/db/direct.ts): a transaction of direct statements with a
// Prisma client joined to it at its first use, on the embedded PGlite and on PostgreSQL
// (where BEGIN and COMMIT travel with the statements next to them).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';

describe(`direct statements (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.destroy();
  });

  const slugs = async () =>
    (await db.prisma.organisation.findMany({ orderBy: { slug: 'asc' } })).map((o) => o.slug);
  const insert =
    'INSERT INTO "Organisation" (id, slug, name, "updatedAt") VALUES (gen_random_uuid(), $1, $2, now()) RETURNING slug';

  it('commits direct statements and Prisma calls of one transaction together', async () => {
    const result = await db.sql.transaction(async ({ sql, prisma }) => {
      const [first] = await sql.query<{ slug: string }>(insert, ['a-direct', 'A']);
      // Prisma joined to the same transaction sees the uncommitted row.
      const seen = await prisma.organisation.findUnique({ where: { slug: 'a-direct' } });
      await prisma.organisation.create({ data: { slug: 'b-prisma', name: 'B' } });
      const [last] = await sql.query<{ slug: string }>(insert, ['c-last', 'C'], { last: true });
      return [first?.slug, seen?.name, last?.slug];
    });
    expect(result).toEqual(['a-direct', 'A', 'c-last']);
    expect(await slugs()).toEqual(['a-direct', 'b-prisma', 'c-last']);
  });

  it('rolls back everything, Prisma included, when the work throws', async () => {
    await expect(
      db.sql.transaction(async ({ sql, prisma }) => {
        await sql.execute(insert, ['d-gone', 'D']);
        await prisma.organisation.create({ data: { slug: 'e-gone', name: 'E' } });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await slugs()).not.toContain('d-gone');
    expect(await slugs()).not.toContain('e-gone');
  });

  it('commits nothing when the last statement fails, and the connection serves again', async () => {
    await expect(
      db.sql.transaction(async ({ sql }) => {
        await sql.execute(insert, ['f-gone', 'F']);
        // The same slug again: a unique violation in the statement COMMIT travels with.
        await sql.execute(insert, ['f-gone', 'F'], { last: true });
      }),
    ).rejects.toThrow(/unique|duplicate/i);
    expect(await slugs()).not.toContain('f-gone');
    // Every connection of the pool is clean: as many transactions as it has all work.
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        db.sql.transaction(({ sql }) => sql.execute(insert, [`g-${i}`, 'G'], { last: true })),
      ),
    );
    expect((await slugs()).filter((s) => s.startsWith('g-'))).toHaveLength(6);
  });

  it('refuses a statement after the last one instead of running it outside the transaction', async () => {
    await expect(
      db.sql.transaction(async ({ sql }) => {
        await sql.execute(insert, ['h-last', 'H'], { last: true });
        await sql.execute(insert, ['i-after', 'I']);
      }),
    ).rejects.toThrow(/after the last one/);
    expect(await slugs()).not.toContain('i-after');
  });

  it.skipIf(!usingPostgres)(
    'survives the server ending its idle connections, and opens new ones',
    async () => {
      // Warm the pool: several connections open and idle.
      await Promise.all(Array.from({ length: 4 }, () => db.sql.query('SELECT pg_sleep(0.05)')));
      // Prisma disconnected takes its own listener off the pool: only Relais' one is left.
      await db.prisma.$disconnect();
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      try {
        const { rows } = await admin.query(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        expect(rows[0].n).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      // The pool's 'error' events were taken (an unhandled one would end the process).
      await new Promise((r) => setTimeout(r, 100));
      const [row] = await db.sql.query<{ one: number }>('SELECT 1 AS one');
      expect(row?.one).toBe(1);
      expect(await db.prisma.organisation.count()).toBeGreaterThan(0);
    },
  );

  it.skipIf(!usingPostgres)(
    'leaves Prisma calls made outside the join in transactions of their own',
    async () => {
      await db.sql.transaction(async ({ sql }) => {
        await sql.execute(insert, ['j-open', 'J']);
        // Another connection: the row is not committed yet, so it is not seen there.
        expect(await db.prisma.organisation.count({ where: { slug: 'j-open' } })).toBe(0);
      });
      expect(await db.prisma.organisation.count({ where: { slug: 'j-open' } })).toBe(1);
    },
  );
});
