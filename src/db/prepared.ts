// Prepared statements on a PostgreSQL server. Every answer runs the same few statements
// (the batch's preload and writes, the outbox claim); sent unnamed, each is parsed and
// planned again every time: in the Telegram bench, naming them took the server's CPU per
// answer from 3.2 ms to 2.1 to 2.8. Named, a connection prepares each once, then binds it.
//
// Names are given per SQL text, the same for every connection of the process. Two kinds
// of text stay unnamed:
// - beyond MAX_NAMED distinct texts (a connection keeps what it prepared until it
//   closes; queries with lists of varying length would otherwise add names forever);
// - a statement whose result columns are "*": a migration adding a column while the
//   statement is prepared would make PostgreSQL refuse it ("cached plan must not change
//   result type") on that connection until it closes. Only the statement's own result
//   counts: a "*" inside parentheses (a WITH clause, a subquery, to_jsonb(r.*)) is expanded
//   again when PostgreSQL re-plans after the migration, and the result's type stays.
// DATABASE_PREPARED_STATEMENTS=false turns this off (a pooler that cannot carry prepared
// statements, such as PgBouncer before 1.21 in transaction mode).

/** Most distinct statements prepared by one process. */
export const MAX_NAMED = 500;

const STAR_RESULT = /\bSELECT\s+(?:DISTINCT\s+)?(?:"?\w+"?\.)?\*|\bRETURNING\s+\*/i;

/**
 * The SQL outside every parenthesis. A quoted name stays; a string's text, where a
 * parenthesis or a "*" is only text, goes.
 */
function outsideParentheses(sql: string): string {
  let depth = 0;
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const close = sql.indexOf(c, i + 1);
      const end = close === -1 ? sql.length : close;
      if (depth === 0) out += c === '"' ? sql.slice(i, end + 1) : "''";
      i = end;
    } else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += c;
  }
  return out;
}

/** The statement name of each SQL text, or '' (sent unnamed, planned each time). */
export function preparedStatementNames(max = MAX_NAMED): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    const known = names.get(sql);
    if (known !== undefined) return known;
    if (names.size >= max) return '';
    const name = STAR_RESULT.test(outsideParentheses(sql)) ? '' : `relais_${names.size}`;
    names.set(sql, name);
    return name;
  };
}
