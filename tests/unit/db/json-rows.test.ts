// The raw queries that read rows as JSON turn their DateTime columns back into Dates: the
// list of those columns must follow schema.prisma, or a new one would stay a string.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATE_FIELDS, fromJsonRow } from '../../../src/db/json-rows.js';

const schema = readFileSync(new URL('../../../prisma/schema.prisma', import.meta.url), 'utf8');

function dateFieldsOf(model: string): string[] {
  const body = new RegExp(`^model ${model} \\{([\\s\\S]*?)^\\}`, 'm').exec(schema)?.[1] ?? '';
  return body
    .split('\n')
    .map((line) => /^\s+(\w+)\s+DateTime\??(\s|$)/.exec(line)?.[1])
    .filter((f): f is string => Boolean(f));
}

describe('rows read as JSON', () => {
  for (const model of Object.keys(DATE_FIELDS) as (keyof typeof DATE_FIELDS)[]) {
    it(`knows every DateTime field of ${model}`, () => {
      expect([...DATE_FIELDS[model]].sort()).toEqual(dateFieldsOf(model).sort());
    });
  }

  it('reads a timestamp as the UTC time Prisma stored, and keeps nulls', () => {
    const row = fromJsonRow('Territory', {
      id: 't',
      createdAt: '2026-03-03T09:00:00.123',
      updatedAt: '2026-03-29T01:30:00',
      helpName: null,
    });
    expect(row.createdAt).toEqual(new Date('2026-03-03T09:00:00.123Z'));
    expect(row.updatedAt).toEqual(new Date('2026-03-29T01:30:00Z'));
    expect(row.helpName).toBeNull();
  });
});
