// Dispatch benchmark: queued SMS through the real SMS channel and dispatcher to a Brevo
// fake (in its own process, on loopback). 20,000 messages to a provider capped at 200
// messages per second (Relais configured at 200/s too): achieved rate as a fraction of the
// cap (goal >= 95 %); then 100,000 to an uncapped one: messages per second. CPU time per
// message is this process's (Relais, and PGlite when embedded), from process.cpuUsage().
// The messages are rendez-vous reminders (purpose appointment) to many people, two each
// (an invitation and a reminder, two contacts of a week, under the limit of 3), so every
// batch goes through the weekly contact-pressure check as real traffic does. A run ends
// when nothing is left queued (messages a 429 put back included), and fails unless every
// message was sent exactly once.
// Embedded PGlite by default; BENCH_DATABASE_URL=postgresql://... for a real PostgreSQL.
// Sizes: BENCH_CAPPED (20000), BENCH_UNCAPPED (100000), BENCH_CAP (200),
// BENCH_PER_PERSON (messages per person, 2; at most 3, the weekly contact limit).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { smsChannel } from '../src/channels/sms/index.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { prepareSms } from '../src/domain/sms/index.js';
import { createLogger } from '../src/logger.js';
import { Dispatcher } from '../src/messaging/dispatcher.js';
import { sleep } from '../src/messaging/rate-limit.js';

const NOW = new Date('2026-03-10T09:00:00Z'); // a Tuesday, 10:00 in Paris

async function startFake() {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./_fake-brevo.ts', import.meta.url))],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const queue: ((line: string) => void)[] = [];
  lines.on('line', (line) => queue.shift()?.(line));
  const next = () => new Promise<string>((resolve) => queue.push(resolve));
  const hello = JSON.parse(await next()) as { url: string; apiKey: string };
  const say = (cmd: string) => child.stdin.write(`${cmd}\n`);
  return {
    ...hello,
    setCap: (n?: number) => say(`cap ${n ?? 'off'}`),
    reset: () => say('reset'),
    async count() {
      const answer = next();
      say('count');
      return JSON.parse(await answer) as {
        sent: number;
        unique: number;
        rejected: number;
        refused: number;
      };
    },
    close: () => {
      child.stdin.end();
      child.kill();
    },
  };
}

function size(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new Error(`${name}: expected a whole number from 1 to ${max}, got ${raw}`);
  }
  return n;
}

/** The text of a message as enqueue() stores it: transliterated, with its encoding and parts. */
function sms(which: number, n: number) {
  const { text, segments } = prepareSms(
    which === 0
      ? `Vous êtes invité(e) à une réunion d'information le jeudi 12 mars à 14h, Maison des solidarités. Répondez OUI pour confirmer. (${n})`
      : `Rappel : rendez-vous jeudi 12 mars à 14h, Maison des solidarités. (${n})`,
    'transliterate',
  );
  return { body: text, encoding: segments.encoding, parts: segments.parts };
}

/** A distinct French mobile (+33 6 10 00 00 00 onwards) for the i-th person. */
const mobileOf = (i: number) => `+3361${String(i).padStart(7, '0')}`;

