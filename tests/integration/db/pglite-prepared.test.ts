// Prepared statements on the embedded PGlite (src/db/pglite-prepared.ts): a repeated
// statement is parsed once, its rows are exactly what PGlite's own query() gives, errors
// leave the session usable, and a statement outside a transaction never runs inside
// someone else's.
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/client.js';
import { adapterRunner } from '../../../src/db/direct.js';
import { preparedPGlite } from '../../../src/db/pglite-prepared.js';

/** The SQL texts of the Parse messages PGlite receives ('P', length, name\0, text\0…). */
function parsesOf(pglite: PGlite): string[] {
  const parses: string[] = [];
  const raw = pglite.execProtocolRaw.bind(pglite);
  pglite.execProtocolRaw = (message, options) => {
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    for (let at = 0; at + 5 <= message.byteLength; at += 1 + view.getInt32(at + 1)) {
      if (message[at] !== 0x50) continue;
      const body = Buffer.from(message.subarray(at + 5, at + 1 + view.getInt32(at + 1)));
      const nameEnd = body.indexOf(0);
      parses.push(body.subarray(nameEnd + 1, body.indexOf(0, nameEnd + 1)).toString());
    }
    return raw(message, options);
  };
  return parses;
}

// PGlite's own module: it runs in the PostgreSQL run of the suite too (which skips nothing).
describe('prepared statements (PGlite)', () => {
  // One PGlite for all (starting one takes seconds); each test has statements of its own.
  let pglite: PGlite;
  let parses: string[];
  beforeAll(async () => {
    pglite = new PGlite();
    await pglite.waitReady;
    parses = parsesOf(pglite);
  });
  afterAll(async () => {
    if (pglite && !pglite.closed) await pglite.close();
  });
  const open: Database[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
  });
  const databaseOn = async (preparedStatements?: boolean) => {
    const db = await openDatabase({ pglite, preparedStatements });
    open.push(db);
    return db;
  };
  const preparedTexts = async (db: Database) =>
    (
      await db.sql.query<{ statement: string }>(
        "SELECT statement FROM pg_prepared_statements WHERE name LIKE 'relais%' ORDER BY name",
      )
    ).map((r) => r.statement);

  it('parses a repeated statement once and then only binds it', async () => {
    const db = await databaseOn();
    const add = 'SELECT $1::int + 1 AS n';
    const results = [];
    for (const i of [1, 2, 3]) results.push(await db.sql.query<{ n: number }>(add, [i]));
    expect(results).toEqual([[{ n: 2 }], [{ n: 3 }], [{ n: 4 }]]);
    expect(parses.filter((p) => p === add)).toHaveLength(1);
    expect(await preparedTexts(db)).toContain(add);

    // In a transaction too, with the same prepared statement.
    const inTx = await db.sql.transaction(({ sql }) => sql.query<{ n: number }>(add, [41]));
    expect(inTx).toEqual([{ n: 42 }]);
    expect(parses.filter((p) => p === add)).toHaveLength(1);

    // A "*" result stays unnamed (prepared.ts): parsed each time, never prepared.
    const star = 'SELECT * FROM (SELECT $1::text AS a) t';
    await db.sql.query(star, ['x']);
    await db.sql.query(star, ['y']);
    expect(parses.filter((p) => p === star)).toHaveLength(2);
    expect(await preparedTexts(db)).not.toContain(star);
  });

  it('prepares nothing when prepared statements are off', async () => {
    const db = await databaseOn(false);
    const text = 'SELECT $1::int AS unprepared';
    await db.sql.query(text, [1]);
    await db.sql.query(text, [2]);
    expect(parses.filter((p) => p === text)).toHaveLength(2);
    expect(await preparedTexts(db)).not.toContain(text);
  });

  it('gives the rows and types that PGlite query() gives through the Prisma adapter', async () => {
    await pglite.exec(`CREATE TABLE t (
      i int, b bigint, n numeric, f float8, ok boolean, s text, u uuid, at timestamptz,
      naive timestamp, d date, j json, jb jsonb, tags text[], nums int[]
    )`);
    const insert = `INSERT INTO t VALUES ($1::int, $2::bigint, $3::numeric, $4::float8, $5::boolean,
      $6, $7::uuid, $8::timestamptz, $9::timestamp, $10::date, $11::json, $12::jsonb, $13, $14::int[])
      RETURNING i`;
    const select =
      'SELECT i, b, n, f, ok, s, u, at, naive, d, j, jb, tags, nums FROM t WHERE s = ANY($1) OR s IS NULL ORDER BY i NULLS LAST';
    const rowsWith = async (client: PGlite | ReturnType<typeof preparedPGlite>) => {
      const runner = adapterRunner(await new PrismaPGlite(client as PGlite).connect());
      await pglite.exec('TRUNCATE t');
      const inserted = [
        await runner.query(insert, [
          1,
          '9007199254740993',
          '12.50',
          '0.5',
          'true',
          'l\'été "dit" \\ {x}',
          '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
          '2026-03-01T09:30:00.000Z',
          '2026-03-01 09:30:00',
          '2026-03-01',
          '{"a":[1,2]}',
          '{"b":{"c":"é"}}',
          ['un', 'deux, trois', 'quatre "q"', null],
          ['1', '2'],
        ]),
        await runner.query(
          insert,
          Array.from({ length: 14 }, () => null),
        ),
      ];
      const selected = await runner.query(select, [['l\'été "dit" \\ {x}']]);
      const counted = await runner.execute('UPDATE t SET i = i + 1 WHERE i IS NOT NULL');
      return { inserted, selected, counted };
    };
    const plain = await rowsWith(pglite);
    const prepared = preparedPGlite(pglite);
    const once = await rowsWith(prepared);
    const again = await rowsWith(prepared);
    expect(once).toEqual(plain);
    expect(again).toEqual(plain);
    expect(plain.selected).toHaveLength(2);
    expect(plain.selected[0]).toMatchObject({ tags: ['un', 'deux, trois', 'quatre "q"', null] });
    const names = await pglite.query<{ statement: string }>(
      'SELECT statement FROM pg_prepared_statements',
    );
    expect(names.rows.map((r) => r.statement)).toEqual(expect.arrayContaining([insert, select]));
  });

  it('shares one naming between the Databases opened on one PGlite', async () => {
    const a = await databaseOn();
    const b = await databaseOn();
    expect(await a.sql.query('SELECT $1::text AS first', ['a'])).toEqual([{ first: 'a' }]);
    expect(await b.sql.query('SELECT $1::int AS second', [2])).toEqual([{ second: 2 }]);
    expect(await a.sql.query('SELECT $1::text AS first', ['a2'])).toEqual([{ first: 'a2' }]);
    expect(await b.sql.query('SELECT $1::text AS first', ['b'])).toEqual([{ first: 'b' }]);
  });

  it('reports errors as PGlite does and keeps the session usable', async () => {
    const db = await databaseOn();
    // A statement that cannot be parsed is not remembered as prepared: the same error again.
    for (let i = 0; i < 2; i++) {
      await expect(db.sql.query('SELEC $1::int AS n', [1])).rejects.toThrow(/syntax error/);
    }
    const divide = 'SELECT 10 / $1::int AS q';
    expect(await db.sql.query(divide, [5])).toEqual([{ q: 2 }]);
    await expect(db.sql.query(divide, [0])).rejects.toThrow(/division by zero/);
    expect(await db.sql.query(divide, [2])).toEqual([{ q: 5 }]);

    await pglite.exec('CREATE TABLE once (k text PRIMARY KEY)');
    const put = 'INSERT INTO once (k) VALUES ($1)';
    await expect(
      db.sql.transaction(async ({ sql }) => {
        await sql.execute(put, ['kept?']);
        await sql.execute(put, ['kept?']);
      }),
    ).rejects.toThrow(/unique|duplicate/i);
    // Rolled back, and the next transaction works on the same prepared statement.
    await db.sql.transaction(({ sql }) => sql.execute(put, ['after'], { last: true }));
    expect((await pglite.query('SELECT k FROM once')).rows).toEqual([{ k: 'after' }]);
  });

  it('runs a statement outside a transaction only once the open transaction has ended', async () => {
    const db = await databaseOn();
    await pglite.exec('CREATE TABLE seen (k text)');
    const count = 'SELECT count(*)::int AS n FROM seen WHERE k = $1';
    await db.sql.query(count, ['warm']); // prepared before the race
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const order: string[] = [];
    const tx = db.sql
      .transaction(async ({ sql }) => {
        await sql.execute('INSERT INTO seen (k) VALUES ($1)', ['uncommitted']);
        await held;
        order.push('transaction ends');
        throw new Error('rolled back on purpose');
      })
      .catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    const outside = db.sql.query<{ n: number }>(count, ['uncommitted']).then((rows) => {
      order.push('outside runs');
      return rows;
    });
    await new Promise((r) => setTimeout(r, 50));
    release();
    expect(await outside).toEqual([{ n: 0 }]);
    await tx;
    expect(order).toEqual(['transaction ends', 'outside runs']);
  });

  // Last: it closes the PGlite the other tests share.
  it('says that PGlite is closed, as query() does, once it is', async () => {
    const db = await databaseOn();
    const text = 'SELECT $1::int AS after_close';
    await db.sql.query(text, [1]);
    await pglite.close();
    await expect(db.sql.query(text, [2])).rejects.toThrow('PGlite is closed');
    await expect(db.sql.transaction(({ sql }) => sql.query(text, [3]))).rejects.toThrow(
      'PGlite is closed',
    );
  });
});
