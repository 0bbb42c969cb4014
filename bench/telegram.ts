// Telegram side by side (issue 4): the same questionnaire answered through Relais (webhook
// -> handleInbound -> engine step on one run row -> outbox -> dispatcher -> Bot API) and
// through a grammY bot using @grammyjs/conversations v2 as its docs recommend (a
// conversation function with waitFor, side effects in conversation.external, state in a
// persistent storage adapter). Same process, same fake Bot API server, same database
// (PGlite in memory, or a PostgreSQL server): Relais' tables and the plugin's key-value
// table live side by side.
//
// People are simulated: CHATS chats answer at once, each waiting for the next question
// before answering (Telegram delivers one chat's updates in order). Every answer is a
// button press, except every 10th, which is typed. Both bots do the same Bot API work per
// answer: answerCallbackQuery, remove the old keyboard, send the next question.
//
// Latency of an update: from the POST of the update to the bot's webhook until the next
// question reaches the Bot API. Telegram's send limits are lifted on both sides (the
// plugin has none unless a throttler is added): this measures the bots, not Telegram.
//
// The targets of issue 4 (Relais >= the plugin's updates/s at 10 questions, >= 5x at 200)
// are checked and printed as met / NOT met; the SQL/update column says where time goes.
//
//   npm run bench -- telegram
//   BENCH_CHATS=10 BENCH_SIZES=10,200,600 npm run bench -- telegram      other sizes
//   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres ...   on PostgreSQL
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import {
  type Conversation,
  type ConversationFlavor,
  conversations,
  createConversation,
} from '@grammyjs/conversations';
import Fastify from 'fastify';
import { Bot, type Context, webhookCallback } from 'grammy';
import type { Update } from 'grammy/types';
import pg from 'pg';
import { type Relais, startRelais } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { type FlowDefinition, flowSchema } from '../src/engine/index.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { createLogger } from '../src/logger.js';
import {
  type FakeCall,
  type FakeTelegramApi,
  now,
  startFakeTelegramApi,
} from '../tests/support/fakes/telegram-api.js';
import { summary, table } from './_stats.js';

const CHATS = Number(process.env.BENCH_CHATS ?? 10);
const SIZES = (process.env.BENCH_SIZES ?? '10,200').split(',').map(Number);
const SECRET = 'bench-webhook-secret-0123456789';
/** How many answers, at the end of each run, make the "at question N" figure. */
const TAIL = 10;

// --- The questionnaire, the same on both sides -----------------------------------

interface Question {
  id: string;
  text: string;
  choices: { id: string; label: string }[];
}

const THEMES = [
  'les horaires de l’accueil',
  'le temps d’attente',
  'les informations reçues',
  'les démarches en ligne',
  'les transports pour venir',
  'la garde des enfants',
  'l’accompagnement vers l’emploi',
  'les ateliers collectifs',
];

function questions(n: number): Question[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `q${i + 1}`,
    text: `Question ${i + 1} sur ${n} : que pensez-vous de ${THEMES[i % THEMES.length]} ?`,
    choices: [
      { id: 'good', label: 'Ça me convient' },
      { id: 'fair', label: 'Moyen' },
      { id: 'bad', label: 'Ça ne va pas' },
      { id: 'skip', label: 'Je ne sais pas' },
    ],
  }));
}

const INTRO = 'Bonjour ! Voici quelques questions. Répondre est libre.';
const THANKS = 'Merci pour vos réponses !';

function flowOf(n: number): FlowDefinition {
  return flowSchema.parse({
    id: `bench-q${n}`,
    version: 1,
    kind: 'avis',
    title: `Questionnaire de ${n} questions`,
    language: 'fr',
    nodes: [
      { id: 'intro', say: INTRO },
      ...questions(n).map((q) => ({
        id: q.id,
        ask: 'single',
        text: q.text,
        result: q.id,
        choices: q.choices,
      })),
      { id: 'thanks', end: THANKS },
    ],
  }) as FlowDefinition;
}

// --- The simulated people ----------------------------------------------------------

type SentMessage = FakeCall;

/** Waits for the bot's messages to each chat, in order. */
class Inbox {
  private readonly delivered = new Map<string, SentMessage[]>();
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
  async nth(chat: number, count: number): Promise<SentMessage> {
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
    return this.delivered.get(String(chat))?.[count - 1] as SentMessage;
  }
}

let nextUpdateId = 1;

function answerUpdate(chat: number, question: SentMessage, i: number): Update {
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

async function post(url: string, secret: string, update: Update): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    body: JSON.stringify(update),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
}

