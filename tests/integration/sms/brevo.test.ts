// The SMS channel through Brevo, against a loopback fake of its API and webhooks.
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Relais, startRelais } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { type TestClock, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { type FakeBrevo, startFakeBrevo } from '../../support/fakes/brevo.js';
import { testConfig } from '../../support/relais.js';
import {
  hookUrl,
  queueSms,
  type SmsFixture,
  smsOrganisation,
  WEBHOOK_SECRET,
  WEEKDAY_MORNING,
} from '../../support/sms.js';

let db: TestDatabase;
let brevo: FakeBrevo;
let relais: Relais;
let clock: TestClock;
let fx: SmsFixture;
const logLines: string[] = [];

beforeAll(async () => {
  brevo = await startFakeBrevo();
});
afterAll(async () => {
  await brevo.close();
});
beforeEach(async () => {
  db = await createTestDatabase();
  clock = testClock(WEEKDAY_MORNING);
  fx = await smsOrganisation(db.prisma, { provider: 'brevo', people: 3, accents: 'keep' });
  const config = testConfig({
    BREVO_API_KEY: brevo.apiKey,
    BREVO_API_URL: brevo.url,
    BREVO_SENDER: 'CD79',
    SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PUBLIC_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'info',
  });
  logLines.length = 0;
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  relais = await startRelais(config, { db, clock, logger: createLogger('info', sink) });
  brevo.sent.length = 0;
  brevo.down = false;
});
afterEach(async () => {
  await relais.stop();
  await db.destroy();
});

const messageOf = (id: string) => db.prisma.message.findUniqueOrThrow({ where: { id } });
const sentFor = (id: string) => brevo.sent.filter((s) => s.tag === id);

describe('Brevo', () => {
  it('sends with our id as tag and a per-message event URL, and records the provider id', async () => {
    const id = await queueSms(db.prisma, fx, {
      key: 'k1',
      text: 'Bonjour, votre rendez-vous est confirmé. A jeudi !',
      now: clock(),
    });
    const report = await relais.services.dispatcher.runOnce();
    expect(report).toMatchObject({ claimed: 1, sent: 1 });
    const [sent] = brevo.sent;
    expect(sent).toMatchObject({
      recipient: '33612345000',
      sender: 'CD79',
      type: 'transactional',
      tag: id,
      content: 'Bonjour, votre rendez-vous est confirmé. A jeudi !',
      unicodeEnabled: false,
    });
    expect(sent?.webUrl).toBe(`http://127.0.0.1:9/sms/brevo/${WEBHOOK_SECRET}/events?ref=${id}`);
    const row = await messageOf(id);
    expect(row).toMatchObject({ status: 'sent', providerId: `brevo:${sent?.messageId}`, parts: 1 });
    expect(row.encoding).toBe('GSM-7');
  });

  it('sends accents outside GSM-7 as unicode when the organisation keeps accents', async () => {
    const id = await queueSms(db.prisma, fx, {
      key: 'u',
      text: 'Une question ? Écrivez-nous, ça aide.',
      now: clock(),
    });
    await relais.services.dispatcher.runOnce();
    expect(brevo.sent[0]?.unicodeEnabled).toBe(true);
    expect(await messageOf(id)).toMatchObject({ encoding: 'UCS-2', parts: 1 });
  });

  it('stores the exact part count: 160 GSM-7 septets are one SMS, extension characters count two', async () => {
    await db.prisma.organisation.update({
      where: { id: fx.organisationId },
      data: { smsAccents: 'transliterate' },
    });
    const cases = [
      { key: 'p155', text: `Rappel : ${'a'.repeat(146)}`, parts: 1 }, // 155 characters
      { key: 'p160', text: 'b'.repeat(160), parts: 1 },
      { key: 'p161', text: 'c'.repeat(161), parts: 2 },
      { key: 'euro80', text: '€'.repeat(80), parts: 1 }, // 160 septets
      { key: 'euro100', text: `${'€'.repeat(100)}`, parts: 2 }, // 200 septets
    ];
    for (const c of cases) {
      // System messages: not held back by the weekly contact limit.
      const id = await queueSms(db.prisma, fx, {
        key: c.key,
        text: c.text,
        purpose: 'system',
        now: clock(),
      });
      await relais.services.dispatcher.runOnce();
      expect((await messageOf(id)).parts, c.key).toBe(c.parts);
      // The fake bills as Brevo does, the same count.
      expect(sentFor(id)[0]?.smsCount, c.key).toBe(c.parts);
    }
  });

  it('applies receipts, keeps them, and never moves a delivered message back', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'r', now: clock() });
    await relais.services.dispatcher.runOnce();
    const sent = brevo.sent[0];
    if (!sent) throw new Error('not sent');
    const url = hookUrl(relais, 'brevo', 'events');
    const t = Date.parse(WEEKDAY_MORNING);
    expect(await brevo.event(sent, 'delivered', `${url}?ref=${id}`, new Date(t + 5000))).toBe(200);
    expect(await messageOf(id)).toMatchObject({ status: 'delivered' });
    // Older events arriving late, and a bounce after delivery: nothing moves.
    expect(await brevo.event(sent, 'sent', `${url}?ref=${id}`, new Date(t + 1000))).toBe(200);
    expect(await brevo.event(sent, 'hard_bounce', `${url}?ref=${id}`, new Date(t + 9000))).toBe(
      200,
    );
    const row = await messageOf(id);
    expect(row.status).toBe('delivered');
    expect(row.deliveredAt?.toISOString()).toBe(new Date(t + 5000).toISOString());
    const receipts = await db.prisma.deliveryReceipt.findMany({ where: { messageId: id } });
    expect(receipts.map((r) => r.status).sort()).toEqual(['delivered', 'failed', 'sent']);
  });

  it('marks a hard bounce as failed, not retried', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'b', now: clock() });
    await relais.services.dispatcher.runOnce();
    const sent = brevo.sent[0];
    if (!sent) throw new Error('not sent');
    await brevo.event(sent, 'hard_bounce', `${hookUrl(relais, 'brevo', 'events')}?ref=${id}`);
    expect(await messageOf(id)).toMatchObject({ status: 'failed', failureKind: 'undelivered' });
    clock.advance(3_600_000);
    expect((await relais.services.dispatcher.runOnce()).claimed).toBe(0);
  });

  it('takes replies: AIDE answers at once, STOP opts out with one confirmation', async () => {
    const url = hookUrl(relais, 'brevo', 'events');
    const from = fx.people[0]?.address as string;
    expect(await brevo.reply(url, from, 'aide')).toBe(200);
    await relais.services.dispatcher.runOnce();
    expect(brevo.sent.at(-1)?.content).toMatch(
      /Pour parler a une personne|Pour parler à une personne/,
    );
    expect(await brevo.reply(url, from, 'Arrêt')).toBe(200);
    await relais.services.dispatcher.runOnce();
    const identity = await db.prisma.channelIdentity.findUniqueOrThrow({
      where: { id: fx.people[0]?.identityId },
    });
    expect(identity.optedOutAt).not.toBeNull();
    expect(brevo.sent.at(-1)?.content).toMatch(/ne recevrez plus/);
    const before = brevo.sent.length;
    // Nothing more goes to an opted-out number.
    const later = await queueSms(db.prisma, fx, { key: 'after-stop', now: clock() });
    await relais.services.dispatcher.runOnce();
    expect(brevo.sent.length).toBe(before);
    expect(await messageOf(later)).toMatchObject({ status: 'failed', failureKind: 'opted_out' });
  });

  it('dates a reply by its ts_event, in seconds as Brevo sends it', async () => {
    const url = hookUrl(relais, 'brevo', 'events');
    const before = Date.now();
    expect(await brevo.reply(url, fx.people[1]?.address as string, 'bonjour')).toBe(200);
    const row = await db.prisma.message.findFirstOrThrow({ where: { direction: 'inbound' } });
    expect(row.createdAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(row.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(row.createdAt.getTime() % 1000).toBe(0);
  });

  it('answers 401 to a wrong secret or a refused address, and logs no body', async () => {
    const body = { to: '33612345000', msg_status: 'replied', reply: 'SECRET-BODY-TEXT' };
    for (const url of [
      hookUrl(relais, 'brevo', 'events', 'wrong-secret-wrong-secret-wrong'),
      `${relais.url}/sms/brevo/${WEBHOOK_SECRET}`,
      hookUrl(relais, 'nobody', 'events'),
    ]) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(401);
    }
    const refused = logLines.filter((l) => l.includes('sms webhook refused'));
    expect(refused.length).toBe(3);
    expect(logLines.join('')).not.toContain('SECRET-BODY-TEXT');
    expect(logLines.join('')).not.toContain('wrong-secret');
    expect(await db.prisma.message.count({ where: { direction: 'inbound' } })).toBe(0);
  });

  it('provider down for a while: everything queued goes once when it is back, expired reminders do not', async () => {
    const t0 = clock();
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push(await queueSms(db.prisma, fx, { key: `d${i}`, person: i, now: t0 }));
    const reminder = await queueSms(db.prisma, fx, {
      key: 'reminder',
      notAfter: new Date(t0.getTime() + 2 * 60_000),
      now: t0,
    });
    brevo.down = true;
    // Down for three minutes: the dispatcher runs every 30 s meanwhile.
    for (let s = 0; s < 6; s++) {
      await relais.services.dispatcher.runOnce();
      clock.advance(30_000);
    }
    expect(brevo.refused).toBeGreaterThan(3);
    brevo.down = false;
    for (let s = 0; s < 20; s++) {
      await relais.services.dispatcher.runOnce();
      clock.advance(30_000);
    }
    for (const id of ids) {
      expect(sentFor(id)).toHaveLength(1);
      expect((await messageOf(id)).status).toBe('sent');
    }
    expect(sentFor(reminder)).toHaveLength(0);
    expect(await messageOf(reminder)).toMatchObject({ status: 'failed', failureKind: 'too_late' });
  });

  it('a send accepted while its answer is lost is found at the provider, not sent twice', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'lost', now: clock() });
    brevo.dropAnswers = 1;
    await relais.services.dispatcher.runOnce();
    expect(sentFor(id)).toHaveLength(1);
    expect(await messageOf(id)).toMatchObject({ status: 'sending', failureKind: 'uncertain' });
    // Six minutes later the stale claim is reconciled through the SMS event log.
    clock.advance(6 * 60_000);
    const report = await relais.services.dispatcher.runOnce();
    expect(report.reconciled).toBe(1);
    const row = await messageOf(id);
    expect(row).toMatchObject({ status: 'sent', providerId: `brevo:${sentFor(id)[0]?.messageId}` });
    clock.advance(3_600_000);
    await relais.services.dispatcher.drain();
    expect(sentFor(id)).toHaveLength(1);
  });

  it('a crash between claim and send leaves the message recoverable: sent once', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'crash', now: clock() });
    // An instance claimed it and died before calling Brevo.
    await db.prisma.message.update({
      where: { id },
      data: { status: 'sending', claimedAt: clock(), claimedBy: 'dead:1', attempts: 1 },
    });
    await relais.services.dispatcher.runOnce();
    expect(sentFor(id)).toHaveLength(0);
    clock.advance(6 * 60_000);
    await relais.services.dispatcher.runOnce(); // reconciled: not at Brevo, queued again
    await relais.services.dispatcher.runOnce();
    expect(sentFor(id)).toHaveLength(1);
    expect((await messageOf(id)).status).toBe('sent');
  });

  it('respects the idempotency key: the same request twice is one message', async () => {
    const a = await queueSms(db.prisma, fx, { key: 'same', now: clock() });
    const b = await queueSms(db.prisma, fx, { key: 'same', now: clock() });
    expect(a).toBe(b);
    await relais.services.dispatcher.drain();
    expect(sentFor(a)).toHaveLength(1);
  });
});
