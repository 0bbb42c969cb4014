// The Telegram channel, on grammY. Updates come by webhook (production: the secret token
// header is checked, the update stored, acknowledged, then handled, one chat at a time and
// in order) or by long polling (local use); a stored update that fails is tried again
// until it works (update-store.ts). Messages go out through the outbox and
// the dispatcher, to TelegramSender. Created only when TELEGRAM_BOT_TOKEN is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { queuedSoFar } from '../../messaging/outbox.js';
import type { ChannelContext, ChannelModule } from '../module.js';
import { botFetch } from './bot-fetch.js';
import { ChatQueue } from './chat-queue.js';
import { linkRoutes } from './http.js';
import { installOnboarding, telegramTexts } from './onboarding.js';
import { TelegramSender } from './sender.js';
import { SendThrottle, TELEGRAM_LIMITS } from './throttle.js';
import {
  botIdOf,
  FIRST_BACKOFF_MS,
  GIVE_UP_AFTER_MS,
  type StoredUpdate,
  UpdateStore,
} from './update-store.js';
import { ALLOWED_UPDATES, chatKeyOf, installHandlers } from './updates.js';

export const WEBHOOK_PATH = '/telegram/webhook';
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** How often waiting updates another instance left behind (it stopped) are looked for. */
const SWEEP_MS = 30_000;

export interface TelegramModule extends ChannelModule {
  id: 'telegram';
  sender: TelegramSender;
  bot: Bot;
  throttle: SendThrottle;
  /**
   * Takes updates (webhook or polling): stored, then each handled once, after its chat's
   * earlier ones. Resolves once they are stored, with one promise per update for its
   * handling; rejects when they could not be stored (Telegram must send them again).
   */
  accept(updates: Update[]): Promise<Promise<void>[]>;
  /** Resolves when every accepted update has been handled (or tried, and kept for later). */
  idle(): Promise<void>;
  /** The bot's @username once known (getMe), for t.me links. */
  username(): string | undefined;
}

