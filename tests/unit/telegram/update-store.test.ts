// The small rules of the stored updates: which bot they belong to, and how long a failed
// one waits before its next try.
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  botIdOf,
  FIRST_BACKOFF_MS,
  MAX_BACKOFF_MS,
} from '../../../src/channels/telegram/update-store.js';

describe('stored Telegram updates', () => {
  it('belong to the bot named by the digits before ":" in its token', () => {
    expect(botIdOf('7412345678:AAFakeTokenForTheTestsOnly_0123456789')).toBe(7_412_345_678n);
    expect(() => botIdOf('not-a-token')).toThrow(/bot id and a colon/);
  });

  it('wait 1 s after a first failure, then twice as long each time, at most 5 minutes', () => {
    expect([1, 2, 3, 4, 5].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(backoffMs(1)).toBe(FIRST_BACKOFF_MS);
    expect(backoffMs(9)).toBe(256_000);
    expect(backoffMs(10)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(40)).toBe(MAX_BACKOFF_MS);
  });
});
