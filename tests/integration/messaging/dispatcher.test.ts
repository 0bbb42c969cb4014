// The dispatcher's rules, with a scripted sender: quiet hours, contact pressure, retries
// and their backoff, permanent failures, "too late", and the per-lane rate limit.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelSender, OutboundMessage, SendResult } from '../../../src/channels/channel.js';
import { defaultCapabilities } from '../../../src/channels/channel.js';
import { createLogger } from '../../../src/logger.js';
import { Dispatcher } from '../../../src/messaging/dispatcher.js';
import { type TestClock, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { queueSms, type SmsFixture, smsOrganisation } from '../../support/sms.js';

let db: TestDatabase;
let clock: TestClock;
let fx: SmsFixture;
let sent: { id: string; at: number }[];
let script: ((m: OutboundMessage) => SendResult) | undefined;

function sender(perSecond?: number): ChannelSender {
  return {
    id: 'sms',
    capabilities: defaultCapabilities.sms,
    lane: () => ({ key: 'sms:test', perSecond }),
    async send(m) {
      const r = script?.(m) ?? { ok: true, providerId: `test:${m.id}` };
      if (r.ok) sent.push({ id: m.id, at: performance.now() });
      return r;
    },
  };
}

function dispatcher(opts: { perSecond?: number; batchSize?: number; quietHours?: false } = {}) {
  return new Dispatcher({
    prisma: db.prisma,
    sql: db.sql,
    clock,
    logger: createLogger('silent'),
    senders: { sms: sender(opts.perSecond) },
    batchSize: opts.batchSize,
    quietHours: opts.quietHours,
  });
}

beforeEach(async () => {
  db = await createTestDatabase();
  fx = await smsOrganisation(db.prisma, { provider: 'log', people: 2 });
  sent = [];
  script = undefined;
});
afterEach(async () => {
  await db.destroy();
});

const messageOf = (id: string) => db.prisma.message.findUniqueOrThrow({ where: { id } });

describe('quiet hours', () => {
  beforeEach(() => {
    // Saturday 14 March 2026, 21:00 in Paris.
    clock = testClock('2026-03-14T20:00:00Z');
  });

  it('holds a campaign message until Monday 08:00, counts the deferral, then sends it', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'campaign', purpose: 'forum', now: clock() });
    const d = dispatcher();
    expect(await d.runOnce()).toMatchObject({ claimed: 1, deferred: 1, sent: 0 });
    const row = await messageOf(id);
    expect(row).toMatchObject({
      status: 'queued',
      deferrals: 1,
      deferredReason: 'quiet_hours',
      attempts: 0,
    });
    expect(row.notBefore.toISOString()).toBe('2026-03-16T07:00:00.000Z');
    clock.set('2026-03-16T07:00:00Z');
    expect(await d.runOnce()).toMatchObject({ sent: 1 });
  });

  it('lets urgent messages and fresh answers go at once; an old answer waits', async () => {
    const urgent = await queueSms(db.prisma, fx, { key: 'urgent', urgent: true, now: clock() });
    const inbound = randomUUID();
    const answer = await queueSms(db.prisma, fx, {
      key: `reply:${inbound}:0`,
      purpose: 'consultation',
      now: clock(),
    });
    const old = await queueSms(db.prisma, fx, {
      key: `reply:${randomUUID()}:0`,
      purpose: 'consultation',
      now: new Date(clock().getTime() - 2 * 3_600_000),
    });
    await dispatcher().runOnce();
    expect((await messageOf(urgent)).status).toBe('sent');
    expect(await messageOf(answer)).toMatchObject({ status: 'sent', inReplyTo: inbound });
    expect(await messageOf(old)).toMatchObject({ status: 'queued', deferredReason: 'quiet_hours' });
  });

  it('fails a reminder as too late when quiet hours outlast its appointment', async () => {
    const id = await queueSms(db.prisma, fx, {
      key: 'late',
      notAfter: new Date('2026-03-15T10:00:00Z'), // Sunday
      now: clock(),
    });
    await dispatcher().runOnce();
    expect(await messageOf(id)).toMatchObject({ status: 'failed', failureKind: 'too_late' });
    expect(sent).toHaveLength(0);
  });
});