interface RunFigures {
  updates: number;
  seconds: number;
  latencies: number[];
  /** Latencies of the last TAIL answers of each chat (around question N). */
  tail: number[];
}

/**
 * Each chat answers `n` questions; `firstQuestion` is how many messages the chat has
 * received when the first question is there.
 */
async function answerAll(
  inbox: Inbox,
  chats: number[],
  n: number,
  firstQuestion: number,
  webhook: string,
  secret: string,
): Promise<RunFigures> {
  const latencies: number[] = [];
  const tail: number[] = [];
  // The clock starts once every chat has its first question: how fast a bot sends the
  // first one (the plugin inside /start, Relais through the dispatcher) is not an update.
  const first = await Promise.all(chats.map((chat) => inbox.nth(chat, firstQuestion)));
  const started = now();
  await Promise.all(
    chats.map(async (chat, c) => {
      let question = first[c] as SentMessage;
      for (let i = 0; i < n; i++) {
        const expected = inbox.count(chat) + 1;
        const t0 = now();
        await post(webhook, secret, answerUpdate(chat, question, i));
        question = await inbox.nth(chat, expected);
        const latency = question.at - t0;
        latencies.push(latency);
        if (i >= n - TAIL) tail.push(latency);
      }
    }),
  );
  return { updates: chats.length * n, seconds: (now() - started) / 1000, latencies, tail };
}

// --- Relais ------------------------------------------------------------------------

async function relaisSide(
  relais: Relais,
  inbox: Inbox,
  n: number,
  firstChat: number,
): Promise<RunFigures> {
  const { prisma } = relais.db;
  const org = await prisma.organisation.findFirstOrThrow({ where: { slug: 'bench' } });
  const flowId = `bench-q${n}`;
  const chats = Array.from({ length: CHATS }, (_, i) => firstChat + i);
  for (const chat of chats) {
    const person = await prisma.person.create({
      data: { organisationId: org.id, displayName: `Bench ${chat}`, roles: ['beneficiary'] },
    });
    const identity = await prisma.channelIdentity.create({
      data: {
        organisationId: org.id,
        personId: person.id,
        channel: 'telegram',
        address: String(chat),
        consent: 'granted',
        consentAt: new Date(),
        consentSource: 'bench',
      },
    });
    await relais.services.conversations.startRun({
      personId: person.id,
      identityId: identity.id,
      flowId,
      cause: `bench:${flowId}:${chat}`,
    });
  }
  // intro, then the first question
  return answerAll(inbox, chats, n, 2, `${relais.url}/telegram/webhook`, SECRET);
}

// --- grammY + @grammyjs/conversations ------------------------------------------------

/** A key-value storage adapter over the same database (what @grammyjs/storage-prisma does:
 * the JSON text of the state under a key), with Prisma's raw queries. */
const stateBytes = { max: 0 };

function prismaKeyValue(prisma: PrismaClient) {
  return {
    async read(key: string) {
      const rows = await prisma.$queryRaw<{ value: string }[]>`
        SELECT value FROM bench_conversation_state WHERE key = ${key}`;
      return rows[0] ? JSON.parse(rows[0].value) : undefined;
    },
    async write(key: string, state: unknown) {
      const value = JSON.stringify(state);
      stateBytes.max = Math.max(stateBytes.max, value.length);
      await prisma.$executeRaw`
        INSERT INTO bench_conversation_state (key, value) VALUES (${key}, ${value})
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`;
    },
    async delete(key: string) {
      await prisma.$executeRaw`DELETE FROM bench_conversation_state WHERE key = ${key}`;
    },
  };
}

type PluginContext = ConversationFlavor<Context>;

