// Which open case a reply goes to (pure): the newest question, then the soonest session.
import { describe, expect, it } from 'vitest';
import { replyTarget } from '../../../src/appointments/routing.js';

const now = new Date('2026-03-10T09:30:00Z');
const at = (iso: string) => new Date(iso);

describe('reply routing', () => {
  it('goes to the case asked most recently, whatever its session', () => {
    const cases = [
      { id: 'a', askedAt: at('2026-03-10T09:00:00Z'), startsAt: at('2026-03-26T09:00:00Z') },
      { id: 'b', askedAt: at('2026-03-03T09:00:00Z'), startsAt: at('2026-03-12T09:00:00Z') },
    ];
    expect(replyTarget(cases, now)?.id).toBe('a');
  });

  it('among cases asked at the same instant, goes to the soonest upcoming session', () => {
    const asked = at('2026-03-10T09:00:00Z');
    // Ids in the "wrong" order: the old ordering (id descending) picked "c".
    const cases = [
      { id: 'a', askedAt: asked, startsAt: at('2026-03-19T09:00:00Z') },
      { id: 'b', askedAt: asked, startsAt: at('2026-03-12T09:00:00Z') },
      { id: 'c', askedAt: asked, startsAt: at('2026-03-26T09:00:00Z') },
    ];
    expect(replyTarget(cases, now)?.id).toBe('b');
    // The same answer whatever order the database returns them in.
    for (const order of [
      [2, 1, 0],
      [1, 2, 0],
      [0, 2, 1],
    ]) {
      expect(
        replyTarget(
          order.map((i) => cases[i] as (typeof cases)[number]),
          now,
        )?.id,
      ).toBe('b');
    }
  });

  it('puts upcoming sessions before passed ones, and cases with no session last, then by id', () => {
    const asked = at('2026-03-10T09:00:00Z');
    const passed = { id: 'p', askedAt: asked, startsAt: at('2026-03-09T09:00:00Z') };
    const upcoming = { id: 'u', askedAt: asked, startsAt: at('2026-04-20T08:00:00Z') };
    const none = { id: 'n', askedAt: asked, startsAt: null };
    expect(replyTarget([passed, none, upcoming], now)?.id).toBe('u');
    expect(replyTarget([none, passed], now)?.id).toBe('p');
    expect(replyTarget([{ ...none, id: 'y' }, none], now)?.id).toBe('n');
    expect(replyTarget([], now)).toBeUndefined();
  });
});
