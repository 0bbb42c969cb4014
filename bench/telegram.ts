// Telegram side by side (issue 4): the same questionnaire answered through Relais (webhook
// -> handleInbound -> engine step on one run row -> outbox -> dispatcher -> Bot API) and
// through a grammY bot using @grammyjs/conversations v2 as its docs recommend (a
// conversation function with waitFor, side effects in conversation.external, state in a
// persistent storage adapter). Same machine, same fake Bot API server, same database
// (PGlite in memory, or a PostgreSQL server): Relais' tables and the plugin's key-value
// table live side by side.
//
// People are simulated: CHATS chats answer at once, each waiting for the next question
// before answering (Telegram delivers one chat's updates in order). Every answer is a
// button press, except every 10th, which is typed. Both bots do the same Bot API work per
// answer: answerCallbackQuery, remove the old keyboard, send the next question; both file
// each answer in the database (Relais: a named result; the plugin: its answer table).
// A short questionnaire is run by several rounds of new chats (BENCH_UPDATES, about 2000
// updates per figure), so that its figures are not a second's worth of noise.
//
// Latency of an update: from the POST of the update to the bot's webhook until the next
// question reaches the Bot API. Telegram's send limits are lifted on both sides (the
// plugin has none unless a throttler is added): this measures the bots, not Telegram.
//
// The fake Bot API and the people run in a worker thread (_telegram-people.ts), as
// Telegram and phones are elsewhere in production: the bots' thread does the bots' work
// only (and PGlite's, which is embedded), and "bot thread ms/update" is how long that
// thread was busy per update (its event loop's active time).
//
// The targets of issue 4 (Relais >= the plugin's updates/s at 10 questions, >= 5x at 200)
// are checked and printed as met / NOT met; the SQL/update column says where time goes.
//
//   npm run bench -- telegram
//   BENCH_CHATS=10 BENCH_SIZES=10,200,600 npm run bench -- telegram      other sizes
//   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres ...   on PostgreSQL
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
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
import { summary, table } from './_stats.js';
import { post, type Reply, type Request, type RunFigures } from './_telegram-people.js';

const CHATS = Number(process.env.BENCH_CHATS ?? 10);
const SIZES = (process.env.BENCH_SIZES ?? '10,200').split(',').map(Number);
const SECRET = 'bench-webhook-secret-0123456789';
/** About how many updates each figure rests on (short questionnaires take several rounds). */
const UPDATES_PER_SIZE = Number(process.env.BENCH_UPDATES ?? 2000);
/** Questions of the warm-up rounds of each bot (not measured): the JIT compiles both first. */
const WARM_UP = 20;
/**
 * About how many updates each bot's warm-up takes. With 200 (one round), the first size
 * measured after it ran about 20% slower than the same size measured again in the same
 * process (V8 still optimising the hot path): the figure of a bot just started, not of a
 * service that has been running.
 */
const WARM_UP_UPDATES = Number(process.env.BENCH_WARM_UP ?? 1000);

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
    // Not an avis (anonymous: its answers are not filed one by one): each answer is filed
    // as a named result, as the plugin side files it in its answer table.
    kind: 'consultation',
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

// --- The people and Telegram, in their thread ---------------------------------------

