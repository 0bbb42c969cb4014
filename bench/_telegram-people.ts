// The other side of the Telegram bench (telegram.ts), in its own thread: the fake Bot API
// server and the simulated people who answer through it. In production, Telegram and the
// people's phones are not in the bot's process; here they are not on its event loop
// either, so what the bench measures on the bot's thread is the bot's own work, the same
// way for both bots.
//
// The main thread asks: { type: 'answer', ... } -> { type: 'answered', figures }.
import { parentPort } from 'node:worker_threads';
import type { Update } from 'grammy/types';
import {
  type FakeCall,
  type FakeTelegramApi,
  now,
  startFakeTelegramApi,
} from '../tests/support/fakes/telegram-api.js';

/** How many answers, at the end of each run, make the "at question N" figure. */
export const TAIL = 10;

export interface RunFigures {
  updates: number;
  seconds: number;
  latencies: number[];
  /** Latencies of the last TAIL answers of each chat (around question N). */
  tail: number[];
}

export type Request =
  | {
      type: 'answer';
      id: number;
      chats: number[];
      n: number;
      firstQuestion: number;
      webhook: string;
      secret: string;
    }
  | { type: 'close' };

export type Reply =
  | { type: 'ready'; url: string; token: string; botInfo: FakeTelegramApi['botInfo'] }
  | { type: 'started'; id: number }
  | { type: 'answered'; id: number; figures: RunFigures }
  | { type: 'failed'; id: number; error: string };

/** Waits for the bot's messages to each chat, in order. */
class Inbox {
  private readonly delivered = new Map<string, FakeCall[]>();
  private readonly waiting = new Map<string, { count: number; resolve: () => void }>();

  constructor(fake: FakeTelegramApi) {
    fake.onCall((call) => {
      if (call.method !== 'sendMessage' || call.status !== 200) return;
      const chat = String(call.params.chat_id);
      const list = this.delivered.get(chat) ?? [];
      list.push(call);
      this.delivered.set(chat, list);
      const w = this.waiting.get(chat);
      if (w && list.length >= w.count) {
        this.waiting.delete(chat);
        w.resolve();
      }
    });
  }

  count(chat: number): number {
    return this.delivered.get(String(chat))?.length ?? 0;
  }

  /** The `count`-th message to the chat (1-based), once it has arrived. */
  async nth(chat: number, count: number): Promise<FakeCall> {
    if (this.count(chat) < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`chat ${chat}: message ${count} never came`)),
          120_000,
        );
        this.waiting.set(String(chat), {
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.delivered.get(String(chat))?.[count - 1] as FakeCall;
  }
}

// Far from the main thread's ids (its /start updates), so that no bot sees one twice.
let nextUpdateId = 1_000_000_000;

function answerUpdate(chat: number, question: FakeCall, i: number): Update {
  const from = { id: chat, is_bot: false as const, first_name: 'Bench', language_code: 'fr' };
  const chatObj = { id: chat, type: 'private' as const, first_name: 'Bench' };
  const markup = question.params.reply_markup as {
    inline_keyboard: { text: string; callback_data: string }[][];
  };
  if (!markup) throw new Error(`no buttons on "${String(question.params.text)}" to ${chat}`);
  const buttons = markup.inline_keyboard.flat();
  const button = buttons[i % buttons.length] as { text: string; callback_data: string };
  const sent = question.result as { message_id: number; date: number; text: string };
  if (i % 10 === 9) {
    // Every tenth answer is typed: the label of a choice.
    return {
      update_id: nextUpdateId++,
      message: { message_id: 10_000 + i, date: sent.date, chat: chatObj, from, text: button.text },
    } as Update;
  }
  return {
    update_id: nextUpdateId++,
    callback_query: {
      id: `cq${nextUpdateId}`,
      from,
      chat_instance: `ci${chat}`,
      data: button.callback_data,
      message: {
        message_id: sent.message_id,
        date: sent.date,
        chat: chatObj,
        from: { id: 1, is_bot: true, first_name: 'Relais' },
        text: sent.text,
        reply_markup: markup,
      },
    },
  } as Update;
}

/** POSTs an update to a bot's webhook; resolves with the bot's answer (JSON). */
export async function post(url: string, secret: string, update: Update): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    body: JSON.stringify(update),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Each chat answers `n` questions, each waiting for the next question before answering
 * (Telegram delivers one chat's updates in order); `firstQuestion` is how many messages
 * the chat has received when the first question is there.
 */
async function answerAll(
  fake: FakeTelegramApi,
  inbox: Inbox,
  request: Extract<Request, { type: 'answer' }>,
  onStart: () => void,
): Promise<RunFigures> {
  const { chats, n, firstQuestion, webhook, secret } = request;
  const latencies: number[] = [];
  const tail: number[] = [];
  // The clock starts once every chat has its first question: how fast a bot sends the
  // first one (the plugin inside /start, Relais through the dispatcher) is not an update.
  const first = await Promise.all(chats.map((chat) => inbox.nth(chat, firstQuestion)));
  const started = now();
  onStart();
  await Promise.all(
    chats.map(async (chat, c) => {
      let question = first[c] as FakeCall;
      for (let i = 0; i < n; i++) {
        const expected = inbox.count(chat) + 1;
        const t0 = now();
        // A method in the bot's answer is carried out, as Telegram does (webhook reply).
        fake.webhookReply(await post(webhook, secret, answerUpdate(chat, question, i)), t0);
        question = await inbox.nth(chat, expected);
        const latency = question.at - t0;
        latencies.push(latency);
        if (i >= n - TAIL) tail.push(latency);
      }
    }),
  );
  return { updates: chats.length * n, seconds: (now() - started) / 1000, latencies, tail };
}

async function serve(port: NonNullable<typeof parentPort>): Promise<void> {
  const fake = await startFakeTelegramApi({ username: 'relais_bench_bot' });
  const inbox = new Inbox(fake);
  port.on('message', (request: Request) => {
    if (request.type === 'close') {
      void fake.close().then(() => port.close());
      return;
    }
    const onStart = () => port.postMessage({ type: 'started', id: request.id } satisfies Reply);
    answerAll(fake, inbox, request, onStart).then(
      (figures) => port.postMessage({ type: 'answered', id: request.id, figures } satisfies Reply),
      (error: unknown) =>
        port.postMessage({ type: 'failed', id: request.id, error: String(error) } satisfies Reply),
    );
  });
  port.postMessage({
    type: 'ready',
    url: fake.url,
    token: fake.token,
    botInfo: fake.botInfo,
  } satisfies Reply);
}

if (parentPort) await serve(parentPort);
