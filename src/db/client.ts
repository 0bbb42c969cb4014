// One way to get a database, embedded or real: PGlite under DATA_DIR when no DATABASE_URL
// is given (nothing to install for a first run), a PostgreSQL server otherwise. Both speak
// the same SQL and take the same migrations.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { adapterDirect, type DirectSql, joinable, pgDirect } from './direct.js';
import { type FolderLock, lockFolder } from './folder-lock.js';
import { applyMigrations } from './migrations.js';
import { preparedPGlite } from './pglite-prepared.js';
import { preparedStatementNames } from './prepared.js';
import { redactUrl } from './redact-url.js';

export type { PrismaClient } from '../generated/prisma/client.js';
export { redactUrl } from './redact-url.js';

export interface Database {
  prisma: PrismaClient;
  kind: 'pglite' | 'postgres';
  /** Where the data is, without credentials, for logs and the start-up banner. */
  location: string;
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** The hot path's statements, below Prisma, on the same connections (direct.ts). */
  sql: DirectSql;
  /** Applies pending migrations once, even with several instances starting together. */
  migrate(): Promise<string[]>;
  /**
   * Runs `work` while no other Relais instance on this database runs start-up work
   * (migrations, demo data): the check-then-write of each is then safe. Not re-entrant:
   * `work` must not call exclusive() or migrate().
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** PGlite data folder; undefined with no databaseUrl means in memory (tests). */
  dataDir?: string | undefined;
  /** A PGlite instance to use as is (tests load a migrated snapshot into it). */
  pglite?: PGlite;
  poolSize?: number;
  /** Prepare repeated statements (default true; see prepared.ts and pglite-prepared.ts). */
  preparedStatements?: boolean;
}

// Arbitrary but fixed: every Relais instance contends for the same advisory lock, for
// migrations and for loading the demo data.
const STARTUP_LOCK_KEY = 0x52_45_4c_41_49_53n; // "RELAIS"

const inProcessQueues = new WeakMap<PGlite, Promise<void>>();

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    return openPostgres(
      options.databaseUrl,
      options.poolSize ?? 10,
      options.preparedStatements ?? true,
    );
  }
  let pglite = options.pglite;
  let location = 'memory';
  let lock: FolderLock | undefined;
  if (!pglite && options.dataDir) {
    location = join(options.dataDir, 'pglite');
    mkdirSync(location, { recursive: true });
    // Before PGlite touches the folder: a second process must not open it at all.
    lock = lockFolder(location);
  }
  try {
    pglite ??= options.dataDir ? new PGlite(location) : new PGlite();
    await pglite.waitReady;
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = pglite;
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = (inProcessQueues.get(db) ?? Promise.resolve()).then(work);
    inProcessQueues.set(
      db,
      run.then(
        () => {},
        () => {},
      ),
    );
    return run;
  };
  const factory = new PrismaPGlite(db);
  const prisma = new PrismaClient({ adapter: joinable(factory), errorFormat: 'minimal' });
  // The hot path's statements prepared (pglite-prepared.ts); Prisma's own stay as they are.
  const direct =
    (options.preparedStatements ?? true)
      ? new PrismaPGlite(preparedPGlite(db) as unknown as PGlite)
      : factory;
  const sql = await adapterDirect(direct, prisma);
  return {
    prisma,
    kind: 'pglite',
    location: `PGlite (${location})`,
    factory,
    sql,
    // One process owns a PGlite folder (the lock above), so only instances within this
    // process can meet here; a queue per PGlite keeps them one at a time.
    exclusive,
    migrate: () => exclusive(() => applyMigrations(factory)),
    async close() {
      try {
        await prisma.$disconnect();
        await sql.dispose();
        if (!options.pglite) await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}

// A server that accepts connections but never answers (overloaded, half-down network)
// must fail a connection attempt rather than hold it, and with it a request, forever.
const CONNECTION_TIMEOUT_MS = 5_000;

async function openPostgres(
  url: string,
  poolSize: number,
  preparedStatements: boolean,
): Promise<Database> {
  // A session-level advisory lock on a connection of its own: a second instance waits
  // here, then finds the work done (every migration applied, the demo loaded).
  const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
    });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [STARTUP_LOCK_KEY.toString()]);
      return await work();
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1)', [STARTUP_LOCK_KEY.toString()])
        .catch(() => {});
      await client.end();
    }
  };
  // One pool for Prisma and the direct statements (direct.ts), so poolSize holds for both.
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
    // Notices a connection whose server vanished without closing it.
    keepAlive: true,
    // Statements sent without waiting for the previous one's answer (direct.ts sends
    // BEGIN and COMMIT with the statements next to them). Prisma awaits each: unchanged.
    pipeline: true,
  } as pg.PoolConfig);
  // An idle connection the server ended (a restart, an administrator's terminate): the
  // pool drops it and opens another at the next query. Without a listener, Node would
  // take the 'error' event for a crash of the whole process.
  pool.on('error', () => {});
  // One naming for both paths: a name a connection prepared always means the same text.
  const statementName = preparedStatements ? preparedStatementNames() : undefined;
  const factory = new PrismaPg(
    pool,
    statementName ? { statementNameGenerator: statementName } : undefined,
  );
  const prisma = new PrismaClient({ adapter: joinable(factory), errorFormat: 'minimal' });
  const sql = pgDirect(pool, prisma, { statementName });
  return {
    prisma,
    kind: 'postgres',
    location: `PostgreSQL (${redactUrl(url)})`,
    factory,
    sql,
    exclusive,
    migrate: () =>
      exclusive(async () => {
        // Prisma's schema engine takes its advisory lock and gives it back in two separate
        // statements: on the shared pool they can go to two connections, and the lock then
        // stays with an idle one until the pool closes it (the next instance's migrate
        // timed out after 10 s in CI). So the engine gets one connection of its own.
        const own = new pg.Pool({
          connectionString: url,
          max: 1,
          connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
        });
        own.on('error', () => {});
        try {
          return await applyMigrations(new PrismaPg(own));
        } finally {
          await own.end().catch(() => {});
        }
      }),
    async close() {
      await prisma.$disconnect();
      await sql.dispose();
      await pool.end();
    },
  };
}
