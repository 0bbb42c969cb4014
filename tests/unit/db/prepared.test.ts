import { describe, expect, it } from 'vitest';
import { preparedStatementNames } from '../../../src/db/prepared.js';

describe('prepared statement names', () => {
  it('gives each SQL text one name, the same every time', () => {
    const name = preparedStatementNames();
    const a = name({ sql: 'SELECT id FROM "Message" WHERE id = $1' });
    const b = name({ sql: 'UPDATE "FlowRun" SET status = $1 WHERE id = $2' });
    expect(a).toMatch(/^relais_\d+$/);
    expect(b).toMatch(/^relais_\d+$/);
    expect(a).not.toBe(b);
    expect(name({ sql: 'SELECT id FROM "Message" WHERE id = $1' })).toBe(a);
  });

  it('leaves statements whose result is "*" unnamed: a new column would break them', () => {
    const name = preparedStatementNames();
    expect(name({ sql: 'SELECT * FROM "FlowRun" WHERE id = $1::uuid FOR UPDATE' })).toBe('');
    expect(name({ sql: 'SELECT c.*, i.address FROM claimed c' })).toBe('');
    expect(name({ sql: 'UPDATE "Message" SET status = $1 RETURNING *' })).toBe('');
    expect(name({ sql: 'SELECT to_jsonb(r) FROM "FlowRun" r' })).toMatch(/^relais_/);
    expect(name({ sql: 'SELECT count(*) FROM "Message"' })).toMatch(/^relais_/);
  });

  it('names a statement whose "*" is only inside parentheses: its result does not change', () => {
    const name = preparedStatementNames();
    const preload = `WITH k AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS k(n int)),
       runs AS (SELECT r.* FROM "FlowRun" r WHERE r.id IN (SELECT id FROM k) FOR UPDATE)
       SELECT (SELECT jsonb_agg(to_jsonb(runs)) FROM runs) AS runs`;
    expect(name({ sql: preload })).toMatch(/^relais_/);
    // The result is the outer "*": unnamed, even with parentheses and quotes around.
    expect(name({ sql: 'WITH c AS (UPDATE "M" SET a = 1 RETURNING id) SELECT c.* FROM c' })).toBe(
      '',
    );
    expect(name({ sql: `SELECT * FROM "T" WHERE a = ')' AND b IN (SELECT 1)` })).toBe('');
    expect(name({ sql: `SELECT id FROM "T" WHERE a = '(SELECT *'` })).toMatch(/^relais_/);
  });

  it('names at most `max` texts, then sends the others unnamed', () => {
    const name = preparedStatementNames(2);
    expect(name({ sql: 'SELECT 1' })).not.toBe('');
    expect(name({ sql: 'SELECT 2' })).not.toBe('');
    expect(name({ sql: 'SELECT 3' })).toBe('');
    expect(name({ sql: 'SELECT 1' })).not.toBe('');
  });
});
