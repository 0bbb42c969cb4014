// Prepared statements on a PostgreSQL server (src/db/prepared.ts): the same statement is
// prepared once on a connection and then only bound; off, nothing is prepared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/client.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';

describe.skipIf(!usingPostgres)('prepared statements (PostgreSQL)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.destroy();
  });

  // One connection, so that the statements and the view are on the same session.
  const prepared = async (preparedStatements: boolean) => {
    const own = await openDatabase({
      databaseUrl: db.url as string,
      poolSize: 1,
      preparedStatements,
    });
    try {
      const org = await own.prisma.organisation.create({ data: { slug: 'p', name: 'P' } });
      for (let i = 0; i < 3; i++) {
        await own.prisma.organisation.findUnique({ where: { id: org.id } });
        await own.prisma.$queryRawUnsafe(
          'SELECT count(*) FROM "Message" WHERE channel = $1::"ChannelKind"',
          'sms',
        );
      }
      const rows = await own.prisma.$queryRawUnsafe<{ statement: string }[]>(
        'SELECT statement FROM pg_prepared_statements ORDER BY prepare_time',
      );
      await own.prisma.organisation.delete({ where: { id: org.id } });
      return rows.map((r) => r.statement);
    } finally {
      await own.close();
    }
  };

  it('prepares each repeated statement once on a connection', async () => {
    const statements = await prepared(true);
    expect(statements.filter((s) => s.includes('FROM "Message" WHERE channel'))).toHaveLength(1);
    expect(
      statements.filter((s) => s.includes('"Organisation"') && s.includes('SELECT')),
    ).toHaveLength(1);
  });

  it('prepares nothing with DATABASE_PREPARED_STATEMENTS=false', async () => {
    expect(await prepared(false)).toEqual([]);
  });
});
