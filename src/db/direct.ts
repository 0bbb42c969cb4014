// Statements sent straight to the driver adapter, below Prisma. Prisma's client turns
// every call, even a raw query, into a request for its query interpreter: it captures a
// call site, serialises the parameters, interprets a plan and deserialises the result.
// On the path of every answer that costs more than the statement itself (in the Telegram
// bench, Prisma's own JavaScript was a sixth of the bot's time for about two statements
// per answer). The few statements every answer runs go here; everything else keeps Prisma.
//
// A transaction opened here is one connection with BEGIN sent. Work inside it that needs
// Prisma (a rare path: a keyword, a hook of a feature) gets a Prisma transaction client
// joined to that same connection, opened only when first used: the adapter given to
// Prisma (joinable()) hands Prisma the open transaction instead of starting one.
import { AsyncLocalStorage } from 'node:async_hooks';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  type ArgType,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQueryable,
  type SqlResultSet,
  type Transaction,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { Db } from './types.js';

type Tx = Prisma.TransactionClient;

/**
 * Runs SQL with $1, $2… parameters; rows come back as objects, json columns parsed. Times
 * come back as text whose form depends on the database: return them inside to_jsonb(…)
 * and read them with fromJsonRow (json-rows.ts).
 */
export interface SqlRunner {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    options?: StatementOptions,
  ): Promise<T[]>;
  /** The number of rows the statement changed. */
  execute(sql: string, params?: unknown[], options?: StatementOptions): Promise<number>;
}

export interface StatementOptions {
  /**
   * In a transaction: its last statement. On PostgreSQL its COMMIT leaves with it, in the
   * same write (one round trip fewer); nothing may run in the transaction after it.
   * Elsewhere it changes nothing.
   */
  last?: boolean;
}

/** Inside a transaction of DirectSql: its statements, and Prisma on the same connection. */
export interface DirectTx {
  sql: SqlRunner;
  /** A Prisma transaction client on the same transaction, opened at its first use. */
  prisma: Tx;
}

export interface DirectSql extends SqlRunner {
  /**
   * The statements run in this thread (the embedded PGlite), not in a server: while one
   * runs, nothing else here does, not even reading the requests that have arrived.
   */
  readonly inThread: boolean;
  /** Runs `work` in one transaction: committed when it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: DirectTx) => Promise<T>): Promise<T>;
}

// Parameters go as text (or JSON text, or a list of text), and the SQL casts them where a
// type matters: the adapter then converts nothing, and PostgreSQL infers the rest.
const TEXT: ArgType = { scalarType: 'string', arity: 'scalar' };
const LIST: ArgType = { scalarType: 'string', arity: 'list' };

function argOf(value: unknown): { arg: unknown; type: ArgType } {
  if (value === null || value === undefined) return { arg: null, type: TEXT };
  if (Array.isArray(value))
    return { arg: value.map((v) => (v === null ? null : String(v))), type: LIST };
  if (value instanceof Date) return { arg: value.toISOString(), type: TEXT };
  if (typeof value === 'object') return { arg: JSON.stringify(value), type: TEXT };
  return { arg: String(value), type: TEXT };
}

function queryOf(sql: string, params: unknown[]) {
  const args: unknown[] = [];
  const argTypes: ArgType[] = [];
  for (const p of params) {
    const { arg, type } = argOf(p);
    args.push(arg);
    argTypes.push(type);
  }
  return { sql, args, argTypes };
}

const JSON_COLUMNS: ReadonlySet<number> = new Set([ColumnTypeEnum.Json]);

function rowsOf<T>(result: SqlResultSet): T[] {
  const { columnNames, columnTypes, rows } = result;
  const json = columnTypes.map((t) => JSON_COLUMNS.has(t));
  return rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columnNames.length; i++) {
      const value = values[i];
      row[columnNames[i] as string] =
        json[i] && typeof value === 'string' ? JSON.parse(value) : value;
    }
    return row as T;
  });
}

/** A runner over an adapter or one of its transactions. */
export function adapterRunner(on: SqlQueryable): SqlRunner {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return rowsOf<T>(await on.queryRaw(queryOf(sql, params)));
    },
    execute(sql, params = []) {
      return on.executeRaw(queryOf(sql, params));
    },
  };
}