export async function run(): Promise<void> {
  const capped = size('BENCH_CAPPED', 20_000);
  const uncapped = size('BENCH_UNCAPPED', 100_000);
  const cap = size('BENCH_CAP', 200);
  // More than the weekly contact limit (3) would defer the rest to next week.
  const perPerson = size('BENCH_PER_PERSON', 2, 3);
  const fake = await startFake();
  const url = process.env.BENCH_DATABASE_URL;
  const db = await openDatabase(url ? { databaseUrl: url, poolSize: 10 } : {});
  await db.migrate();
  const { prisma } = db;
  const logger = createLogger('silent');
  try {
    const rows: string[][] = [];
    // Both workloads are queued first (bulk inserts stall the process), each due at its own
    // simulated time, so one run never sends the other's messages.
    const runs = [
      { label: 'capped', count: capped, rate: cap as number | undefined, start: NOW },
      {
        label: 'uncapped',
        count: uncapped,
        rate: undefined,
        start: new Date(NOW.getTime() + 86_400_000),
      },
    ].map((r) => ({ ...r, slug: `bench-${r.label}-${Date.now()}`, organisationId: '' }));
    let phone = 0;
    for (const r of runs) {
      const { count, start, slug } = r;
      const org = await prisma.organisation.create({
        data: { slug, name: slug, smsProvider: 'brevo' },
      });
      r.organisationId = org.id;
      const people = Math.ceil(count / perPerson);
      const ids: { personId: string; identityId: string }[] = [];
      for (let i = 0; i < people; i += 5000) {
        const chunk = Array.from({ length: Math.min(5000, people - i) }, () => ({
          personId: randomUUID(),
          identityId: randomUUID(),
        }));
        await prisma.person.createMany({
          data: chunk.map((c, j) => ({
            id: c.personId,
            organisationId: org.id,
            displayName: `Bench ${i + j}`,
            roles: ['beneficiary'],
          })),
        });
        await prisma.channelIdentity.createMany({
          data: chunk.map((c) => ({
            id: c.identityId,
            organisationId: org.id,
            personId: c.personId,
            channel: 'sms' as const,
            address: mobileOf(phone++),
            consent: 'granted' as const,
          })),
        });
        ids.push(...chunk);
      }
      for (let i = 0; i < count; i += 5000) {
        await prisma.message.createMany({
          data: Array.from({ length: Math.min(5000, count - i) }, (_, j) => {
            const n = i + j;
            // Message n goes to person n mod people: each gets perPerson, spread out.
            const who = ids[n % people] as { personId: string; identityId: string };
            const which = Math.floor(n / people);
            return {
              organisationId: org.id,
              personId: who.personId,
              identityId: who.identityId,
              direction: 'outbound' as const,
              channel: 'sms' as const,
              purpose: 'appointment' as const,
              status: 'queued' as const,
              ...sms(which, n),
              // One rendez-vous per message: each is a contact of its own.
              contextType: 'appointment',
              contextId: randomUUID(),
              idempotencyKey: `${slug}:${n}`,
              notBefore: start,
              createdAt: start,
            };
          }),
        });
      }
    }
    for (const { label, count, rate, start, organisationId } of runs) {
      const config = loadConfig({
        BREVO_API_KEY: fake.apiKey,
        BREVO_API_URL: fake.url,
        BREVO_RATE_PER_SECOND: String(rate ?? 10_000),
        SMS_WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
        PUBLIC_URL: 'http://127.0.0.1:9',
      });
      fake.reset();
      fake.setCap(rate);
      // Simulated time runs with real time, so a message a 429 put back comes due again.
      const t0 = performance.now();
      const clock = () => new Date(start.getTime() + (performance.now() - t0));
      const channel = smsChannel({
        config,
        prisma,
        sql: db.sql,
        logger,
        clock,
        conversations: undefined as never,
        i18n: undefined as never,
      });
      let queries = 0;
      const counted = process.env.BENCH_COUNT_QUERIES
        ? (prisma.$extends({
            query: {
              $allOperations: ({ args, query }) => {
                queries++;
                return query(args);
              },
            },
          }) as unknown as typeof prisma)
        : prisma;
      const dispatcher = new Dispatcher({
        prisma: counted,
        sql: db.sql,
        clock,
        logger,
        senders: { sms: channel.sender },
        quietHours: false,
      });
      const cpu = process.cpuUsage();
      const started = performance.now();
      const left = () =>
        prisma.message.count({
          where: { organisationId, status: { in: ['queued', 'sending'] } },
        });
      // A turn that finds nothing due is not the end: messages a 429 put back come due
      // again a moment later (the simulated clock runs with real time). Until nothing is
      // left, or nothing has moved for a minute.
      let remaining = count;
      let movedAt = performance.now();
      for (;;) {
        await dispatcher.drain(2);
        const now = await left();
        if (now === 0) break;
        if (now < remaining) {
          remaining = now;
          movedAt = performance.now();
        } else if (performance.now() - movedAt > 60_000) {
          throw new Error(`${label}: ${now} messages still queued or sending after a minute idle`);
        }
        await sleep(20);
      }
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      if (queries) console.log(`${label}: ${queries} Prisma operations`);
      const fakeCount = await fake.count();
      const recorded = await prisma.message.count({ where: { organisationId, status: 'sent' } });
      if (fakeCount.sent !== count || fakeCount.unique !== count || recorded !== count) {
        throw new Error(
          `${label}: ${count} queued, but the provider took ${fakeCount.sent} sends of ${fakeCount.unique} messages and ${recorded} are recorded as sent`,
        );
      }
      const perSecond = fakeCount.sent / seconds;
      const cpuUs = (used.user + used.system) / fakeCount.sent;
      rows.push([
        label,
        String(count),
        String(fakeCount.unique),
        `${seconds.toFixed(1)} s`,
        `${perSecond.toFixed(0)}/s`,
        rate ? `${((perSecond / rate) * 100).toFixed(1)} % of ${rate}/s` : '-',
        `${cpuUs.toFixed(0)} µs`,
        String(fakeCount.rejected),
      ]);
    }
    const head = ['run', 'queued', 'sent once', 'time', 'rate', 'of cap', 'CPU/msg', '429s'];
    console.log(
      `purpose appointment, ${perPerson} per person (${Math.ceil(capped / perPerson)} and ${Math.ceil(uncapped / perPerson)} people): the contact-pressure check runs on every batch`,
    );
    const widths = head.map((h, i) =>
      Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
    );
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
    console.log(
      `database: ${url ? 'PostgreSQL' : 'PGlite (embedded)'}; provider: Brevo fake on loopback (own process)`,
    );
    console.log(line(head));
    for (const r of rows) console.log(line(r));
  } finally {
    fake.close();
    await db.close();
  }
}