describe('contact pressure', () => {
  beforeEach(() => {
    clock = testClock('2026-03-10T09:00:00Z'); // Tuesday 10:00
  });

  it('holds the fourth contact of the week until the oldest leaves it; a rendez-vous still goes', async () => {
    const d = dispatcher();
    const first = clock();
    for (const [i, purpose] of (['consultation', 'forum', 'newsletter'] as const).entries()) {
      await queueSms(db.prisma, fx, { key: `c${i}`, purpose, now: clock(), contextId: `ctx${i}` });
      await d.runOnce();
      clock.advance(86_400_000);
    }
    expect(sent).toHaveLength(3);
    const news = await queueSms(db.prisma, fx, {
      key: 'news',
      purpose: 'newsletter',
      now: clock(),
      contextId: 'n',
    });
    const rdv = await queueSms(db.prisma, fx, {
      key: 'rdv',
      purpose: 'appointment',
      now: clock(),
      contextId: 'r',
    });
    const other = await queueSms(db.prisma, fx, {
      key: 'other',
      purpose: 'newsletter',
      person: 1,
      now: clock(),
    });
    expect(await d.runOnce()).toMatchObject({ sent: 2, deferred: 1 });
    expect((await messageOf(rdv)).status).toBe('sent');
    expect((await messageOf(other)).status).toBe('sent');
    const held = await messageOf(news);
    expect(held).toMatchObject({
      status: 'queued',
      deferredReason: 'contact_pressure',
      deferrals: 1,
    });
    // The rendez-vous was a fourth contact this week: room for the newsletter again once
    // two contacts have left the rolling week (the second, a week after day 1).
    expect(held.notBefore.getTime()).toBe(first.getTime() + 8 * 86_400_000 + 1);
    clock.set(held.notBefore);
    expect(await d.runOnce()).toMatchObject({ sent: 1 });
  });

  it('counts an introduction and its first question as one contact', async () => {
    // Without quiet hours too (the pressure check then reads the organisation itself).
    const d = dispatcher({ quietHours: false });
    for (let i = 0; i < 4; i++) {
      await queueSms(db.prisma, fx, {
        key: `run-${i}`,
        purpose: 'consultation',
        now: clock(),
        contextId: 'run-1',
      });
    }
    expect(await d.runOnce()).toMatchObject({ sent: 4 });
  });
});

describe('failures', () => {
  beforeEach(() => {
    clock = testClock('2026-03-10T09:00:00Z');
  });

  it('retries transient failures with exponential backoff, then gives up', async () => {
    script = () => ({ ok: false, kind: 'transient', reason: 'HTTP 503' });
    const id = await queueSms(db.prisma, fx, { key: 't', now: clock() });
    const d = dispatcher();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      const before = clock().getTime();
      await d.runOnce();
      const row = await messageOf(id);
      if (row.status === 'failed') break;
      delays.push(row.notBefore.getTime() - before);
      clock.set(row.notBefore);
    }
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
    expect(await messageOf(id)).toMatchObject({
      status: 'failed',
      failureKind: 'transient',
      attempts: 6,
    });
  });

  it('does not retry permanent failures', async () => {
    script = () => ({ ok: false, kind: 'permanent', reason: 'invalid number' });
    const id = await queueSms(db.prisma, fx, { key: 'p', now: clock() });
    const d = dispatcher();
    await d.runOnce();
    expect(await messageOf(id)).toMatchObject({
      status: 'failed',
      failureKind: 'permanent',
      attempts: 1,
    });
    clock.advance(86_400_000);
    expect((await d.runOnce()).claimed).toBe(0);
  });

  it('refuses a landline at send time as permanent (the SMS channel)', async () => {
    await db.prisma.channelIdentity.update({
      where: { id: fx.people[0]?.identityId },
      data: { address: '+33549123456' },
    });
    const { smsChannel } = await import('../../../src/channels/sms/index.js');
    const { testConfig } = await import('../../support/relais.js');
    const channel = smsChannel({
      config: testConfig(),
      prisma: db.prisma,
      sql: db.sql,
      clock,
      logger: createLogger('silent'),
      conversations: undefined as never,
      i18n: undefined as never,
    });
    const d = new Dispatcher({
      prisma: db.prisma,
      sql: db.sql,
      clock,
      logger: createLogger('silent'),
      senders: { sms: channel.sender },
    });
    const id = await queueSms(db.prisma, fx, { key: 'landline', now: clock() });
    await d.runOnce();
    expect(await messageOf(id)).toMatchObject({ status: 'failed', failureKind: 'permanent' });
    expect((await messageOf(id)).failureReason).toMatch(/landline/);
  });

  it('on "slow down", waits as asked without counting an attempt', async () => {
    let calls = 0;
    script = () =>
      calls++ === 0
        ? { ok: false, kind: 'rate_limited', reason: '429', retryAfterMs: 2000 }
        : { ok: true, providerId: 'x' };
    const id = await queueSms(db.prisma, fx, { key: 'r', now: clock() });
    const d = dispatcher();
    await d.runOnce();
    const row = await messageOf(id);
    expect(row).toMatchObject({ status: 'queued', attempts: 0 });
    expect(row.notBefore.getTime() - clock().getTime()).toBe(2000);
    clock.advance(2000);
    await d.runOnce();
    expect((await messageOf(id)).status).toBe('sent');
  });
});