/** The same interface over Prisma (a client or a transaction of its own). */
export function prismaRunner(db: Db): SqlRunner {
  return {
    query<T>(sql: string, params: unknown[] = []) {
      return db.$queryRawUnsafe<T[]>(sql, ...params.map((p) => (p === undefined ? null : p)));
    },
    execute(sql, params = []) {
      return db.$executeRawUnsafe(sql, ...params.map((p) => (p === undefined ? null : p)));
    },
  };
}

/** What a joined Prisma transaction runs its statements on. */
type Statements = Pick<SqlQueryable, 'queryRaw' | 'executeRaw'>;

/** Where a Prisma transaction started here runs its statements, if it joins one. */
const joining = new AsyncLocalStorage<Statements>();

/**
 * The adapter factory to give Prisma: the real one, except that a Prisma transaction
 * started inside DirectSql's join (and only there) runs on that transaction. Its BEGIN
 * and COMMIT are the direct transaction's: Prisma is told to send none (usePhantomQuery).
 */
export function joinable(
  factory: SqlMigrationAwareDriverAdapterFactory,
): SqlMigrationAwareDriverAdapterFactory {
  const wrap = (adapter: SqlDriverAdapter): SqlDriverAdapter => ({
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (q) => adapter.queryRaw(q),
    executeRaw: (q) => adapter.executeRaw(q),
    executeScript: (s) => adapter.executeScript(s),
    getConnectionInfo: adapter.getConnectionInfo?.bind(adapter),
    dispose: () => adapter.dispose(),
    async startTransaction(isolationLevel) {
      const open = joining.getStore();
      if (!open) return adapter.startTransaction(isolationLevel);
      return {
        provider: adapter.provider,
        adapterName: adapter.adapterName,
        options: { usePhantomQuery: true },
        queryRaw: (q) => open.queryRaw(q),
        executeRaw: (q) => open.executeRaw(q),
        // The direct transaction commits or rolls back; Prisma's part ends with it.
        commit: async () => {},
        rollback: async () => {},
      };
    },
  });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => wrap(await factory.connect()),
    connectToShadowDb: async () => wrap(await factory.connectToShadowDb()),
  };
}

const TX_OPTIONS = { timeout: 30_000, maxWait: 30_000 };

/** Ends an adapter transaction as Prisma's engine does. */
async function end(tx: Transaction, how: 'COMMIT' | 'ROLLBACK'): Promise<void> {
  try {
    if (!tx.options.usePhantomQuery) await tx.executeRaw({ sql: how, args: [], argTypes: [] });
  } catch (error) {
    await tx.rollback().catch(() => {});
    throw error;
  }
  await (how === 'COMMIT' ? tx.commit() : tx.rollback());
}

/**
 * A Tx-shaped stand-in that opens the joined Prisma transaction when first used, then
 * passes each call on: `tx.flowRun.findFirst(...)` and `tx.$queryRaw\`...\`` work as on
 * a Prisma transaction client (their promises are awaited, never batched).
 */