/** The worker thread of _telegram-people.ts: the fake Bot API and the people. */
async function startPeople() {
  const worker = new Worker(new URL('./_ts-worker.mjs', import.meta.url), {
    workerData: { module: new URL('./_telegram-people.ts', import.meta.url).href },
  });
  const pending = new Map<
    number,
    {
      resolve: (f: Measured) => void;
      reject: (e: Error) => void;
      // The bots' thread and the database from the moment the clock starts (every chat has
      // its first question): setting the chats up is not an update.
      loop?: ReturnType<typeof performance.eventLoopUtilization>;
      statements?: number;
      machine?: number;
      postgres?: Map<string, number>;
    }
  >();
  let nextId = 1;
  const ready = new Promise<Extract<Reply, { type: 'ready' }>>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (reply: Reply) => {
      const waiting = reply.type === 'ready' ? undefined : pending.get(reply.id);
      if (reply.type === 'ready') resolve(reply);
      else if (!waiting) return;
      else if (reply.type === 'started') {
        waiting.loop = performance.eventLoopUtilization();
        waiting.statements = statements.count;
        waiting.machine = machineBusyMs();
        waiting.postgres = postgresTicks();
      } else if (reply.type === 'answered') {
        const used = performance.eventLoopUtilization(waiting.loop);
        waiting.resolve({
          ...reply.figures,
          busyMs: used.active,
          machineMs: machineBusyMs() - (waiting.machine ?? 0),
          postgresMs: postgresMsSince(waiting.postgres),
          statements: statements.count - (waiting.statements ?? 0),
        });
      } else waiting.reject(new Error(reply.error));
    });
  });
  const fake = await ready;
  return {
    url: fake.url,
    token: fake.token,
    botInfo: fake.botInfo,
    /** The chats answer n questions through `webhook`; figures when all are done. */
    answer(chats: number[], n: number, firstQuestion: number, webhook: string) {
      const id = nextId++;
      const request: Request = {
        type: 'answer',
        id,
        chats,
        n,
        firstQuestion,
        webhook,
        secret: SECRET,
      };
      return new Promise<Measured>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage(request);
      });
    },
    async close() {
      worker.postMessage({ type: 'close' } satisfies Request);
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

type People = Awaited<ReturnType<typeof startPeople>>;

let nextUpdateId = 1;

// --- Relais ------------------------------------------------------------------------

async function relaisSide(
  relais: Relais,
  people: People,
  n: number,
  firstChat: number,
): Promise<Measured> {
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
  return people.answer(chats, n, 2, `${relais.url}/telegram/webhook`);
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

async function startPluginBot(prisma: PrismaClient, fake: People) {
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
  people: People,
  n: number,
  firstChat: number,
): Promise<Measured> {
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
  return people.answer(chats, n, 2, plugin.url);
}

// --- Run ---------------------------------------------------------------------------

/** SQL statements the database received (PGlite: counted on its protocol input; PostgreSQL:
 * the queries node-postgres sent, which Prisma's adapter uses). */
const statements = {
  count: 0,
  /** With BENCH_SQL=1 (PostgreSQL): how often each statement was sent, printed at the end. */
  byText: process.env.BENCH_SQL ? new Map<string, { count: number; ms: number }>() : undefined,
};

/**
 * Statements a protocol input runs: its Execute ('E') and simple Query ('Q') messages. A
 * message is a type byte and a 4-byte length that counts itself; PGlite's startup message
 * (no type byte) comes first only once, before anything is measured.
 */
function executions(message: Uint8Array): number {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  let count = 0;
  for (let at = 0; at + 5 <= message.byteLength; at += 1 + view.getInt32(at + 1)) {
    const type = message[at];
    if (type === 0x45 || type === 0x51) count++;
  }
  return count;
}

/**
 * The embedded PGlite in memory, or with BENCH_DATABASE_URL (a PostgreSQL server's admin
 * URL) a fresh database on that server, dropped at the end.
 */
async function openBenchDatabase() {
  const admin = process.env.BENCH_DATABASE_URL;
  if (!admin) {
    const pglite = new PGlite();
    const raw = pglite.execProtocolRaw.bind(pglite);
    pglite.execProtocolRaw = (message, options) => {
      statements.count += executions(message);
      return raw(message, options);
    };
    const db = await openDatabase({ pglite });
    return Object.assign(db, { dispose: () => pglite.close() });
  }
  const name = `relais_bench_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await run(`CREATE DATABASE ${name}`);
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements.count++;
    if (statements.byText) {
      const first = args[0] as string | { text?: string };
      const text = (typeof first === 'string' ? first : (first?.text ?? '?'))
        .replace(/\s+/g, ' ')
        .slice(0, 90);
      const seen = statements.byText.get(text) ?? { count: 0, ms: 0 };
      seen.count++;
      statements.byText.set(text, seen);
      const started = performance.now();
      const took = () => {
        seen.ms += performance.now() - started;
      };
      // Through the pool, with a callback; in a transaction, a promise.
      const last = args.at(-1);
      if (typeof last === 'function') {
        args[args.length - 1] = (...r: unknown[]) => {
          took();
          return (last as (...a: unknown[]) => unknown)(...r);
        };
      }
      const result = (query as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) void result.then(took, () => {});
      return result;
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 10 });
  return Object.assign(db, {
    dispose: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  });
}

/** Rounds one after the other, as one set of figures. */
async function inRounds(rounds: number, round: () => Promise<Measured>): Promise<Measured> {
  const all: Measured = {
    updates: 0,
    seconds: 0,
    latencies: [],
    tail: [],
    busyMs: 0,
    machineMs: 0,
    postgresMs: 0,
    statements: 0,
  };
  for (let i = 0; i < rounds; i++) {
    const f = await round();
    all.updates += f.updates;
    all.seconds += f.seconds;
    all.busyMs += f.busyMs;
    all.machineMs += f.machineMs;
    all.postgresMs += f.postgresMs;
    all.statements += f.statements;
    all.latencies.push(...f.latencies);
    all.tail.push(...f.tail);
  }
  return all;
}

/**
 * Figures of a run, with what it cost while the chats answered: the bots' thread (how long
 * its event loop was active) and the database (statements, PGlite only).
 */
interface Measured extends RunFigures {
  busyMs: number;
  /** CPU time the whole machine used (every process: bots, database, fake Bot API). */
  machineMs: number;
  /** CPU time of the PostgreSQL server (a server on this machine; PGlite is in the bots' thread). */
  postgresMs: number;
  statements: number;
}

/** CPU time used so far by each process of a PostgreSQL server on this machine (Linux). */
function postgresTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid));
  } catch {
    return ticks;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12])); // utime + stime
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks;
}

/**
 * Milliseconds of CPU the PostgreSQL server's processes used since `before` (a process
 * that ended meanwhile is not counted: the pool keeps its connections during a run).
 */
function postgresMsSince(before: Map<string, number> | undefined): number {
  let ticks = 0;
  for (const [pid, now] of postgresTicks()) ticks += now - (before?.get(pid) ?? 0);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Busy CPU time of the whole machine so far, all cores (Linux /proc/stat; 0 elsewhere). */
function machineBusyMs(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'latin1').split('\n')[0]?.split(/\s+/).slice(1);
    if (!cpu) return 0;
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    const [user, nice, system, , , irq, softirq, steal] = cpu.map(Number);
    const ticks = [user, nice, system, irq, softirq, steal].reduce((a = 0, b = 0) => a + b, 0);
    return ((ticks ?? 0) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

export async function run(): Promise<void> {
  const fake = await startPeople();
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
  await relais.services.flows.sync([WARM_UP, ...SIZES].map(flowOf), (def) => `bench ${def.id}`);
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
    // A warm-up of both paths, not measured.
    const warmRounds = Math.max(1, Math.round(WARM_UP_UPDATES / (WARM_UP * CHATS)));
    await inRounds(warmRounds, () => relaisSide(relais, fake, WARM_UP, nextChats()));
    await inRounds(warmRounds, () => pluginSide(plugin, fake, WARM_UP, nextChats()));
    for (const n of SIZES) {
      // A short questionnaire is done by several rounds of CHATS new chats, so that each
      // figure rests on about as many updates as the long one's.
      const rounds = Math.max(1, Math.round(UPDATES_PER_SIZE / (n * CHATS)));
      const r = await inRounds(rounds, () => relaisSide(relais, fake, n, nextChats()));
      await sleep(200);
      stateBytes.max = 0;
      const p = await inRounds(rounds, () => pluginSide(plugin, fake, n, nextChats()));
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
        'bot thread ms/update': (m.busyMs / m.updates).toFixed(1),
        'machine CPU ms/update': (m.machineMs / m.updates).toFixed(1),
        'PostgreSQL CPU ms/update':
          db.kind === 'pglite' ? '-' : (m.postgresMs / m.updates).toFixed(1),
        'SQL/update': (m.statements / m.updates).toFixed(1),
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
        'bot thread/update plugin÷Relais': (p.busyMs / p.updates / (r.busyMs / r.updates)).toFixed(
          2,
        ),
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
    `\n${db.kind === 'pglite' ? 'PGlite in memory' : 'PostgreSQL'}; ${CHATS} chats answering at once; latency = update POSTed -> next question at the Bot API; bot thread = the bots' event loop busy (with PGlite, the database too), the fake Bot API and the people being in another thread.`,
  );
  table(rows);
  table(ratios);
  for (const v of verdicts) console.log(v);
  if (statements.byText) {
    console.log('\nStatements sent (both bots, set-up included), most frequent first:');
    console.log('   count  ms each (sent -> answer)');
    for (const [text, { count, ms }] of [...statements.byText]
      .sort((a, b) => b[1].count - a[1].count)
      .slice(0, 25)) {
      console.log(`${String(count).padStart(8)}  ${(ms / count).toFixed(2).padStart(6)}  ${text}`);
    }
  }
}
