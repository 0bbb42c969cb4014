// Telegram's send limits, kept inside this process: about 30 messages a second in total,
// one a second per chat, 20 a minute per group, and a pause for everyone after a 429.
//
// Two kinds of answers: a short wait the caller sleeps through (the global pace, a few tens
// of milliseconds), or "not now, come back in N ms" for waits that would hold a dispatcher
// slot for nothing (the next second of one chat, a flood pause). Messages deferred for one
// chat keep their order: each takes the next free second of that chat.
import { performance } from 'node:perf_hooks';

export interface TelegramLimits {
  /** Messages per second in total (Telegram: "about 30"). */
  perSecond: number;
  /** Milliseconds between two messages to the same chat (Telegram: one a second). */
  chatIntervalMs: number;
  /** Messages per minute to one group chat (Telegram: 20). */
  groupPerMinute: number;
}

export const TELEGRAM_LIMITS: TelegramLimits = {
  perSecond: 30,
  chatIntervalMs: 1000,
  groupPerMinute: 20,
};

export type Admission =
  /** Send after sleeping `waitMs` (the global pace); the slot is reserved. */
  | { ok: true; waitMs: number }
  /** Do not send now; try again in `retryAfterMs`. */
  | { ok: false; retryAfterMs: number; reason: 'flood' | 'chat' | 'group' };

interface ChatState {
  /** When the last message to this chat was let through. */
  last: number;
  /** Messages told to come back later, in order, with the time each may go. */
  waiting: { id: string; slot: number }[];
  /** Group chats: the send times of the last minute. */
  recent?: number[];
}

// A deferred message that did not come back within this long after its slot (cancelled,
// expired, sent elsewhere) stops holding the ones behind it.
const ABANDONED_AFTER_MS = 30_000;
// Pace under the limit, so that delays on the way (a busy event loop, the network) do not
// bunch more than a second's worth of messages into one second as Telegram counts them.
const PACE_MARGIN = 1.1;

export class SendThrottle {
  private nextGlobal = 0;
  private lastStart = Number.NEGATIVE_INFINITY;
  private floodUntil = 0;
  private readonly chats = new Map<string, ChatState>();
  private admitted = 0;

  constructor(
    readonly limits: TelegramLimits = TELEGRAM_LIMITS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private get globalIntervalMs(): number {
    return (1000 / this.limits.perSecond) * PACE_MARGIN;
  }

  private get chatIntervalMs(): number {
    return this.limits.chatIntervalMs * PACE_MARGIN;
  }

  /**
   * May message `id` go to `chatId` now? On ok the message counts as sent at now + waitMs
   * (for its chat and the global pace), so call it right before sending.
   */
  admit(chatId: string, id: string): Admission {
    const now = this.now();
    if (this.floodUntil > now) {
      return { ok: false, retryAfterMs: Math.ceil(this.floodUntil - now), reason: 'flood' };
    }
    const chat = this.chatState(chatId);
    while (chat.waiting[0] && chat.waiting[0].slot < now - ABANDONED_AFTER_MS) chat.waiting.shift();
    const position = chat.waiting.findIndex((w) => w.id === id);
    const free = chat.last + this.chatIntervalMs;
    if (position > 0 || (position === -1 && chat.waiting.length > 0) || free > now) {
      // Behind others of this chat, or too soon after the last one: take (or keep) a slot.
      let entry = position >= 0 ? chat.waiting[position] : undefined;
      if (!entry) {
        const lastSlot = chat.waiting.at(-1)?.slot ?? 0;
        entry = { id, slot: Math.max(free, lastSlot + this.chatIntervalMs) };
        chat.waiting.push(entry);
      } else if (position > 0) {
        const before = chat.waiting[position - 1] as { slot: number };
        entry.slot = Math.max(entry.slot, before.slot + this.chatIntervalMs);
      }
      return {
        ok: false,
        retryAfterMs: Math.max(1, Math.ceil(Math.max(entry.slot, free) - now)),
        reason: 'chat',
      };
    }
    if (isGroupChat(chatId)) {
      const recent = (chat.recent ?? []).filter((t) => t > now - 60_000);
      chat.recent = recent;
      const oldest = recent[0];
      if (recent.length >= this.limits.groupPerMinute && oldest !== undefined) {
        return { ok: false, retryAfterMs: Math.ceil(oldest + 60_000 - now), reason: 'group' };
      }
    }
    if (position === 0) chat.waiting.shift();
    const at = Math.max(now, this.nextGlobal);
    this.nextGlobal = at + this.globalIntervalMs;
    chat.last = at;
    chat.recent?.push(at);
    if (++this.admitted % 1000 === 0) this.sweep(now);
    return { ok: true, waitMs: at - now };
  }

  /**
   * Right before the request goes out, after the wait admit() gave: spaces actual starts
   * too, since a timer that fired late must not let the next message catch up with it.
   */
  async started(chatId: string, sleep: (ms: number) => Promise<unknown>): Promise<void> {
    for (;;) {
      // A 429 may have come back while this message waited for its turn.
      const gap = Math.max(
        this.lastStart + this.globalIntervalMs - this.now(),
        this.floodUntil - this.now(),
      );
      if (gap <= 0) break;
      await sleep(gap);
    }
    const now = this.now();
    this.lastStart = now;
    this.nextGlobal = Math.max(this.nextGlobal, now + this.globalIntervalMs);
    const chat = this.chats.get(chatId);
    if (chat) chat.last = Math.max(chat.last, now);
  }

  /**
   * A message that was let through but refused (429) comes back first: the ones of its
   * chat that were waiting behind it keep waiting behind it.
   */
  retryFirst(chatId: string, id: string, afterMs: number): void {
    const chat = this.chatState(chatId);
    chat.waiting = chat.waiting.filter((w) => w.id !== id);
    chat.waiting.unshift({ id, slot: this.now() + afterMs });
  }

  /** Telegram answered 429: nobody sends before retry_after has passed. */
  pause(ms: number): void {
    this.floodUntil = Math.max(this.floodUntil, this.now() + ms);
  }

  /** For tests: chats with state kept. */
  get trackedChats(): number {
    return this.chats.size;
  }

  private chatState(chatId: string): ChatState {
    let chat = this.chats.get(chatId);
    if (!chat) {
      chat = { last: Number.NEGATIVE_INFINITY, waiting: [] };
      this.chats.set(chatId, chat);
    }
    return chat;
  }

  /** Forgets chats that are quiet, so memory follows activity rather than history. */
  private sweep(now: number): void {
    const quiet = now - Math.max(60_000, this.limits.chatIntervalMs) - ABANDONED_AFTER_MS;
    for (const [id, chat] of this.chats) {
      if (chat.last < quiet && chat.waiting.length === 0) this.chats.delete(id);
    }
  }
}

/** Group and channel chat ids are negative; private chats are the user's (positive) id. */
export function isGroupChat(chatId: string): boolean {
  return chatId.startsWith('-');
}
