// Telegram updates kept in the database from the moment they arrive until they are
// handled. Telegram lets go of an update once it is acknowledged (the webhook's 200, the
// next getUpdates offset); storing it first means a database outage or a crash while
// handling it loses nothing: it is tried again, with a growing pause, and at start-up.
// A row is deleted as soon as its update is handled, since it holds what the person wrote;
// nothing here ever logs it.
import type { Update } from 'grammy/types';
import { v7 as uuidv7 } from 'uuid';
import { Batcher } from '../../conversations/batcher.js';
import type { SqlRunner } from '../../db/direct.js';
import { insertSql } from '../../db/json-rows.js';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';

const noop = () => {};

/** A fresh row belongs to the instance that stored it for this long; then anyone retries it. */
export const LEASE_MS = 2 * 60_000;
/** First pause after a failed handling; it doubles at each failure, up to MAX_BACKOFF_MS. */
export const FIRST_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 5 * 60_000;
/** An update that still fails this long after it arrived is given up (and logged). */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Handled rows are deleted together, at most this long after their handling. */
const DELETE_DELAY_MS = 20;

export interface StoredUpdate {
  id: string;
  updateId: number;
  chatKey: string;
  update: Update;
  receivedAt: Date;
  attempts: number;
}

/** The pause before the next try, after `attempts` failed ones. */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
}

/** The bot's id: the digits before ":" in its token, known before Telegram is reached. */
export function botIdOf(token: string): bigint {
  const id = /^(\d+):/.exec(token)?.[1];
  if (!id) throw new Error('a Telegram bot token starts with the bot id and a colon');
  return BigInt(id);
}

type Row = {
  id: string;
  updateId: bigint;
  chatKey: string;
  payload: unknown;
  receivedAt: Date;
  attempts: number;
};

const toStored = (r: Row): StoredUpdate => ({
  id: r.id,
  updateId: Number(r.updateId),
  chatKey: r.chatKey,
  update: r.payload as Update,
  receivedAt: r.receivedAt,
  attempts: r.attempts,
});

export class UpdateStore {
  /**
   * Updates arriving together are stored by one statement (group commit): a webhook
   * call waits for the insert in flight, then goes with everything that came meanwhile.
   */
  private readonly saver: Batcher<
    { update: Update; chatKey: string; now: Date },
    StoredUpdate | null
  >;

  constructor(
    private readonly prisma: PrismaClient,
    /** The insert and delete every update pays, below Prisma. */
    private readonly sql: SqlRunner & { inThread?: boolean },
    readonly botId: bigint,
  ) {
    this.saver = new Batcher((items) => this.insert(items), {
      keyOf: (i) => String(i.update.update_id),
      maxSize: 500,
      maxInFlight: 1,
      gatherFirst: sql.inThread,
    });
  }

  /**
   * Stores updates; returns the ones that were not stored yet (a redelivery of an update
   * still waiting here is left to whoever stored it first).
   */
  async save(updates: { update: Update; chatKey: string }[], now: Date): Promise<StoredUpdate[]> {
    const stored = await Promise.all(updates.map((u) => this.saver.submit({ ...u, now })));
    return stored
      .filter((row): row is StoredUpdate => row !== null)
      .sort((a, b) => a.updateId - b.updateId);
  }

  private async insert(
    items: { update: Update; chatKey: string; now: Date }[],
  ): Promise<(StoredUpdate | null)[]> {
    const rows = items.map(({ update, chatKey, now }) => ({
      id: uuidv7(),
      botId: this.botId,
      updateId: update.update_id,
      chatKey,
      payload: update,
      receivedAt: now,
      attempts: 0,
      nextAttemptAt: new Date(now.getTime() + LEASE_MS),
    }));
    const insert = insertSql('TelegramUpdate', rows, {
      onConflictDoNothing: true,
      returning: ['id'],
    });
    // The rows of updates handled since the last statement go in the same one: a busy bot
    // then pays no statement of its own for deleting them.
    const gone = this.takeHandled();
    const sql = gone.length
      ? `WITH gone AS (DELETE FROM "TelegramUpdate" WHERE id = ANY($2::uuid[])) ${insert.sql}`
      : insert.sql;
    const run = this.sql.query<{ id: string }>(
      sql,
      gone.length ? [insert.json, gone] : [insert.json],
    );
    // flush() resolves once these are gone too.
    if (gone.length) this.flushing = this.flushing.then(() => run.then(noop, noop));
    let inserted: { id: string }[];
    try {
      inserted = await run;
    } catch (error) {
      this.giveBack(gone);
      throw error;
    }
    const created = new Set(inserted.map((r) => r.id));
    return rows.map((r) =>
      created.has(r.id)
        ? {
            id: r.id,
            updateId: r.updateId,
            chatKey: r.chatKey,
            update: r.payload,
            receivedAt: r.receivedAt,
            attempts: 0,
          }
        : null,
    );
  }