function lazyPrisma(open: () => Promise<Tx>): Tx {
  const model = (name: string) =>
    new Proxy(
      {},
      {
        get:
          (_t, method: string) =>
          (...args: unknown[]) =>
            open().then((tx) =>
              (
                (tx as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[
                  name
                ] as Record<string, (...a: unknown[]) => unknown>
              )[method]?.(...args),
            ),
      },
    );
  const models = new Map<string, unknown>();
  return new Proxy({} as Tx, {
    get(_t, prop) {
      // Not a promise itself: `await tx` must not try to call this.
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      if (prop.startsWith('$')) {
        return (...args: unknown[]) =>
          open().then((tx) =>
            (tx as unknown as Record<string, (...a: unknown[]) => unknown>)[prop]?.(...args),
          );
      }
      let m = models.get(prop);
      if (!m) {
        m = model(prop);
        models.set(prop, m);
      }
      return m;
    },
  });
}

const AFTER_LAST = 'a statement after the last one of a transaction';

/** The transaction's runner, refusing statements after the one marked last (see pgDirect). */
function lastGuard(inner: SqlRunner): SqlRunner {
  let ended = false;
  const check = (options?: StatementOptions) => {
    if (ended) throw new Error(AFTER_LAST);
    if (options?.last) ended = true;
  };
  return {
    async query(sql, params, options) {
      check(options);
      return inner.query(sql, params);
    },
    async execute(sql, params, options) {
      check(options);
      return inner.execute(sql, params);
    },
  };
}

/**
 * A Prisma transaction client joined to `open`, started at its first use: Prisma's
 * $transaction runs inside `joining`, so the adapter of joinable() hands it `open`. end()
 * lets Prisma's part finish (its commit and rollback do nothing: the caller ends `open`).
 */
function joinPrisma(
  prisma: PrismaClient,
  open: Statements,
): { tx: Tx; end(ok: boolean): Promise<void> } {
  let joined: Promise<Tx> | undefined;
  let finish: (ok: boolean) => void = () => {};
  let done: Promise<void> = Promise.resolve();
  const tx = lazyPrisma(() => {
    joined ??= new Promise<Tx>((resolve, reject) => {
      const settled = new Promise<boolean>((r) => {
        finish = r;
      });
      done = joining
        .run(open, () =>
          prisma.$transaction(async (t) => {
            resolve(t);
            // Rejecting makes Prisma call rollback(), a no-op: the direct one decides.
            if (!(await settled)) throw new Error('rolled back');
          }, TX_OPTIONS),
        )
        .then(
          () => {},
          (error: unknown) => reject(error),
        );
    });
    return joined;
  });
  return {
    tx,
    async end(ok) {
      if (!joined) return;
      finish(ok);
      await done;
    },
  };
}

/**
 * DirectSql over the factory's adapter: the embedded PGlite, where a statement is a call
 * in this process (no round trip to save). PostgreSQL has pgDirect.
 */
export async function adapterDirect(
  factory: SqlMigrationAwareDriverAdapterFactory,
  prisma: PrismaClient,
): Promise<DirectSql & { dispose(): Promise<void> }> {
  const adapter = await factory.connect();
  return {
    inThread: true,
    ...adapterRunner(adapter),
    async transaction<T>(work: (tx: DirectTx) => Promise<T>): Promise<T> {
      const open = await adapter.startTransaction();
      const joined = joinPrisma(prisma, open);
      try {
        const result = await work({ sql: lastGuard(adapterRunner(open)), prisma: joined.tx });
        await joined.end(true);
        await end(open, 'COMMIT');
        return result;
      } catch (error) {
        await joined.end(false);
        await end(open, 'ROLLBACK').catch(() => {});
        throw error;
      }
    },
    dispose: () => adapter.dispose(),
  };
}

/** Parameters as node-postgres sends them: text, JSON text, lists of text. */
const pgValue = (value: unknown) => argOf(value).arg;

// Times stay text (a timestamp without zone read as a Date would take this machine's zone);
// json is parsed, int8 stays text: node-postgres' own parsers.
const pgTypes = {
  getTypeParser: (oid: number, format?: string) =>
    oid === 1114 || oid === 1184
      ? (value: string) => value
      : pg.types.getTypeParser(oid, (format ?? 'text') as 'text'),
};

/** A pool that is one checked-out client: Prisma's adapter over it runs on that client. */
class ClientPool extends pg.Pool {
  constructor(private readonly client: pg.PoolClient) {
    super({ max: 1 });
  }
  override query = ((...args: unknown[]) =>
    (this.client.query as (...a: unknown[]) => unknown)(...args)) as pg.Pool['query'];
}

/**
 * DirectSql on a PostgreSQL pool (the one Prisma's adapter uses too). A transaction is one
 * pooled connection in node-postgres' pipeline mode: BEGIN goes in the same write as the
 * first statement, COMMIT in the same write as the last (`last`), so a transaction of two
 * statements costs two round trips, not four. Each statement keeps its own Sync: one that
 * fails leaves the transaction failed, and a COMMIT behind it only rolls it back.
 */
export function pgDirect(
  pool: pg.Pool,
  prisma: PrismaClient,
  options: { statementName?: (query: { sql: string }) => string } = {},
): DirectSql & { dispose(): Promise<void> } {
  const name = options.statementName ?? (() => '');
  const config = (sql: string, params: unknown[]) => ({
    name: name({ sql }) || undefined,
    text: sql,
    values: params.map(pgValue),
    types: pgTypes,
  });
  const rows = <T>(result: pg.QueryResult) => result.rows as T[];
  return {
    inThread: false,
    async query<T>(sql: string, params: unknown[] = []) {
      return rows<T>(await pool.query(config(sql, params)));
    },
    async execute(sql: string, params: unknown[] = []) {
      return (await pool.query(config(sql, params))).rowCount ?? 0;
    },
    async transaction<T>(work: (tx: DirectTx) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // Held in an object: it changes in the closures below, and TypeScript must not narrow it.
      const at: { state: 'idle' | 'open' | 'ended' } = { state: 'idle' };
      /** Sends statements in one write: BEGIN first if not sent yet, COMMIT after if last. */
      const send = async (sql: string, params: unknown[], last = false) => {
        if (at.state === 'ended') throw new Error(AFTER_LAST);
        const stream = (client as unknown as { connection?: { stream?: NodeJS.WritableStream } })
          .connection?.stream as { cork?(): void; uncork?(): void } | undefined;
        const sent: Promise<pg.QueryResult>[] = [];
        stream?.cork?.();
        try {
          if (at.state === 'idle') sent.push(client.query('BEGIN'));
          at.state = last ? 'ended' : 'open';
          sent.push(client.query(config(sql, params)));
          if (last) sent.push(client.query('COMMIT'));
        } finally {
          stream?.uncork?.();
        }
        const settled = await Promise.allSettled(sent);
        const failed = settled.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
        const main = settled[
          settled.length - (last ? 2 : 1)
        ] as PromiseFulfilledResult<pg.QueryResult>;
        return main.value;
      };
      const runner: SqlRunner = {
        async query<R>(sql: string, params: unknown[] = [], o?: StatementOptions) {
          return rows<R>(await send(sql, params, o?.last));
        },
        async execute(sql: string, params: unknown[] = [], o?: StatementOptions) {
          return (await send(sql, params, o?.last)).rowCount ?? 0;
        },
      };
      // Prisma, when something asks for it: its adapter over this very connection.
      let onClient: Promise<SqlDriverAdapter> | undefined;
      const viaPrisma = async (run: (a: SqlDriverAdapter) => Promise<never>) => {
        if (at.state === 'ended') throw new Error(AFTER_LAST);
        if (at.state === 'idle') {
          await client.query('BEGIN');
          at.state = 'open';
        }
        onClient ??= new PrismaPg(new ClientPool(client), {
          statementNameGenerator: options.statementName,
        }).connect();
        return run(await onClient);
      };
      const onConnection: Statements = {
        queryRaw: (q) => viaPrisma((a) => a.queryRaw(q) as Promise<never>),
        executeRaw: (q) => viaPrisma((a) => a.executeRaw(q) as Promise<never>),
      };
      const joined = joinPrisma(prisma, onConnection);
      let broken: unknown;
      try {
        const result = await work({ sql: runner, prisma: joined.tx });
        await joined.end(true);
        if (at.state === 'open') await client.query('COMMIT');
        at.state = 'ended';
        return result;
      } catch (error) {
        await joined.end(false);
        if (at.state === 'open') {
          // A failed COMMIT behind the last statement has rolled back already.
          await client.query('ROLLBACK').catch((e: unknown) => {
            broken = e;
          });
        }
        throw error;
      } finally {
        // A connection that could not even roll back is closed rather than reused.
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    // The pool is the caller's (client.ts ends it after Prisma).
    dispose: async () => {},
  };
}
