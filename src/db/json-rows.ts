// Rows read as JSON (to_jsonb) by the few raw queries that fetch several tables in one
// statement, turned back into what Prisma would have returned: its DateTime columns are
// UTC wall-clock timestamps, which JSON gives as text without a zone.
import type {
  ChannelIdentity,
  FlowRun,
  Message,
  Person,
  Territory,
} from '../generated/prisma/client.js';

/** The DateTime fields of the models read this way (a test checks them against the schema). */
export const DATE_FIELDS = {
  ChannelIdentity: ['consentAt', 'optedOutAt', 'unreachableAt', 'createdAt', 'updatedAt'],
  Person: ['orientedAt', 'createdAt', 'updatedAt'],
  Territory: ['createdAt', 'updatedAt'],
  FlowRun: ['startedAt', 'updatedAt', 'endedAt', 'expiresAt'],
  Message: [
    'notBefore',
    'notAfter',
    'claimedAt',
    'pressureAt',
    'createdAt',
    'sentAt',
    'deliveredAt',
    'readAt',
    'failedAt',
  ],
} as const;

type Models = {
  ChannelIdentity: ChannelIdentity;
  Person: Person;
  Territory: Territory;
  FlowRun: FlowRun;
  Message: Message;
};

/** A to_jsonb row of `model` as its Prisma type. */
export function fromJsonRow<M extends keyof Models>(model: M, row: unknown): Models[M] {
  const out = { ...(row as Record<string, unknown>) };
  for (const field of DATE_FIELDS[model]) {
    const value = out[field];
    if (typeof value === 'string') out[field] = new Date(`${value}Z`);
  }
  return out as Models[M];
}

/** A client or transaction able to run raw SQL (Prisma's, either kind). */
interface RawDb {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const quoted = (name: string) => {
  if (!IDENTIFIER.test(name)) throw new Error(`not a column or table name: ${name}`);
  return `"${name}"`;
};

/**
 * Inserts rows of one table in one statement, without Prisma compiling a query for each
 * shape and size of batch (on the hot path of every answer that costs more than the
 * insert). The rows travel as one JSON parameter and PostgreSQL turns each field into its
 * column's type (jsonb_populate_recordset), enums and JSON included. A column is written
 * when some row has it (undefined or null is NULL); the others get their defaults. Dates
 * go as ISO text, which a timestamp without time zone reads as the UTC wall clock Prisma
 * keeps. Ids must be given: Prisma's uuid(7) default is the client's, not the table's.
 */
export async function insertRows<R extends Record<string, unknown>>(
  db: RawDb,
  table: string,
  rows: Record<string, unknown>[],
  options: InsertOptions<R> = {},
): Promise<R[]> {
  if (!rows.length) return [];
  const { sql, json } = insertSql(table, rows, options);
  // $queryRawUnsafe for RETURNING rows; without it, the empty list it returns.
  return db.$queryRawUnsafe<R[]>(sql, json);
}

interface InsertOptions<R> {
  onConflictDoNothing?: boolean;
  returning?: (keyof R & string)[];
  /** Each inserted row whole, as JSON under this name (instead of `returning`'s columns). */
  returningJsonAs?: string;
}

function returningOf<R>(table: string, options: InsertOptions<R>): string {
  if (options.returningJsonAs) {
    return `RETURNING to_jsonb(${quoted(table)}) AS ${quoted(options.returningJsonAs)}`;
  }
  return options.returning?.length ? `RETURNING ${options.returning.map(quoted).join(', ')}` : '';
}

/** The statement of insertRows (its one parameter is $1) and that parameter's value. */
export function insertSql<R>(
  table: string,
  rows: Record<string, unknown>[],
  options: InsertOptions<R> = {},
): { sql: string; json: string } {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].map(quoted).join(', ');
  const json = JSON.stringify(rows, (_key, value) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
  const sql = `INSERT INTO ${quoted(table)} (${columns})
    SELECT ${columns} FROM jsonb_populate_recordset(NULL::${quoted(table)}, $1::jsonb)
    ${options.onConflictDoNothing ? 'ON CONFLICT DO NOTHING' : ''}
    ${returningOf(table, options)}`;
  return { sql, json };
}