  private handled: string[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  /**
   * Handled: the row goes, and with it what the person wrote. Deleted within
   * DELETE_DELAY_MS, many rows per statement, so that a busy bot pays one statement for
   * many updates. A row not yet deleted (a crash) is handled again at the next start,
   * which changes nothing: its effects are stored under the update's key.
   */
  done(id: string): void {
    this.handled.push(id);
    if (this.handled.length >= 200) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), DELETE_DELAY_MS);
  }

  /** The handled rows not deleted yet, now the caller's to delete. */
  private takeHandled(): string[] {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = this.handled;
    this.handled = [];
    return ids;
  }

  /** Rows whose deletion failed: tried again with the next ones. */
  private giveBack(ids: string[]): void {
    if (!ids.length) return;
    this.handled.push(...ids);
    this.flushTimer ??= setTimeout(() => void this.flush(), 1000);
    this.flushTimer.unref?.();
  }

  /** Deletes the rows of the updates handled so far; resolves when they are gone. */
  flush(): Promise<void> {
    const ids = this.takeHandled();
    if (ids.length) {
      this.flushing = this.flushing.then(async () => {
        try {
          await this.sql.execute('DELETE FROM "TelegramUpdate" WHERE id = ANY($1::uuid[])', [ids]);
        } catch (error) {
          // Tried again with the next ones; until then they are only kept a little longer.
          this.giveBack(ids);
          this.onError?.(error);
        }
      });
    }
    return this.flushing;
  }

  /** Stops the retries of a failed deletion (the channel stops). */
  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Called when handled rows could not be deleted (they are tried again). */
  onError?: (error: unknown) => void;

  /** Removes a row whose update is given up. */
  async drop(id: string): Promise<void> {
    await this.prisma.telegramUpdate.deleteMany({ where: { id } });
  }

  /** A failed handling: tried again after a pause; returns when. */
  async failed(row: StoredUpdate, error: string, now: Date): Promise<Date> {
    const attempts = row.attempts + 1;
    const next = new Date(now.getTime() + backoffMs(attempts));
    await this.prisma.telegramUpdate.updateMany({
      where: { id: row.id },
      data: { attempts, nextAttemptAt: next, lastError: error.slice(0, 500) },
    });
    row.attempts = attempts;
    return next;
  }

  /** The updates of one chat still waiting, oldest first. */
  async pending(chatKey: string, limit = 100): Promise<StoredUpdate[]> {
    const rows = await this.prisma.telegramUpdate.findMany({
      where: { botId: this.botId, chatKey },
      orderBy: { updateId: 'asc' },
      take: limit,
    });
    return rows.map(toStored);
  }

  /**
   * Chats with updates waiting. With `due`, only those whose oldest waiting update may be
   * tried now (a later one never goes before it); without, every chat (start-up).
   */
  async chats(now: Date, options: { due: boolean; limit?: number }): Promise<string[]> {
    const limit = options.limit ?? 500;
    const due = options.due ? Prisma.sql`WHERE "nextAttemptAt" <= ${now}` : Prisma.empty;
    const rows = await this.prisma.$queryRaw<{ chatKey: string }[]>`
      SELECT "chatKey" FROM (
        SELECT DISTINCT ON ("chatKey") "chatKey", "nextAttemptAt", "updateId"
          FROM "TelegramUpdate" WHERE "botId" = ${this.botId}
         ORDER BY "chatKey", "updateId") AS oldest
      ${due}
      ORDER BY "nextAttemptAt"
      LIMIT ${limit}`;
    return rows.map((r) => r.chatKey);
  }
}
