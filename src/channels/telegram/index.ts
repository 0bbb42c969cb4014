// The Telegram channel, on grammY. Updates come by webhook (production: the secret token
// header is checked, the update acknowledged at once and handled after, one chat at a time
// and in order) or by long polling (local use). Messages go out through the outbox and
// the dispatcher, to TelegramSender. Created only when TELEGRAM_BOT_TOKEN is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import type { ChannelContext, ChannelModule } from '../module.js';
import { ChatQueue } from './chat-queue.js';
import { linkRoutes } from './http.js';
import { installOnboarding, telegramTexts } from './onboarding.js';
import { TelegramSender } from './sender.js';
import { SendThrottle, TELEGRAM_LIMITS } from './throttle.js';
import { ALLOWED_UPDATES, chatKeyOf, installHandlers } from './updates.js';

export const WEBHOOK_PATH = '/telegram/webhook';
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface TelegramModule extends ChannelModule {
  id: 'telegram';
  sender: TelegramSender;
  bot: Bot;
  throttle: SendThrottle;
  /** Takes an update (webhook or polling): handled once, after the chat's earlier ones. */
  accept(update: Update): Promise<void> | undefined;
  /** Resolves when every accepted update has been handled. */
  idle(): Promise<void>;
  /** The bot's @username once known (getMe), for t.me links. */
  username(): string | undefined;
}

/** Remembers the last update ids seen, to drop an immediate redelivery without a query. */
class RecentIds {
  private readonly ids = new Set<number>();
  constructor(private readonly max: number) {}
  add(id: number): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function telegramChannel(ctx: ChannelContext): TelegramModule {
  const { config, logger, conversations, i18n } = ctx;
  const token = config.TELEGRAM_BOT_TOKEN;
  if (!token) throw new Error('the Telegram channel needs TELEGRAM_BOT_TOKEN');
  const bot = new Bot(token, {
    // getUpdates waits up to 25 s; a send that takes longer than a minute is retried.
    client: { apiRoot: config.TELEGRAM_API_ROOT.replace(/\/+$/, ''), timeoutSeconds: 60 },
  });
  const throttle = new SendThrottle({
    ...TELEGRAM_LIMITS,
    perSecond: config.TELEGRAM_RATE_PER_SECOND,
    chatIntervalMs: config.TELEGRAM_CHAT_INTERVAL_MS,
  });
  const sender = new TelegramSender({ api: bot.api, throttle, logger });
  installHandlers(bot, { ...ctx, sender });
  installOnboarding(conversations, i18n);

  const queue = new ChatQueue();
  const recent = new RecentIds(10_000);
  let stopped = false;
  let initialised: Promise<void> | undefined;
  const background = new Set<Promise<unknown>>();
  const abort = new AbortController();

  /** Retries `task` with a growing pause until it works or the channel stops. */
  const persist = async (what: string, task: () => Promise<unknown>) => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        await task();
        return true;
      } catch (error) {
        if (stopped) return false;
        logger.error(
          { err: error instanceof Error ? error.message : String(error), attempt },
          `telegram: ${what} failed, retrying`,
        );
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

  const handle = async (update: Update) => {
    await init();
    for (let attempt = 1; ; attempt++) {
      try {
        await bot.handleUpdate(update);
        // Whatever the update queued (the next question, a confirmation) goes out now.
        ctx.dispatchSoon?.();
        return;
      } catch (error) {
        // Handling is idempotent (the update id is stored with its effects): a second
        // try after a database hiccup is safe. Telegram will not send it again.
        const err = error instanceof Error ? (error.cause ?? error) : error;
        if (attempt >= 3 || stopped) {
          logger.error(
            { err: err instanceof Error ? err.message : String(err), updateId: update.update_id },
            'telegram: an update could not be handled',
          );
          return;
        }
        await sleep(100 * 4 ** attempt);
      }
    }
  };

  const accept = (update: Update) => {
    if (!Number.isInteger(update.update_id) || !recent.add(update.update_id)) return undefined;
    return queue.push(chatKeyOf(update), () => handle(update));
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
        failures = 0;
        const work: Promise<void>[] = [];
        for (const update of updates) {
          offset = update.update_id + 1;
          const done = accept(update);
          if (done) work.push(done);
        }
        // The next getUpdates confirms these to Telegram: handle them first.
        await Promise.all(work);
      } catch (error) {
        if (stopped) break;
        failures++;
        logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'telegram: getUpdates failed',
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
        // Acknowledged now, handled right after: Telegram never waits on the database, and
        // does not send the update again because we were slow.
        reply.code(200).send({ ok: true });
        accept(update);
        return reply;
      });
    },

    async start() {
      stopped = false;
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
      await Promise.allSettled([...background]);
      await queue.idle();
    },
  };
}
