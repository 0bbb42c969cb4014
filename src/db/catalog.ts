// A plain description of a database's schema (tables, columns, enums, indexes,
// constraints) read from the PostgreSQL catalog. Comparing the live database with one
// created straight from schema.prisma shows drift that the schema engine cannot
// introspect through driver adapters here.
export type Query = <T>(sql: string) => Promise<T[]>;

const TYPE_DETAILS = ['length', 'precision', 'scale', 'datetime_precision', 'collation'] as const;

export async function describeCatalog(query: Query, schema = 'public'): Promise<string[]> {
  const lines: string[] = [];
  const s = schema.replace(/'/g, "''");
  // The type is its name plus whatever narrows it (varchar(20), numeric(10,2),
  // timestamp(3), a collation): a migration that changes only those is drift too.
  // Numbers are cast to text so both drivers return them in the same form.
  const columns = await query<Record<string, string | null>>(
    `SELECT table_name, column_name, udt_name, is_nullable, column_default,
            character_maximum_length::text AS length, numeric_precision::text AS precision,
            numeric_scale::text AS scale, datetime_precision::text AS datetime_precision,
            collation_name AS collation
       FROM information_schema.columns
      WHERE table_schema = '${s}' AND table_name <> '_prisma_migrations'`,
  );
  for (const c of columns) {
    const narrowing = TYPE_DETAILS.filter((k) => c[k] !== null && c[k] !== undefined)
      .map((k) => ` ${k}=${c[k]}`)
      .join('');
    lines.push(
      `column ${c.table_name}.${c.column_name} ${c.udt_name}${narrowing} ${c.is_nullable === 'YES' ? 'null' : 'not null'} default ${c.column_default ?? '-'}`,
    );
  }
  const enums = await query<{ name: string; labels: string }>(
    `SELECT t.typname AS name, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
       JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = '${s}' GROUP BY t.typname`,
  );
  for (const e of enums) lines.push(`enum ${e.name} ${e.labels}`);
  const indexes = await query<{ indexdef: string }>(
    `SELECT indexdef FROM pg_indexes
      WHERE schemaname = '${s}' AND tablename <> '_prisma_migrations'`,
  );
  for (const i of indexes) lines.push(`index ${i.indexdef}`);
  // NOT NULL is read from the columns: PostgreSQL 17 (PGlite) also lists it as a
  // constraint and 15 does not.
  const constraints = await query<{ table_name: string; name: string; def: string }>(
    `SELECT c.conrelid::regclass::text AS table_name, c.conname AS name,
            pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = '${s}' AND c.conrelid <> 0 AND c.contype <> 'n'
        AND c.conrelid::regclass::text NOT LIKE '%_prisma_migrations%'`,
  );
  for (const c of constraints) lines.push(`constraint ${c.table_name}.${c.name} ${c.def}`);
  return lines.sort();
}

/** Lines only in `actual` are prefixed "+", lines only in `expected` "-". */
export function compareCatalogs(expected: string[], actual: string[]): string[] {
  const want = new Set(expected);
  const have = new Set(actual);
  return [
    ...expected.filter((l) => !have.has(l)).map((l) => `- ${l}`),
    ...actual.filter((l) => !want.has(l)).map((l) => `+ ${l}`),
  ];
}
