// The store of Telegram updates on its own: what a save keeps, and handled rows going.
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateStore } from '../../../src/channels/telegram/update-store.js';
import type { SqlRunner } from '../../../src/db/direct.js';
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
    store = new UpdateStore(db.prisma, db.sql, 7_412_345_678n);
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

  it('deletes handled rows in the statement that stores the next updates', async () => {
    const sent: string[] = [];
    const counted: SqlRunner = {
      query: (sql, params, options) => {
        sent.push(sql);
        return db.sql.query(sql, params, options);
      },
      execute: (sql, params, options) => {
        sent.push(sql);
        return db.sql.execute(sql, params, options);
      },
    };
    const busy = new UpdateStore(db.prisma, counted, 7_412_345_678n);
    try {
      const [first] = await busy.save([{ update: update(1), chatKey: '42' }], now);
      busy.done(first?.id as string);
      await busy.save([{ update: update(2), chatKey: '42' }], now);
      expect(await ids()).toEqual([2]);
      await busy.flush();
      // Two statements in all: the second insert took the deletion along.
      expect(sent).toHaveLength(2);
      expect(sent[1]).toMatch(/^WITH gone AS \(DELETE FROM "TelegramUpdate"/);
    } finally {
      busy.close();
    }
  });
});
