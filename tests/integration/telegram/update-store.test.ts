// The store of Telegram updates on its own: what a save keeps, and handled rows going
// away with the next save (one statement) or with flush().
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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

  it('deletes handled rows with the next save, in the same statement', async () => {
    const [a, b] = await store.save(
      [
        { update: update(1), chatKey: '42' },
        { update: update(2), chatKey: '42' },
      ],
      now,
    );
    // The deletion on its own (flush, after 20 ms) is an $executeRawUnsafe.
    const alone = vi.spyOn(db.prisma, '$executeRawUnsafe');
    store.done(a?.id as string);
    const [c] = await store.save([{ update: update(3), chatKey: '42' }], now);
    expect(c?.updateId).toBe(3);
    expect(await ids()).toEqual([2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alone).not.toHaveBeenCalled();
    alone.mockRestore();
    store.done(b?.id as string);
    store.done(c?.id as string);
    await store.flush();
    expect(await ids()).toEqual([]);
  });
});