/** Remembers the last ids seen (update ids, handled rows), to skip a repeat without a query. */
class RecentIds<T> {
  private readonly ids = new Set<T>();
  constructor(private readonly max: number) {}
  has(id: T): boolean {
    return this.ids.has(id);
  }
  /** Forgets `id`; true when it was there. */
  take(id: T): boolean {
    return this.ids.delete(id);
  }
  add(id: T): void {
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }
}

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function telegramChannel(ctx: ChannelContext): TelegramModule {
  const { config, logger, conversations, i18n, clock } = ctx;
  const token = config.TELEGRAM_BOT_TOKEN;
  if (!token) throw new Error('the Telegram channel needs TELEGRAM_BOT_TOKEN');
  const bot = new Bot(token, {
    // getUpdates waits up to 25 s; a send that takes longer than a minute is retried.
    client: {
      apiRoot: config.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
      timeoutSeconds: 60,
      fetch: botFetch() as unknown as typeof fetch,
    },
  });
  const throttle = new SendThrottle({
    ...TELEGRAM_LIMITS,
    perSecond: config.TELEGRAM_RATE_PER_SECOND,
    chatIntervalMs: config.TELEGRAM_CHAT_INTERVAL_MS,
  });
  const sender = new TelegramSender({ api: bot.api, throttle, logger });
  /**
   * Button presses whose spinner the webhook's answer already stopped (a webhook reply,
   * below): their handling does not call answerCallbackQuery again.
   */
  const answeredInReply = new RecentIds<number>(10_000);
  installHandlers(bot, {
    ...ctx,
    sender,
    callbackAnswered: (updateId) => answeredInReply.take(updateId),
  });
  installOnboarding(conversations, i18n);

  const store = new UpdateStore(ctx.prisma, ctx.sql, botIdOf(token));
  // Handled but still stored: kept a little longer, and if Relais stops before they go,
  // handled again at the next start, which changes nothing (effects keyed by update id).
  store.onError = (error) =>
    logger.warn({ err: message(error) }, 'telegram: handled updates could not be deleted yet');
  const queue = new ChatQueue();
  const recent = new RecentIds<number>(10_000);
  /** Rows handled here lately: a drain and the update's own task may both hold one. */
  const finished = new RecentIds<string>(10_000);
  /**
   * Chats with an update waiting after a failure (or from before a restart), and when to
   * try again: their later updates wait behind it, so one chat's order holds.
   */
  const blocked = new Map<string, number>();
  const drainQueued = new Set<string>();
  let stopped = false;
  let initialised: Promise<void> | undefined;
  const background = new Set<Promise<unknown>>();
  const abort = new AbortController();
  let retryTimer: NodeJS.Timeout | undefined;
  let retryAt = Number.POSITIVE_INFINITY;
  let sweepTimer: NodeJS.Timeout | undefined;
  // Updates that arrive before start-up has found the ones waiting from before wait for it.
  let recovered!: () => void;
  const recovery = new Promise<void>((resolve) => {
    recovered = resolve;
  });

  const message = (error: unknown) => {
    const err = error instanceof Error ? (error.cause ?? error) : error;
    return err instanceof Error ? err.message : String(err);
  };

  /** Retries `task` with a growing pause until it works or the channel stops. */
  const persist = async (what: string, task: () => Promise<unknown>) => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        await task();
        return true;
      } catch (error) {
        if (stopped) return false;
        logger.error({ err: message(error), attempt }, `telegram: ${what} failed, retrying`);
        await sleep(Math.min(60_000, 1000 * 2 ** attempt), undefined, {
          signal: abort.signal,
        }).catch(() => {});
      }
    }
    return false;
  };
  const init = () => {
    initialised ??= persist('getMe', () => bot.init()).then(() => undefined);
    return initialised;
  };

  const block = (chatKey: string, delayMs: number) => {
    const at = performance.now() + delayMs;
    blocked.set(chatKey, at);
    armRetry(at);
  };

  /** One try at a stored update; false when it failed and waits for another try. */
  const attempt = async (row: StoredUpdate): Promise<boolean> => {
    if (finished.has(row.id)) return true;
    await init();
    const queued = queuedSoFar();
    try {
      await bot.handleUpdate(row.update);
    } catch (error) {
      if (stopped) return false;
      const now = clock();
      if (now.getTime() - row.receivedAt.getTime() >= GIVE_UP_AFTER_MS) {
        logger.error(
          { err: message(error), updateId: row.updateId, attempts: row.attempts + 1 },
          'telegram: an update still fails a day after it arrived; given up',
        );
        await store.drop(row.id).catch(() => {});
        finished.add(row.id);
        return true;
      }
      logger.error(
        { err: message(error), updateId: row.updateId, attempt: row.attempts + 1 },
        'telegram: an update could not be handled; it is kept and will be tried again',
      );
      const next = await store.failed(row, message(error), now).catch(() => undefined);
      block(row.chatKey, next ? next.getTime() - now.getTime() : FIRST_BACKOFF_MS);
      return false;
    }
    finished.add(row.id);
    store.done(row.id);
    // Whatever the update queued (a confirmation, a territory question) goes out now;
    // answers the conversation layer claimed as it wrote them are on their way already.
    if (queuedSoFar() !== queued) ctx.dispatchSoon?.();
    return true;
  };

  /** Handles the updates waiting for one chat, oldest first, until one fails. */
  const drain = async (chatKey: string) => {
    try {
      for (;;) {
        const rows = await store.pending(chatKey);
        for (const row of rows) if (!(await attempt(row))) return;
        if (rows.length < 100) {
          blocked.delete(chatKey);
          return;
        }
        // A full page: its rows must be gone before the next page is read.
        await store.flush();
      }
    } catch (error) {
      if (stopped) return;
      logger.error({ err: message(error) }, 'telegram: waiting updates could not be read');
      block(chatKey, FIRST_BACKOFF_MS * 5);
    }
  };

  const queueDrain = (chatKey: string) => {
    if (stopped || drainQueued.has(chatKey)) return;
    drainQueued.add(chatKey);
    void queue.push(chatKey, async () => {
      drainQueued.delete(chatKey);
      await drain(chatKey);
    });
  };

  // One timer, for the earliest chat due; each retry doubles its pause (update-store.ts).
  function armRetry(at: number) {
    if (stopped || at >= retryAt) return;
    if (retryTimer) clearTimeout(retryTimer);
    retryAt = at;
    retryTimer = setTimeout(retryDue, Math.max(0, at - performance.now()) + 10);
  }
  function retryDue() {
    retryTimer = undefined;
    retryAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    for (const [chatKey, at] of blocked) {
      if (at <= now) queueDrain(chatKey);
      else armRetry(at);
    }
  }

  /**
   * Chats whose oldest waiting update may be tried now: those another instance stored and
   * did not handle (it stopped), or all of them at start-up.
   */
  const sweep = async (all: boolean) => {
    const chats = await store.chats(clock(), { due: !all });
    for (const chatKey of chats) {
      if (all) blocked.set(chatKey, 0);
      queueDrain(chatKey);
    }
  };
  const armSweep = () => {
    if (stopped) return;
    sweepTimer = setTimeout(() => {
      const turn = sweep(false)
        .catch((error: unknown) =>
          logger.error({ err: message(error) }, 'telegram: waiting updates could not be read'),
        )
        .finally(armSweep);
      background.add(turn);
      void turn.finally(() => background.delete(turn));
    }, SWEEP_MS);
    sweepTimer.unref?.();
  };

  /** The task of a fresh update: handled at once, unless its chat has older ones waiting. */
  const run = async (row: StoredUpdate) => {
    await recovery;
    if (blocked.has(row.chatKey)) return drain(row.chatKey);
    await attempt(row);
  };

  /**
   * Stores updates (so that nothing is lost once Telegram is told they arrived), then
   * queues each after its chat's earlier ones. Rejects when they could not be stored:
   * Telegram must then send them again.
   */
  const accept = async (updates: Update[]): Promise<Promise<void>[]> => {
    const fresh = updates.filter((u) => Number.isInteger(u?.update_id) && !recent.has(u.update_id));
    const stored = await store.save(
      fresh.map((update) => ({ update, chatKey: chatKeyOf(update) })),
      clock(),
    );
    for (const u of fresh) recent.add(u.update_id);
    return stored.map((row) => queue.push(row.chatKey, () => run(row)));
  };

  // --- Long polling (local use) ---------------------------------------------------
  let polling: Promise<void> | undefined;
  const poll = async () => {
    await bot.api.deleteWebhook().catch(() => {});
    let offset: number | undefined;
    let failures = 0;
    while (!stopped) {
      try {
        const updates = await bot.api.getUpdates(
          { offset, timeout: 25, allowed_updates: [...ALLOWED_UPDATES] },
          // grammY types its signal after the abort-controller polyfill; Node's is the same.
          abort.signal as unknown as Parameters<typeof bot.api.getUpdates>[1],
        );
        // Stored before the offset moves on: the next getUpdates confirms them to Telegram.
        const work = await accept(updates);
        const last = updates.at(-1);
        if (last) offset = last.update_id + 1;
        failures = 0;
        // Handled before asking for more, so a burst does not pile up in memory.
        await Promise.all(work);
      } catch (error) {
        if (stopped) break;
        failures++;
        logger.error(
          { err: message(error) },
          'telegram: getUpdates failed, or its updates could not be stored',
        );
        await sleep(Math.min(30_000, 500 * 2 ** failures), undefined, {
          signal: abort.signal,
        }).catch(() => {});
      }
    }
  };

  const commands = async () => {
    for (const lang of ['fr', 'en'] as const) {
      const t = telegramTexts(i18n, lang);
      await bot.api.setMyCommands(
        ['aide', 'langue', 'stop'].map((command) => ({
          command,
          description: t(`commands.${command}`),
        })),
        lang === 'fr' ? {} : { language_code: 'en' },
      );
    }
  };

  return {
    id: 'telegram',
    sender,
    bot,
    throttle,
    accept,
    idle: () => queue.idle(),
    username: () => (bot.isInited() ? bot.botInfo.username : undefined),

    routes(server: FastifyInstance) {
      linkRoutes(server, {
        ...ctx,
        bot,
        username: () => (bot.isInited() ? bot.botInfo.username : undefined),
      });
      if (config.TELEGRAM_MODE !== 'webhook') return;
      const secret = config.TELEGRAM_WEBHOOK_SECRET as string;
      server.post(WEBHOOK_PATH, async (req, reply) => {
        if (!sameSecret(req.headers[SECRET_HEADER], secret)) {
          // Not Telegram: nothing of the request is kept or logged beyond this line.
          logger.warn({ ip: req.ip }, 'telegram webhook: wrong or missing secret token');
          return reply.code(401).send({ error: 'wrong or missing secret token' });
        }
        const update = req.body as Update | undefined;
        if (!update || typeof update !== 'object' || !Number.isInteger(update.update_id)) {
          return reply.code(400).send({ error: 'expected a Telegram update' });
        }
        // Stored, then acknowledged, then handled: Telegram waits for one insert only, and
        // an update it has let go of is never lost (update-store.ts). Not stored: a 500,
        // and Telegram sends it again.
        let fresh: boolean;
        try {
          fresh = (await accept([update])).length > 0;
        } catch (error) {
          logger.error({ err: message(error) }, 'telegram webhook: the update could not be stored');
          return reply.code(500).send({ error: 'the update could not be stored; send it again' });
        }
        // A press on a button in a private chat: the answer to Telegram stops the button's
        // spinner at once (a webhook reply, the Bot API's own way to make one call without
        // a request of its own; its outcome is not known, and answering a press needs none).
        // A group's press is answered by the handler, with the refusal; a press Telegram
        // sends again once it was stored is not answered twice.
        const press = update.callback_query;
        if (fresh && press?.id && press.message?.chat.type === 'private') {
          answeredInReply.add(update.update_id);
          return reply
            .code(200)
            .send({ method: 'answerCallbackQuery', callback_query_id: press.id });
        }
        return reply.code(200).send({ ok: true });
      });
    },

    async start() {
      stopped = false;
      // Updates stored before a stop or a crash and not handled: first, in each chat.
      const found = persist('reading the waiting updates', () => sweep(true)).then(recovered);
      background.add(found);
      armSweep();
      // At start-up one try each, so a configuration mistake shows in the first lines of
      // the log; then in the background until Telegram answers.
      const first = bot.init().then(
        () => {
          initialised = Promise.resolve();
        },
        (error: unknown) => {
          logger.error(
            { err: error instanceof Error ? error.message : String(error) },
            'telegram: getMe failed (token or API root?); retrying in the background',
          );
        },
      );
      await first;
      const setup = async () => {
        await init();
        if (config.TELEGRAM_MODE === 'webhook') {
          const url = `${(config.PUBLIC_URL as string).replace(/\/+$/, '')}${WEBHOOK_PATH}`;
          await persist('setWebhook', () =>
            bot.api.setWebhook(url, {
              secret_token: config.TELEGRAM_WEBHOOK_SECRET,
              allowed_updates: [...ALLOWED_UPDATES],
              max_connections: 40,
            }),
          );
        }
        await commands().catch((error: unknown) =>
          logger.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'telegram: setMyCommands failed',
          ),
        );
      };
      const ready = setup();
      background.add(ready);
      if (bot.isInited()) await ready;
      if (config.TELEGRAM_MODE === 'polling') {
        polling = ready.then(poll);
        background.add(polling);
      }
      logger.info(
        { mode: config.TELEGRAM_MODE, bot: bot.isInited() ? bot.botInfo.username : undefined },
        'telegram channel started',
      );
    },

    async stop() {
      stopped = true;
      abort.abort();
      if (retryTimer) clearTimeout(retryTimer);
      if (sweepTimer) clearTimeout(sweepTimer);
      recovered();
      await Promise.allSettled([...background]);
      await queue.idle();
      await store.flush();
      store.close();
    },
  };
}
