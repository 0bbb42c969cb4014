// The store of Telegram updates on its own: what a save keeps, and handled rows going.
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateStore } from '../../../src/channels/telegram/update-store.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const update = (id: number): Update =>
  ({
    update_id: id,
    message: {
      message_id: id,
      date: 1_770_000_000,
      chat: { id: 42, type: 'private', first_name: 'A' },
      text: `réponse ${id}`,
    },
  }) as Update;

describe('the Telegram update store', () => {
  let db: TestDatabase;
  let store: UpdateStore;
  const now = new Date('2026-03-10T09:00:00Z');
  const ids = async () =>
    (await db.prisma.telegramUpdate.findMany({ orderBy: { updateId: 'asc' } })).map((r) =>
      Number(r.updateId),
    );

  beforeEach(async () => {
    db = await createTestDatabase();
    store = new UpdateStore(db.prisma, 7_412_345_678n);
  });
  afterEach(async () => {
    store.close();
    await db.destroy();
  });

  it('keeps an update once, as Telegram sent it, with the bot id and the chat', async () => {
    const [first] = await store.save([{ update: update(1), chatKey: '42' }], now);
    expect(first).toMatchObject({ updateId: 1, chatKey: '42', attempts: 0, update: update(1) });
    expect(first?.receivedAt.toISOString()).toBe(now.toISOString());
    // Telegram sends it again before it was handled: not stored twice.
    expect(await store.save([{ update: update(1), chatKey: '42' }], now)).toEqual([]);
    const row = await db.prisma.telegramUpdate.findFirstOrThrow();
    expect(row.botId).toBe(7_412_345_678n);
    expect(row.nextAttemptAt.getTime()).toBe(now.getTime() + 2 * 60_000);
  });

  it('deletes handled rows, many per statement, and keeps the others', async () => {
    const saved = await store.save(
      [1, 2, 3].map((id) => ({ update: update(id), chatKey: '42' })),
      now,
    );
    store.done(saved[0]?.id as string);
    store.done(saved[2]?.id as string);
    await store.flush();
    expect(await ids()).toEqual([2]);
    store.done(saved[1]?.id as string);
    await store.flush();
    expect(await ids()).toEqual([]);
  });
});
