// Helpers for Telegram tests: Relais' settings pointing at the fake Bot API, updates as a
// person's Telegram app would send them, and delivery of the outbox until it is empty.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Update } from 'grammy/types';
import type { Relais } from '../../src/app.js';
import type { TelegramModule } from '../../src/channels/telegram/index.js';
import { type FakeCall, type FakeTelegramApi, fakeAt, now } from './fakes/telegram-api.js';

export const WEBHOOK_SECRET = 'test-webhook-secret_0123456789';

/** Relais settings for the Telegram channel in webhook mode against the fake. */
export function telegramEnv(
  fake: FakeTelegramApi,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_MODE: 'webhook',
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: fake.url,
    PUBLIC_URL: 'https://relais.example.test',
    ...overrides,
  };
}

export function telegramOf(relais: Relais): TelegramModule {
  const module = relais.services.channels.find((c) => c.id === 'telegram');
  if (!module) throw new Error('the Telegram channel is not running');
  return module as TelegramModule;
}

let nextUpdateId = 7_000_000;
let nextMessageId = 1;

/** A person on Telegram: builds the updates their app sends. */
export class TelegramUser {
  constructor(
    readonly id: number,
    readonly firstName = 'Léa',
    readonly languageCode = 'fr',
  ) {}

  get from() {
    return {
      id: this.id,
      is_bot: false as const,
      first_name: this.firstName,
      language_code: this.languageCode,
    };
  }

  get chat() {
    return { id: this.id, type: 'private' as const, first_name: this.firstName };
  }

  message(text: string): Update {
    const command = /^\/\w+/.exec(text);
    return {
      update_id: nextUpdateId++,
      message: {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: this.chat,
        from: this.from,
        text,
        ...(command
          ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] }
          : {}),
      },
    } as Update;
  }

  voice(fileId: string, duration = 7): Update {
    return {
      update_id: nextUpdateId++,
      message: {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: this.chat,
        from: this.from,
        voice: { file_id: fileId, file_unique_id: `u-${fileId}`, duration, mime_type: 'audio/ogg' },
      },
    } as Update;
  }

  sticker(): Update {
    return {
      update_id: nextUpdateId++,
      message: {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: this.chat,
        from: this.from,
        sticker: {
          file_id: 'sticker',
          file_unique_id: 'us',
          type: 'regular',
          width: 512,
          height: 512,
          is_animated: false,
          is_video: false,
        },
      },
    } as Update;
  }

  /** A press on a button of a message the bot sent (a sendMessage call of the fake). */
  press(sent: FakeCall, label: string | RegExp): Update {
    const markup = sent.params.reply_markup as
      | { inline_keyboard: { text: string; callback_data: string }[][] }
      | undefined;
    const button = markup?.inline_keyboard
      .flat()
      .find((b) => (typeof label === 'string' ? b.text === label : label.test(b.text)));
    if (!button) throw new Error(`no button "${label}" on "${String(sent.params.text)}"`);
    const message = sent.result as { message_id: number; date: number; text: string };
    return {
      update_id: nextUpdateId++,
      callback_query: {
        id: `cb${nextUpdateId}`,
        from: this.from,
        chat_instance: `ci${this.id}`,
        data: button.callback_data,
        message: {
          message_id: message.message_id,
          date: message.date,
          chat: this.chat,
          from: { id: 123456789, is_bot: true, first_name: 'Relais' },
          text: message.text,
          reply_markup: markup,
        },
      },
    } as Update;
  }
}

/**
 * POSTs an update to Relais' webhook as Telegram would, and like Telegram carries out a
 * method Relais put in its answer (a webhook reply), on the fake Relais talks to.
 */
export async function postUpdate(
  relais: Relais,
  update: Update | Record<string, unknown>,
  secret: string | null = WEBHOOK_SECRET,
): Promise<Response> {
  const postedAt = now();
  const res = await fetch(`${relais.url}/telegram/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }),
    },
    body: JSON.stringify(update),
  });
  const text = await res.text();
  const fake = fakeAt(relais.config.TELEGRAM_API_ROOT);
  if (res.status === 200 && fake) fake.webhookReply(JSON.parse(text), postedAt);
  return new Response(text, { status: res.status, headers: res.headers });
}

/** Posts an update and waits until Relais has handled it (not yet sent the replies). */
export async function send(relais: Relais, update: Update): Promise<void> {
  const res = await postUpdate(relais, update);
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  await telegramOf(relais).idle();
}

/**
 * Runs the dispatcher until no Telegram message is left to send, waiting out the
 * per-chat pauses the sender asked for (messages come back after retryAfterMs).
 */
export async function deliver(relais: Relais, maxWaitMs = 15_000): Promise<void> {
  const { prisma } = relais.db;
  const started = Date.now();
  for (;;) {
    await telegramOf(relais).idle();
    await relais.services.dispatcher.drain();
    const next = await prisma.message.findFirst({
      where: { status: { in: ['queued', 'sending'] }, direction: 'outbound' },
      orderBy: { notBefore: 'asc' },
      select: { notBefore: true },
    });
    if (!next) return;
    const wait = next.notBefore.getTime() - relais.services.clock().getTime();
    if (Date.now() - started + wait > maxWaitMs) return;
    await sleep(Math.max(5, wait + 5));
  }
}

/** The calls of the fake from index `from` on, as "method chat text/markup" lines. */
export function callLines(calls: FakeCall[], from = 0): string[] {
  return calls.slice(from).map((c) => {
    const p = c.params;
    const parts = [c.method];
    if (p.chat_id !== undefined) parts.push(String(p.chat_id));
    if (typeof p.text === 'string') parts.push(JSON.stringify(p.text));
    const markup = p.reply_markup as
      | { inline_keyboard: { text: string; callback_data: string }[][] }
      | undefined;
    if (markup) {
      parts.push(
        `[${markup.inline_keyboard.map((row) => row.map((b) => b.text).join(' | ')).join(' / ')}]`,
      );
    }
    if (c.status !== 200) parts.push(`-> ${c.status}`);
    return parts.join(' ');
  });
}

/** A clock that runs at real speed from `start` (a weekday morning, outside quiet hours). */
export function movingClock(start: string): () => Date {
  const offset = new Date(start).getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}
