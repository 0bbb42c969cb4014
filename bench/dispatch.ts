// Dispatch benchmark: queued SMS through the real SMS channel and dispatcher to a Brevo
// fake (in its own process, on loopback). 20,000 messages to a provider capped at 200
// messages per second (Relais configured at 200/s too): achieved rate as a fraction of the
// cap (goal >= 95 %); then 100,000 to an uncapped one: messages per second. CPU time per
// message is this process's (Relais, and PGlite when embedded), from process.cpuUsage().
// Embedded PGlite by default; BENCH_DATABASE_URL=postgresql://... for a real PostgreSQL.
// Sizes: BENCH_CAPPED (20000), BENCH_UNCAPPED (100000), BENCH_CAP (200).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { smsChannel } from '../src/channels/sms/index.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { Dispatcher } from '../src/messaging/dispatcher.js';

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

export async function run(): Promise<void> {
  const capped = Number(process.env.BENCH_CAPPED ?? 20_000);
  const uncapped = Number(process.env.BENCH_UNCAPPED ?? 100_000);
  const cap = Number(process.env.BENCH_CAP ?? 200);
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
    ].map((r) => ({ ...r, slug: `bench-${r.label}-${Date.now()}` }));
    for (const { count, start, slug } of runs) {
      const org = await prisma.organisation.create({
        data: { slug, name: slug, smsProvider: 'brevo' },
      });
      const person = await prisma.person.create({
        data: { organisationId: org.id, displayName: 'Bench', roles: ['beneficiary'] },
      });
      const identity = await prisma.channelIdentity.create({
        data: {
          organisationId: org.id,
          personId: person.id,
          channel: 'sms',
          address: '+33612345678',
          consent: 'granted',
        },
      });
      for (let i = 0; i < count; i += 5000) {
        await prisma.message.createMany({
          data: Array.from({ length: Math.min(5000, count - i) }, (_, j) => ({
            organisationId: org.id,
            personId: person.id,
            identityId: identity.id,
            direction: 'outbound' as const,
            channel: 'sms' as const,
            purpose: 'system' as const,
            status: 'queued' as const,
            body: `Rappel : rendez-vous jeudi 12 mars à 14h, Maison des solidarités. Message ${i + j}`,
            idempotencyKey: `${slug}:${i + j}`,
            notBefore: start,
            createdAt: start,
          })),
        });
      }
    }
    for (const { label, count, rate, start } of runs) {
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
        clock,
        logger,
        senders: { sms: channel.sender },
        quietHours: false,
      });
      const cpu = process.cpuUsage();
      const started = performance.now();
      let report = await dispatcher.drain(2);
      // Messages a 429 sent back to the queue come due a second later (simulated clock).
      while (report.sent < count) {
        const more = await dispatcher.drain(2);
        report = { ...report, sent: report.sent + more.sent };
        if (!more.claimed) break;
      }
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      if (queries) console.log(`${label}: ${queries} Prisma operations`);
      const fakeCount = await fake.count();
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