describe('rate limit', () => {
  beforeEach(() => {
    clock = testClock('2026-03-10T09:00:00Z');
  });

  it('keeps a lane under its messages per second', async () => {
    const people = await smsOrganisation(db.prisma, { provider: 'log', people: 1, slug: 'rate' });
    for (let i = 0; i < 120; i++) {
      await queueSms(db.prisma, people, { key: `m${i}`, purpose: 'system', now: clock() });
    }
    const started = performance.now();
    const report = await dispatcher({ perSecond: 50, batchSize: 500 }).drain();
    const elapsed = performance.now() - started;
    expect(report.sent).toBe(120);
    // 120 messages at 50/s with a burst of 3: at least ~2.3 s.
    expect(elapsed).toBeGreaterThan(2200);
    // No second holds more than the rate plus the burst.
    for (const s of sent) {
      const inWindow = sent.filter((o) => o.at >= s.at && o.at < s.at + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(53);
    }
  });
});

describe('order per address', () => {
  beforeEach(() => {
    clock = testClock('2026-03-10T09:00:00Z');
  });
  const queueThree = async () => ({
    first: await queueSms(db.prisma, fx, { key: 'first', purpose: 'system', now: clock() }),
    second: await queueSms(db.prisma, fx, { key: 'second', purpose: 'system', now: clock() }),
    other: await queueSms(db.prisma, fx, {
      key: 'other',
      person: 1,
      purpose: 'system',
      now: clock(),
    }),
  });
  const claimedElsewhere = (id: string, data: { failureKind?: string } = {}) =>
    db.prisma.message.update({
      where: { id },
      data: { status: 'sending', claimedBy: 'another-instance', claimedAt: clock(), ...data },
    });

  it('takes two messages to one address in one claim, and sends them in order', async () => {
    const { first, second } = await queueThree();
    expect(await dispatcher().runOnce()).toMatchObject({ claimed: 3, sent: 3 });
    const order = sent.map((s) => s.id);
    expect(order.indexOf(first)).toBeLessThan(order.indexOf(second));
  });

  it('leaves a message while an earlier one to the same address is being sent elsewhere', async () => {
    const { first, second, other } = await queueThree();
    await claimedElsewhere(first);
    const d = dispatcher();
    expect(await d.runOnce()).toMatchObject({ claimed: 1, sent: 1 });
    expect(sent.map((s) => s.id)).toEqual([other]);
    expect(await messageOf(second)).toMatchObject({ status: 'queued', attempts: 0 });
    // Once the earlier one is sent, the next turn takes it.
    await db.prisma.message.update({ where: { id: first }, data: { status: 'sent' } });
    expect(await d.runOnce()).toMatchObject({ claimed: 1, sent: 1 });
    expect(sent.map((s) => s.id)).toEqual([other, second]);
  });

  it('is not held back by an uncertain send, nor by an earlier message due later', async () => {
    const { first, second } = await queueThree();
    await claimedElsewhere(first, { failureKind: 'uncertain' });
    expect(await dispatcher().runOnce()).toMatchObject({ claimed: 2, sent: 2 });
    expect(await messageOf(second)).toMatchObject({ status: 'sent' });

    const later = await queueSms(db.prisma, fx, {
      key: 'tomorrow',
      purpose: 'system',
      now: clock(),
    });
    await db.prisma.message.update({
      where: { id: later },
      data: { notBefore: new Date(clock().getTime() + 86_400_000) },
    });
    const now = await queueSms(db.prisma, fx, { key: 'now', purpose: 'system', now: clock() });
    expect(await dispatcher().runOnce()).toMatchObject({ claimed: 1, sent: 1 });
    expect(await messageOf(now)).toMatchObject({ status: 'sent' });
    expect(await messageOf(later)).toMatchObject({ status: 'queued' });
  });

  // A claim running beside this one holds the earlier row locked and still 'queued': SKIP
  // LOCKED hides it, and the later row must wait all the same. Two sessions: PostgreSQL.
  it.skipIf(!usingPostgres)(
    'leaves a message whose earlier one another claim holds locked',
    async () => {
      const { first, second, other } = await queueThree();
      const beside = new pg.Client({ connectionString: db.url });
      await beside.connect();
      try {
        await beside.query('BEGIN');
        await beside.query('SELECT id FROM "Message" WHERE id = $1 FOR UPDATE', [first]);
        expect(await dispatcher().runOnce()).toMatchObject({ claimed: 1, sent: 1 });
        expect(sent.map((s) => s.id)).toEqual([other]);
        expect(await messageOf(second)).toMatchObject({ status: 'queued', attempts: 0 });
        await beside.query('ROLLBACK');
      } finally {
        await beside.end();
      }
      expect(await dispatcher().runOnce()).toMatchObject({ claimed: 2, sent: 2 });
      expect(sent.map((s) => s.id)).toEqual([other, first, second]);
    },
  );
});
