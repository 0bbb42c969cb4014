// Prepared statements on the embedded PGlite. PGlite's query() sends every statement
// unnamed: each time, it is parsed, analysed and planned again, and its six protocol
// messages cross into PGlite's WebAssembly one call at a time. On the answer path of the
// Telegram bench this was most of the bots' thread (the batch's two statements are large).
// Named, a statement is parsed once; each execution is one call with Bind, Describe,
// Execute and Sync, and PostgreSQL may keep its plan. The naming rule is prepared.ts'.
//
// What this gives the Prisma adapter is PGlite's own query() and transaction() shape, and
// results come from PGlite's own parser with the caller's parsers: rows, types and errors
// are those of PGlite's query(). Only statements named by the rule take this path.
import {
  type PGlite,
  parse,
  protocol,
  type QueryOptions,
  type Results,
} from '@electric-sql/pglite';
import { preparedStatementNames } from './prepared.js';

const { serialize } = protocol;

/** What the Prisma PGlite adapter calls on its client (a PGlite, or this). */
export interface PGliteQueryClient {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec: PGlite['exec'];
  transaction<T>(work: (tx: PGliteTx) => Promise<T>): Promise<T>;
}

type PGliteTx = Parameters<Parameters<PGlite['transaction']>[0]>[0];

interface Prepared {
  /** Parameter types as PostgreSQL inferred them, for serialising values as query() does. */
  paramTypes: number[];
}

interface Naming {
  name: (query: { sql: string }) => string;
  /** Statements this PGlite session has prepared, by name. */
  prepared: Map<string, Prepared>;
}

// A PGlite is one session: every Database opened on the same instance (tests share one)
// must use one naming, or two texts would meet under one name.
const namings = new WeakMap<PGlite, Naming>();

function namingOf(db: PGlite): Naming {
  let naming = namings.get(db);
  if (!naming) {
    naming = { name: preparedStatementNames(), prepared: new Map() };
    namings.set(db, naming);
  }
  return naming;
}

/** As PGlite's query() marks its errors: the statement and parameters ride along. */
function withQuery(error: unknown, sql: string, params: unknown[], options?: QueryOptions) {
  if (error && typeof error === 'object' && 'severity' in error) {
    Object.assign(error, { query: sql, params, queryOptions: options });
  }
  return error;
}

/**
 * A client for the Prisma PGlite adapter that prepares repeated statements. Runs inside
 * PGlite's own locks: the caller holds the query lock (and, outside a transaction, the
 * transaction lock), as PGlite's query() does.
 */
export function preparedPGlite(db: PGlite): PGliteQueryClient {
  const naming = namingOf(db);

  const run = async <T>(
    name: string,
    sql: string,
    params: unknown[],
    options: QueryOptions | undefined,
  ): Promise<Results<T>> => {
    try {
      let prepared = naming.prepared.get(name);
      if (!prepared) {
        const described = await db.execProtocolStream(
          Buffer.concat([
            serialize.parse({ name, text: sql }),
            serialize.describe({ type: 'S', name }),
            serialize.sync(),
          ]),
          { syncToFs: false },
        );
        const description = described.find((m) => m.name === 'parameterDescription') as
          | { dataTypeIDs: number[] }
          | undefined;
        prepared = { paramTypes: description?.dataTypeIDs ?? [] };
        naming.prepared.set(name, prepared);
      }
      const types = prepared.paramTypes;
      const values = params.map((value, i) => {
        if (value === null || value === undefined) return null;
        const type = types[i] as number;
        const serializer = options?.serializers?.[type] ?? db.serializers[type];
        return serializer ? serializer(value) : String(value);
      });
      const messages = await db.execProtocolStream(
        Buffer.concat([
          serialize.bind({ statement: name, values }),
          serialize.describe({ type: 'P' }),
          serialize.execute({}),
          serialize.sync(),
        ]),
        { syncToFs: false },
      );
      return parse.parseResults(messages, db.parsers, options)[0] as Results<T>;
    } catch (error) {
      throw withQuery(error, sql, params, options);
    }
  };

  return {
    async query<T>(sql: string, params: unknown[] = [], options?: QueryOptions) {
      const name = naming.name({ sql });
      if (!name) return db.query<T>(sql, params, options);
      // As query() does: a closed PGlite says so, rather than running in a stopped module.
      await db._checkReady();
      const result = await db._runExclusiveTransaction(() =>
        db._runExclusiveQuery(() => run<T>(name, sql, params, options)),
      );
      // Outside a transaction PGlite writes its changes to the data folder after each
      // statement (query() does the same).
      await db.syncToFs();
      return result;
    },
    exec: (sql, options) => db.exec(sql, options),
    transaction<T>(work: (tx: PGliteTx) => Promise<T>) {
      return db.transaction((tx) => {
        const own: PGliteTx = Object.create(tx, {
          query: {
            value: async <R>(sql: string, params: unknown[] = [], options?: QueryOptions) => {
              const name = naming.name({ sql });
              if (!name || tx.closed) return tx.query<R>(sql, params, options);
              return db._runExclusiveQuery(() => run<R>(name, sql, params, options));
            },
          },
        });
        return work(own);
      });
    },
  };
}
