// Two dispatcher processes on one real PostgreSQL send 5,000 queued messages: each exactly
// once. PGlite cannot show this (one session for every client: SKIP LOCKED serialises
// instead of skipping), so the test runs only with TEST_DATABASE_URL; CI runs that pass.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type FakeBrevo, startFakeBrevo } from '../../support/fakes/brevo.js';
import { smsOrganisation, WEEKDAY_MORNING } from '../../support/sms.js';

const child = fileURLToPath(new URL('../../support/dispatch-child.ts', import.meta.url));
const COUNT = 5000;

// Real PostgreSQL only: see the header.
describe.skipIf(!usingPostgres)('two dispatcher processes on PostgreSQL', () => {
  let db: TestDatabase;
  let brevo: FakeBrevo;

  beforeAll(async () => {
    db = await createTestDatabase();
    brevo = await startFakeBrevo();
  });
  afterAll(async () => {
    await brevo?.close();
    await db?.destroy();
  });

  it('send 5,000 queued messages, each exactly once', async () => {
    const fx = await smsOrganisation(db.prisma, { provider: 'brevo', people: 1 });
    const person = fx.people[0] as (typeof fx.people)[0];
    const processes: ChildProcess[] = [];
    const reports: Promise<{ instance: string; claimed: number; sent: number }>[] = [];
    const ready: Promise<void>[] = [];
    for (const instance of ['a', 'b']) {
      const p = spawn(process.execPath, ['--import', 'tsx', child], {
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          BREVO_API_URL: brevo.url,
          BREVO_API_KEY: brevo.apiKey,
          NOW: WEEKDAY_MORNING,
          INSTANCE_ID: instance,
          TIMEOUT_MS: '90000',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      processes.push(p);
      const lines = createInterface({ input: p.stdout as NodeJS.ReadableStream });
      let onReady: () => void = () => {};
      ready.push(new Promise((resolve) => (onReady = resolve)));
      reports.push(
        new Promise((resolve, reject) => {
          lines.on('line', (line) => {
            if (line === 'ready') onReady();
            else if (line.startsWith('{')) resolve(JSON.parse(line));
          });
          p.on('exit', (code) =>
            code ? reject(new Error(`child ${instance} exited ${code}`)) : undefined,
          );
        }),
      );
    }
    await Promise.all(ready);
    // One insert: both processes find the whole queue at once.
    const now = new Date(WEEKDAY_MORNING);
    await db.prisma.message.createMany({
      data: Array.from({ length: COUNT }, (_, i) => ({
        organisationId: fx.organisationId,
        personId: person.personId,
        identityId: person.identityId,
        direction: 'outbound' as const,
        channel: 'sms' as const,
        purpose: 'system' as const,
        status: 'queued' as const,
        body: `Message ${i}`,
        idempotencyKey: `exactly-once:${i}`,
        notBefore: now,
        createdAt: now,
      })),
    });
    const done = await Promise.all(reports);
    for (const p of processes) if (p.exitCode === null) await new Promise((r) => p.on('exit', r));

    expect(brevo.sent).toHaveLength(COUNT);
    expect(new Set(brevo.sent.map((s) => s.tag)).size).toBe(COUNT);
    expect(done.reduce((n, r) => n + r.sent, 0)).toBe(COUNT);
    // Both took part.
    for (const r of done) expect(r.sent).toBeGreaterThan(0);
    const rows = await db.prisma.message.groupBy({ by: ['status'], _count: true });
    expect(rows).toEqual([{ status: 'sent', _count: COUNT }]);
  }, 180_000);
});
