// Telegram's limits as the sender keeps them, on a clock the test moves.
import { describe, expect, it } from 'vitest';
import { SendThrottle } from '../../../src/channels/telegram/throttle.js';

function throttle(
  limits: Partial<{ perSecond: number; chatIntervalMs: number; groupPerMinute: number }> = {},
) {
  let now = 1_000_000;
  const t = new SendThrottle(
    { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20, ...limits },
    () => now,
  );
  return {
    t,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('SendThrottle', () => {
  it('paces all chats together under 30 a second', () => {
    const { t } = throttle();
    const waits = Array.from({ length: 60 }, (_, i) => t.admit(String(i + 1), `m${i}`));
    expect(waits.every((w) => w.ok)).toBe(true);
    const times = waits.map((w) => (w.ok ? w.waitMs : Number.NaN));
    // Evenly spaced slots, a little wider than 1000/30 ms.
    for (let i = 1; i < times.length; i++) {
      expect((times[i] as number) - (times[i - 1] as number)).toBeCloseTo((1000 / 30) * 1.1, 5);
    }
    // 60 messages take more than two seconds.
    expect(times.at(-1)).toBeGreaterThan(2000);
  });

  it('lets one message a second through to a chat, and keeps the others in order', () => {
    const { t, advance } = throttle();
    expect(t.admit('7', 'a').ok).toBe(true);
    const b = t.admit('7', 'b');
    const c = t.admit('7', 'c');
    expect(b).toMatchObject({ ok: false, reason: 'chat' });
    expect(c).toMatchObject({ ok: false, reason: 'chat' });
    if (b.ok || c.ok) throw new Error('unreachable');
    expect(c.retryAfterMs).toBeGreaterThan(b.retryAfterMs);
    // c comes back first: it waits behind b.
    advance(c.retryAfterMs);
    expect(t.admit('7', 'c')).toMatchObject({ ok: false, reason: 'chat' });
    expect(t.admit('7', 'b').ok).toBe(true);
    advance(1100);
    expect(t.admit('7', 'c').ok).toBe(true);
    // Another chat was never held up.
    expect(t.admit('8', 'x').ok).toBe(true);
  });

  it('a message that never comes back stops holding the ones behind it', () => {
    const { t, advance } = throttle();
    t.admit('7', 'a');
    t.admit('7', 'lost');
    t.admit('7', 'next');
    advance(35_000);
    expect(t.admit('7', 'next').ok).toBe(true);
  });

  it('pauses everyone after a 429, and a refused message goes first again', () => {
    const { t, advance } = throttle();
    expect(t.admit('1', 'a').ok).toBe(true);
    t.pause(2000);
    t.retryFirst('1', 'a', 2000);
    expect(t.admit('2', 'b')).toMatchObject({ ok: false, reason: 'flood' });
    advance(2000);
    expect(t.admit('1', 'later')).toMatchObject({ ok: false, reason: 'chat' });
    expect(t.admit('1', 'a').ok).toBe(true);
    expect(t.admit('2', 'b').ok).toBe(true);
  });

  it('holds a group chat to 20 messages a minute', () => {
    const { t, advance } = throttle({ chatIntervalMs: 0 });
    for (let i = 0; i < 20; i++) {
      expect(t.admit('-100123', `g${i}`).ok).toBe(true);
      advance(100);
    }
    const refused = t.admit('-100123', 'g20');
    expect(refused).toMatchObject({ ok: false, reason: 'group' });
    if (refused.ok) throw new Error('unreachable');
    advance(refused.retryAfterMs);
    expect(t.admit('-100123', 'g20').ok).toBe(true);
  });

  it('spaces actual starts even when a timer fired late', async () => {
    const { t, advance } = throttle();
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      advance(ms);
    };
    t.admit('1', 'a');
    await t.started('1', sleep);
    // The second was planned 36.7 ms later but asks to start right away.
    t.admit('2', 'b');
    await t.started('2', sleep);
    expect(slept.reduce((a, b) => a + b, 0)).toBeCloseTo((1000 / 30) * 1.1, 5);
  });
});
