// A broadcast to 300 Telegram chats through the outbox, the dispatcher and the fake Bot
// API, which answers 429 (retry_after) to some calls. Measured from the times the fake
// received the calls: every message delivered exactly once, no chat more than one message
// a second, fewer than 30 sendMessage calls in any one-second window, and nothing
// sent during the pause a 429 asked for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { enqueue } from '../../../src/messaging/outbox.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type FakeTelegramApi, startFakeTelegramApi } from '../../support/fakes/telegram-api.js';
import { startTestRelais } from '../../support/relais.js';
import { deliver, movingClock, telegramEnv } from '../../support/telegram.js';

const CHATS = 300;
/** Chats that get a second message right behind the first. */
const TWICE = 10;
const FIRST_CHAT = 810_000_001;

let db: TestDatabase;
let relais: Relais;
let fake: FakeTelegramApi;

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegramApi();
  relais = await startTestRelais(db, telegramEnv(fake), {
    clock: movingClock('2026-03-03T08:30:00Z'),
  });
  const p = db.prisma;
  const org = await p.organisation.create({ data: { slug: 'broadcast', name: 'Département' } });
  const people = await p.person.createManyAndReturn({
    data: Array.from({ length: CHATS }, (_, i) => ({
      organisationId: org.id,
      displayName: `Personne ${i + 1}`,
      roles: ['beneficiary' as const],
    })),
  });
  const identities = await p.channelIdentity.createManyAndReturn({
    data: people.map((person, i) => ({
      organisationId: org.id,
      personId: person.id,
      channel: 'telegram' as const,
      address: String(FIRST_CHAT + i),
      consent: 'granted' as const,
      consentAt: new Date('2026-01-05T09:00:00Z'),
      consentSource: 'test',
    })),
  });
  const now = relais.services.clock();
  for (const [i, identity] of identities.entries()) {
    const messages = i < TWICE ? 2 : 1;
    for (let m = 0; m < messages; m++) {
      await enqueue(
        p,
        {
          organisationId: org.id,
          personId: identity.personId,
          identityId: identity.id,
          channel: 'telegram',
          text: `La réunion d'information de demain est déplacée à 10 h. (${i + 1}.${m + 1})`,
          purpose: 'appointment',
          urgent: true,
          idempotencyKey: `broadcast:${i}:${m}`,
        },
        now,
      );
    }
  }
  // Telegram asks the bot to slow down four times during the broadcast, and once on the
  // first of two messages to one chat (the second must still arrive after it).
  fake.fail({ status: 429, retryAfter: 1, nth: [25, 120, 121, 260] });
  fake.fail({ status: 429, retryAfter: 1, chatId: FIRST_CHAT + 3, nth: [1] });
}, 120_000);

afterAll(async () => {
  await relais?.stop();
  await fake?.close();
  await db?.destroy();
});

describe(`a broadcast to ${CHATS} Telegram chats (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('delivers every message once within Telegram limits, pausing after each 429', async () => {
    const started = Date.now();
    await deliver(relais, 90_000);
    const elapsed = Date.now() - started;

    const attempts = fake.calls.filter((c) => c.method === 'sendMessage');
    const delivered = fake.delivered();
    const refused = attempts.filter((c) => c.status === 429);
    expect(refused).toHaveLength(5);

    // Every message once: 300 chats, 10 of them twice, each text exactly once.
    expect(delivered).toHaveLength(CHATS + TWICE);
    const texts = delivered.map((c) => String(c.params.text));
    expect(new Set(texts).size).toBe(CHATS + TWICE);
    const perChat = new Map<string, number[]>();
    for (const c of delivered) {
      const chat = String(c.params.chat_id);
      perChat.set(chat, [...(perChat.get(chat) ?? []), c.at]);
    }
    expect(perChat.size).toBe(CHATS);
    const rows = await db.prisma.message.groupBy({
      by: ['status'],
      where: { direction: 'outbound' },
      _count: true,
    });
    expect(rows).toEqual([{ status: 'sent', _count: CHATS + TWICE }]);
    // The two messages of a chat arrive in order.
    for (let i = 0; i < TWICE; i++) {
      const mine = delivered.filter((c) => String(c.params.chat_id) === String(FIRST_CHAT + i));
      expect(mine.map((c) => /\(\d+\.\d\)$/.exec(String(c.params.text))?.[0])).toEqual([
        `(${i + 1}.1)`,
        `(${i + 1}.2)`,
      ]);
    }

    // No chat got two messages less than a second apart.
    let closest = Number.POSITIVE_INFINITY;
    for (const times of perChat.values()) {
      for (let i = 1; i < times.length; i++) {
        closest = Math.min(closest, (times[i] as number) - (times[i - 1] as number));
      }
    }
    expect(closest).toBeGreaterThanOrEqual(1000);

    // Under 30 calls in any one-second window, as issue 4 asks (429s included: they count
    // too). The sender paces ~10% under 30 a second, so 27 or so is the expected peak.
    const times = attempts.map((c) => c.at).sort((a, b) => a - b);
    let busiest = 0;
    let from = 0;
    for (let to = 0; to < times.length; to++) {
      while ((times[to] as number) - (times[from] as number) >= 1000) from++;
      busiest = Math.max(busiest, to - from + 1);
    }
    expect(busiest).toBeLessThan(30);
    const span = ((times.at(-1) as number) - (times[0] as number)) / 1000;
    expect(attempts.length / span).toBeLessThan(30);

    // After each 429 (retry_after: 1), nothing is sent for a second, except a call or two
    // that were already on their way before the answer was read (one process runs the
    // fake, Relais and the embedded database here, so reading it can take a moment).
    for (const r of refused) {
      const during = attempts.filter((c) => c.at > r.at && c.at < r.at + 1000);
      expect(during.length).toBeLessThanOrEqual(2);
      for (const c of during) expect(c.at - r.at).toBeLessThan(300);
    }
    console.log(
      `broadcast: ${delivered.length} messages to ${CHATS} chats in ${(elapsed / 1000).toFixed(1)} s, busiest second ${busiest} calls, average ${(attempts.length / span).toFixed(1)}/s, closest two messages to one chat ${Math.round(closest)} ms`,
    );
  }, 120_000);
});