async function startPluginBot(prisma: PrismaClient, fake: FakeTelegramApi) {
  await prisma.$executeRawUnsafe(
    'CREATE TABLE IF NOT EXISTS bench_conversation_state (key text PRIMARY KEY, value text NOT NULL)',
  );
  await prisma.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS bench_plugin_answer (
       chat text NOT NULL, flow text NOT NULL, question text NOT NULL, answer text NOT NULL,
       PRIMARY KEY (chat, flow, question))`,
  );
  const bot = new Bot<PluginContext>(fake.token, {
    client: { apiRoot: fake.url },
    botInfo: fake.botInfo as never,
  });
  bot.use(conversations({ storage: { type: 'key', adapter: prismaKeyValue(prisma) } }));

  async function questionnaire(
    conversation: Conversation<PluginContext, Context>,
    ctx: Context,
    n: number,
  ) {
    const chat = String(ctx.chatId);
    let current = ctx;
    await current.reply(INTRO);
    for (const q of questions(n)) {
      await current.reply(q.text, {
        reply_markup: {
          inline_keyboard: q.choices.map((c) => [
            { text: c.label, callback_data: `${q.id}:${c.id}` },
          ]),
        },
      });
      for (;;) {
        const answer = await conversation.waitFor(['callback_query:data', 'message:text']);
        let choice: string | undefined;
        if (answer.callbackQuery?.data) {
          await answer.answerCallbackQuery();
          await answer.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } });
          const [questionId, choiceId] = answer.callbackQuery.data.split(':');
          if (questionId === q.id) choice = choiceId;
        } else {
          const typed = answer.message?.text?.trim().toLowerCase();
          choice = q.choices.find((c) => c.label.toLowerCase() === typed)?.id;
        }
        current = answer;
        if (choice) {
          const value = choice;
          // Side effects go through external(): stored once, not repeated on replays.
          await conversation.external(
            () => prisma.$executeRaw`
              INSERT INTO bench_plugin_answer (chat, flow, question, answer)
              VALUES (${chat}, ${`q${n}`}, ${q.id}, ${value})
              ON CONFLICT (chat, flow, question) DO UPDATE SET answer = EXCLUDED.answer`,
          );
          break;
        }
        await current.reply("Je n'ai pas compris. Touchez une réponse.");
      }
    }
    await current.reply(THANKS);
  }

  bot.use(createConversation(questionnaire, 'questionnaire'));
  bot.command('start', (ctx) => ctx.conversation.enter('questionnaire', Number(ctx.match)));

  const server = Fastify();
  server.post('/plugin', webhookCallback(bot, 'fastify', { secretToken: SECRET }));
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/plugin`, close: () => server.close() };
}

async function pluginSide(
  plugin: { url: string },
  inbox: Inbox,
  n: number,
  firstChat: number,
): Promise<RunFigures> {
  const chats = Array.from({ length: CHATS }, (_, i) => firstChat + i);
  for (const chat of chats) {
    await post(plugin.url, SECRET, {
      update_id: nextUpdateId++,
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chat, type: 'private', first_name: 'Bench' },
        from: { id: chat, is_bot: false, first_name: 'Bench' },
        text: `/start ${n}`,
        entities: [{ type: 'bot_command', offset: 0, length: 6 }],
      },
    } as Update);
  }
  return answerAll(inbox, chats, n, 2, plugin.url, SECRET);
}

// --- Run ---------------------------------------------------------------------------

/** SQL statements the database received (PGlite only: counted on its protocol input). */
const statements = { count: 0 };

/**
 * The embedded PGlite in memory, or with BENCH_DATABASE_URL (a PostgreSQL server's admin
 * URL) a fresh database on that server, dropped at the end.
 */
