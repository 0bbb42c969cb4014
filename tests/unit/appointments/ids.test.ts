import { describe, expect, it } from 'vitest';
import { chunks, pushAll, uuidv7 } from '../../../src/appointments/ids.js';

describe('ids', () => {
  it('makes version 7 ids that carry their time and sort by it', () => {
    const early = uuidv7(Date.UTC(2026, 2, 10, 9));
    const late = uuidv7(Date.UTC(2026, 2, 10, 10));
    expect(early).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(early.replace(/-/g, '').slice(0, 12), 16)).toBe(
      Date.UTC(2026, 2, 10, 9),
    );
    expect(early < late).toBe(true);
    expect(uuidv7(0)).not.toBe(uuidv7(0));
  });

  it('appends more items than a call takes as arguments', () => {
    // What 100,000 participations plan: about three fires each.
    const fires = Array.from({ length: 300_000 }, (_, i) => i);
    expect(() => [0].push(...fires)).toThrow(RangeError);
    const list = [-1];
    pushAll(list, fires);
    expect(list).toHaveLength(300_001);
    expect(list[300_000]).toBe(299_999);
  });

  it('splits a list into chunks', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 2)).toEqual([]);
  });
});
