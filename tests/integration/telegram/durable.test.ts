// An update Telegram has let go of (the webhook answered 200, the polling offset moved on)
// is never lost: it is stored first, and a handling that fails (here a database error
// injected with a trigger) is tried again until it works, after a restart too, once and
// in the chat's order.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type FakeTelegramApi, startFakeTelegramApi } from '../../support/fakes/telegram-api.js';
import { startTestRelais } from '../../support/relais.js';
import {
  deliver,
  movingClock,
  postUpdate,
  send,
  TelegramUser,
  telegramEnv,
  telegramOf,
} from '../../support/telegram.js';

let db: TestDatabase;
let fake: FakeTelegramApi;
let relais: Relais;
const clock = movingClock('2026-03-04T09:00:00Z');
const env = () => telegramEnv(fake, { TELEGRAM_CHAT_INTERVAL_MS: '0' });

/** Every insert into "Message" fails, as during a database outage, until restore(). */
async function outage() {
  await db.prisma.$executeRawUnsafe(`
    CREATE OR REPLACE FUNCTION test_outage() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'injected outage'; END $$`);
  await db.prisma.$executeRawUnsafe(
    'CREATE TRIGGER test_outage BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION test_outage()',
  );
  return async () => {
    await db.prisma.$executeRawUnsafe('DROP TRIGGER test_outage ON "Message"');
  };
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const stored = () => db.prisma.telegramUpdate.findMany({ orderBy: { updateId: 'asc' } });

/** A newcomer who pressed /start and now sees the consent question. */
async function newcomer(on: Relais, chat: number, name: string) {
  const user = new TelegramUser(chat, name);
  await send(on, user.message('/start'));
  await deliver(on);
  expect(String(fake.delivered(chat).at(-1)?.params.text)).toMatch(/^Acceptez-vous/);
  return user;
}

async function identityOf(chat: number) {
  return db.prisma.channelIdentity.findFirstOrThrow({
    where: { channel: 'telegram', address: String(chat) },
    include: { person: true, consentEvents: true },
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegramApi();
  await db.prisma.organisation.create({ data: { slug: 'durable', name: 'Deux-Sèvres' } });
  relais = await startTestRelais(db, env(), { clock });
});

afterAll(async () => {
  await relais?.stop();
  await fake?.close();
  await db?.destroy();
});

describe(`updates that fail after Telegram let go of them (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('are kept through an outage longer than a few seconds, then applied once and in order', async () => {
    const ines = await newcomer(relais, 8101, 'Inès');
    const restore = await outage();
    let restored = false;
    try {
      const yes = ines.message('oui');
      const english = ines.message('English');
      expect((await postUpdate(relais, yes)).status).toBe(200);
      expect((await postUpdate(relais, english)).status).toBe(200);
      await telegramOf(relais).idle();
      // Both kept; the first failed and waits; the second waits behind it.
      const waiting = await stored();
      expect(waiting.map((r) => Number(r.updateId))).toEqual([yes.update_id, english.update_id]);
      expect(waiting[0]?.attempts).toBeGreaterThanOrEqual(1);
      expect(waiting[0]?.lastError).toMatch(/injected outage/);
      expect(waiting.every((r) => r.botId === BigInt(fake.botInfo.id))).toBe(true);
      // Longer than any quick retry: the database stays down for 3 s.
      await sleep(3000);
      expect((await identityOf(8101)).consent).not.toBe('granted');
      await restore();
      restored = true;
      await waitUntil('the waiting updates to be handled', async () => !(await stored()).length);
    } finally {
      if (!restored) await restore();
    }
    await telegramOf(relais).idle();
    await deliver(relais);
    const identity = await identityOf(8101);
    expect(identity.consent).toBe('granted');
    expect(identity.consentEvents.map((e) => e.action)).toEqual(['granted']);
    // In order: the consent first, then the language (typed before the outage ended).
    expect(identity.person.language).toBe('en');
    const inbound = await db.prisma.message.findMany({
      where: { identityId: identity.id, direction: 'inbound' },
    });
    expect(inbound.map((m) => m.body).sort()).toEqual(['/start', 'English', 'oui'].sort());
    expect(fake.delivered(8101).map((c) => String(c.params.text).slice(0, 22))).toEqual([
      'Bonjour ! Ici Relais. ',
      'Acceptez-vous de recev',
      'Dans quelle langue vou',
      "Merci, c'est fait ! Éc",
    ]);
  }, 30_000);

  it('are applied by the next start when Relais stopped before handling them', async () => {
    const marc = await newcomer(relais, 8102, 'Marc');
    const restore = await outage();
    try {
      const yes = marc.message('oui');
      expect((await postUpdate(relais, yes)).status).toBe(200);
      await waitUntil('a failed try', async () => (await stored())[0]?.attempts === 1);
      await relais.stop();
    } finally {
      await restore();
    }
    expect(await stored()).toHaveLength(1);
    relais = await startTestRelais(db, env(), { clock });
    await waitUntil('the stored update to be handled', async () => !(await stored()).length);
    await telegramOf(relais).idle();
    await deliver(relais);
    const identity = await identityOf(8102);
    expect(identity.consent).toBe('granted');
    expect(identity.consentEvents.map((e) => e.action)).toEqual(['granted']);
    expect(String(fake.delivered(8102).at(-1)?.params.text)).toMatch(/^Dans quelle langue/);
  }, 30_000);

  it('answer 500 when the update cannot be stored, so that Telegram sends it again', async () => {
    const lou = await newcomer(relais, 8103, 'Lou');
    await db.prisma.$executeRawUnsafe(
      'ALTER TABLE "TelegramUpdate" RENAME TO "TelegramUpdateAway"',
    );
    const yes = lou.message('oui');
    try {
      expect((await postUpdate(relais, yes)).status).toBe(500);
    } finally {
      await db.prisma.$executeRawUnsafe(
        'ALTER TABLE "TelegramUpdateAway" RENAME TO "TelegramUpdate"',
      );
    }
    // Telegram's next delivery of the same update goes through.
    await send(relais, yes);
    await deliver(relais);
    expect((await identityOf(8103)).consent).toBe('granted');
  });
});

describe('long polling', () => {
  it('stores updates before the offset moves on, and applies them once the database is back', async () => {
    const pollingFake = await startFakeTelegramApi();
    const polling = await startTestRelais(
      db,
      {
        TELEGRAM_BOT_TOKEN: pollingFake.token,
        TELEGRAM_API_ROOT: pollingFake.url,
        TELEGRAM_MODE: 'polling',
        TELEGRAM_ORGANISATION: 'durable',
        TELEGRAM_CHAT_INTERVAL_MS: '0',
      },
      { clock },
    );
    try {
      const zoe = new TelegramUser(8201, 'Zoé');
      const start = zoe.message('/start');
      pollingFake.pushUpdates(start as never);
      await pollingFake.waitFor(() =>
        pollingFake.calls.some(
          (c) => c.method === 'getUpdates' && Number(c.params.offset) > start.update_id,
        ),
      );
      await deliver(polling);
      expect(pollingFake.delivered(8201)).toHaveLength(2);
      // Handled, its row goes (within a quarter of a second, with others).
      await waitUntil('the handled update to be deleted', async () => !(await stored()).length);
      const restore = await outage();
      const yes = zoe.message('oui');
      try {
        pollingFake.pushUpdates(yes as never);
        await pollingFake.waitFor(() =>
          pollingFake.calls.some(
            (c) => c.method === 'getUpdates' && Number(c.params.offset) > yes.update_id,
          ),
        );
        // Telegram has been told; the update is in the database.
        expect((await stored()).map((r) => Number(r.updateId))).toEqual([yes.update_id]);
      } finally {
        await restore();
      }
      await waitUntil('the stored update to be handled', async () => !(await stored()).length);
      await deliver(polling);
      expect((await identityOf(8201)).consent).toBe('granted');
      expect(String(pollingFake.delivered(8201).at(-1)?.params.text)).toMatch(
        /^Dans quelle langue/,
      );
    } finally {
      await polling.stop();
      await pollingFake.close();
    }
  }, 30_000);
});