async function openBenchDatabase() {
  const admin = process.env.BENCH_DATABASE_URL;
  if (!admin) {
    const pglite = new PGlite();
    const raw = pglite.execProtocolRaw.bind(pglite);
    const sql = /\b(?:SELECT|INSERT|UPDATE|DELETE|BEGIN|COMMIT|ROLLBACK)\b/;
    pglite.execProtocolRaw = (message, options) => {
      if (
        sql.test(
          Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('latin1'),
        )
      ) {
        statements.count++;
      }
      return raw(message, options);
    };
    const db = await openDatabase({ pglite });
    return Object.assign(db, { counted: true, dispose: () => pglite.close() });
  }
  const name = `relais_bench_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 10 });
  return Object.assign(db, {
    counted: false,
    dispose: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  });
}

interface Measured extends RunFigures {
  cpuMsPerUpdate: number;
  statementsPerUpdate: number;
}

/** Runs one side and adds what it cost this process (CPU) and the database (statements). */
async function measure(side: () => Promise<RunFigures>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const before = statements.count;
  const figures = await side();
  const used = process.cpuUsage(cpu);
  return {
    ...figures,
    cpuMsPerUpdate: (used.user + used.system) / 1000 / figures.updates,
    statementsPerUpdate: (statements.count - before) / figures.updates,
  };
}

export async function run(): Promise<void> {
  const fake = await startFakeTelegramApi({ username: 'relais_bench_bot' });
  const inbox = new Inbox(fake);
  const db = await openBenchDatabase();
  await db.migrate();
  await db.prisma.organisation.create({ data: { slug: 'bench', name: 'Bench' } });
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    DEMO_DATA: 'false',
    DATA_DIR: `/tmp/relais-bench-${randomBytes(4).toString('hex')}`,
    SCHEDULER_ENABLED: 'false',
    // The production set-up: the dispatcher polls (every second) and is woken at once when
    // an update has queued a reply.
    DISPATCHER_ENABLED: 'true',
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_MODE: 'webhook',
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: fake.url,
    PUBLIC_URL: 'https://relais.example.test',
    // Telegram's own limits lifted, as on the plugin side (see the top of this file).
    TELEGRAM_RATE_PER_SECOND: '1000',
    TELEGRAM_CHAT_INTERVAL_MS: '0',
  });
  // A weekday morning moving at real speed: no quiet hours in the way.
  const offset = new Date('2026-03-03T09:00:00Z').getTime() - Date.now();
  const relais = await startRelais(config, {
    db,
    logger: createLogger('silent'),
    clock: () => new Date(Date.now() + offset),
  });
  await relais.services.flows.sync([5, ...SIZES].map(flowOf), (def) => `bench ${def.id}`);
  const plugin = await startPluginBot(db.prisma, fake);

  const rows: Record<string, string | number>[] = [];
  const ratios: Record<string, string | number>[] = [];
  const verdicts: string[] = [];
  try {
    let chatBase = 100_000;
    const nextChats = () => {
      chatBase += 1000;
      return chatBase;
    };
    // A short warm-up of both paths, not measured.
    await relaisSide(relais, inbox, 5, nextChats());
    await pluginSide(plugin, inbox, 5, nextChats());
    for (const n of SIZES) {
      const r = await measure(() => relaisSide(relais, inbox, n, nextChats()));
      await sleep(200);
      stateBytes.max = 0;
      const p = await measure(() => pluginSide(plugin, inbox, n, nextChats()));
      const state = stateBytes.max;
      const [rs, ps, rt, pt] = [r.latencies, p.latencies, r.tail, p.tail].map(summary) as [
        ReturnType<typeof summary>,
        ReturnType<typeof summary>,
        ReturnType<typeof summary>,
        ReturnType<typeof summary>,
      ];
      const rRate = r.updates / r.seconds;
      const pRate = p.updates / p.seconds;
      const row = (bot: string, m: Measured, all: typeof rs, tail: typeof rs, kept: string) => ({
        questionnaire: `${n} q.`,
        bot,
        updates: m.updates,
        'updates/s':
          m.updates / m.seconds >= 100
            ? (m.updates / m.seconds).toFixed(0)
            : (m.updates / m.seconds).toFixed(1),
        'p50 ms': all.p50.toFixed(1),
        'p99 ms': all.p99.toFixed(1),
        'p50 ms, last 10 q.': tail.p50.toFixed(1),
        'CPU ms/update': m.cpuMsPerUpdate.toFixed(1),
        'SQL/update': db.counted ? m.statementsPerUpdate.toFixed(1) : '-',
        state: kept,
      });
      rows.push(
        row('Relais', r, rs, rt, 'one run row'),
        row('grammY conversations', p, ps, pt, `${(state / 1024).toFixed(0)} KB/chat`),
      );
      const speed = rRate / pRate;
      ratios.push({
        questionnaire: `${n} questions`,
        'updates/s Relais÷plugin': speed.toFixed(2),
        'p50 plugin÷Relais': (ps.p50 / rs.p50).toFixed(2),
        'p99 plugin÷Relais': (ps.p99 / rs.p99).toFixed(2),
        'p50 last 10 q. plugin÷Relais': (pt.p50 / rt.p50).toFixed(2),
        'CPU/update plugin÷Relais': (p.cpuMsPerUpdate / r.cpuMsPerUpdate).toFixed(2),
      });
      const target = n <= 10 ? 1 : n >= 200 ? 5 : undefined;
      if (target !== undefined) {
        verdicts.push(
          `${n} questions: Relais processes ${speed.toFixed(2)}x the plugin's updates/s (target >= ${target}x): ${speed >= target ? 'met' : 'NOT met'}`,
        );
      }
      await db.prisma.$executeRawUnsafe('DELETE FROM bench_conversation_state');
    }
  } finally {
    await plugin.close();
    await relais.stop();
    await db.close();
    await db.dispose();
    await fake.close();
  }
  console.log(
    `\n${db.kind === 'pglite' ? 'PGlite in memory' : 'PostgreSQL'}; ${CHATS} chats answering at once; latency = update POSTed -> next question at the Bot API; CPU = this process (bots, database when PGlite, fake API, simulated people).`,
  );
  table(rows);
  table(ratios);
  for (const v of verdicts) console.log(v);
}
