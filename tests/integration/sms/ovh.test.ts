// The SMS channel through OVHcloud, against a loopback fake that checks request signatures.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import type { SmsChannel } from '../../../src/channels/sms/index.js';
import { ovhProvider } from '../../../src/channels/sms/providers/ovh.js';
import { type TestClock, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { type FakeOvh, startFakeOvh } from '../../support/fakes/ovh.js';
import { startTestRelais } from '../../support/relais.js';
import {
  hookUrl,
  queueSms,
  type SmsFixture,
  smsOrganisation,
  WEBHOOK_SECRET,
  WEEKDAY_MORNING,
} from '../../support/sms.js';

let db: TestDatabase;
let ovh: FakeOvh;
let relais: Relais;
let clock: TestClock;
let fx: SmsFixture;

beforeAll(async () => {
  ovh = await startFakeOvh();
});
afterAll(async () => {
  await ovh.close();
});
beforeEach(async () => {
  db = await createTestDatabase();
  clock = testClock(WEEKDAY_MORNING);
  fx = await smsOrganisation(db.prisma, { provider: 'ovh', people: 3 });
  relais = await startTestRelais(
    db,
    {
      OVH_APPLICATION_KEY: ovh.credentials.applicationKey,
      OVH_APPLICATION_SECRET: ovh.credentials.applicationSecret,
      OVH_CONSUMER_KEY: ovh.credentials.consumerKey,
      OVH_SERVICE_NAME: ovh.credentials.serviceName,
      OVH_ENDPOINT: ovh.url,
      SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PUBLIC_URL: 'http://127.0.0.1:9',
    },
    { clock },
  );
  ovh.jobs.length = 0;
  ovh.down = false;
});
afterEach(async () => {
  await relais.stop();
  await db.destroy();
});

const messageOf = (id: string) => db.prisma.message.findUniqueOrThrow({ where: { id } });
const jobsFor = (id: string) => ovh.jobs.filter((j) => j.tag === id);
const provider = () => {
  const sms = relais.services.channels.find((c) => c.id === 'sms') as SmsChannel;
  return sms.providers.get('ovh') as ReturnType<typeof ovhProvider>;
};

describe('OVHcloud', () => {
  it('sends a signed job with our id as tag, no STOP clause, and records its id', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'o1', now: clock() });
    await relais.services.dispatcher.runOnce();
    expect(ovh.badSignatures).toBe(0);
    const [job] = ovh.jobs;
    expect(job).toMatchObject({
      receivers: ['+33612345000'],
      senderForResponse: true,
      noStopClause: true,
      coding: '7bit',
      tag: id,
    });
    // Transliterated for GSM-7 (the organisation's default policy).
    expect(job?.message).toBe('Rappel : rendez-vous jeudi à 14h à la Maison des solidarités.');
    expect(await messageOf(id)).toMatchObject({ status: 'sent', providerId: `ovh:${job?.id}` });
  });

  it('applies delivery callbacks (dlr=1 delivered, then a late dlr=2 changes nothing)', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'o2', now: clock() });
    await relais.services.dispatcher.runOnce();
    const job = ovh.jobs[0];
    const url = hookUrl(relais, 'ovh', 'receipts');
    expect((await fetch(`${url}?id=${job?.id}&dlr=1`)).status).toBe(200);
    expect(await messageOf(id)).toMatchObject({ status: 'delivered' });
    expect((await fetch(`${url}?id=${job?.id}&dlr=2`)).status).toBe(200);
    expect(await messageOf(id)).toMatchObject({ status: 'delivered' });
    expect((await fetch(`${url}?id=${job?.id}&dlr=8`)).status).toBe(200);
    expect(await messageOf(id)).toMatchObject({ status: 'delivered' });
  });

  it('fetches replies, answers them, and deletes them once handled', async () => {
    const from = fx.people[1]?.address as string;
    ovh.addIncoming(from, 'STOP SMS');
    ovh.addIncoming('+33699999999', 'bonjour'); // a stranger: kept nowhere, deleted
    expect(await provider().pollIncoming()).toBe(2);
    expect(ovh.incoming()).toEqual([]);
    const identity = await db.prisma.channelIdentity.findUniqueOrThrow({
      where: { id: fx.people[1]?.identityId },
    });
    expect(identity.optedOutAt).not.toBeNull();
    await relais.services.dispatcher.runOnce();
    expect(ovh.jobs.at(-1)?.receivers).toEqual([from]);
    expect(ovh.jobs.at(-1)?.message).toMatch(/ne recevrez plus/);
    expect(await db.prisma.message.count({ where: { direction: 'inbound' } })).toBe(1);
  });

  it('recognises a reply fetched twice (its delete failed): one inbound, one confirmation', async () => {
    ovh.failDeletes = 0;
    const from = fx.people[2]?.address as string;
    ovh.addIncoming(from, 'STOP');
    ovh.failDeletes = 1;
    await provider().pollIncoming();
    expect(ovh.incoming()).toHaveLength(1); // still there at OVH
    await relais.services.dispatcher.runOnce();
    await provider().pollIncoming();
    expect(ovh.incoming()).toEqual([]);
    await relais.services.dispatcher.drain();
    expect(await db.prisma.message.count({ where: { direction: 'inbound' } })).toBe(1);
    const confirmations = ovh.jobs.filter(
      (j) => j.receivers[0] === from && /ne recevrez plus/.test(j.message),
    );
    expect(confirmations).toHaveLength(1);
  });

  it('is refused by OVH with a wrong application secret, and keeps the message for later', async () => {
    const before = ovh.badSignatures;
    const wrong = ovhProvider({
      kind: 'ovh',
      name: 'ovh',
      ...ovh.credentials,
      applicationSecret: 'not-the-application-secret',
      endpoint: ovh.url,
      ratePerSecond: 10,
    });
    const result = await wrong.send({
      messageId: 'x',
      to: '+33612345000',
      text: 'test',
      encoding: 'GSM-7',
      parts: 1,
    });
    expect(result).toMatchObject({ ok: false, kind: 'transient' });
    expect(ovh.badSignatures).toBe(before + 1);
    expect(ovh.jobs).toHaveLength(0);
  });

  it('answers 401 to a callback without the secret', async () => {
    const res = await fetch(
      `${hookUrl(relais, 'ovh', 'receipts', 'not-the-secret-not-the-secret')}?id=1&dlr=1`,
    );
    expect(res.status).toBe(401);
    expect(await db.prisma.deliveryReceipt.count()).toBe(0);
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
    ovh.down = true;
    for (let s = 0; s < 6; s++) {
      await relais.services.dispatcher.runOnce();
      clock.advance(30_000);
    }
    expect(ovh.jobs).toHaveLength(0);
    ovh.down = false;
    for (let s = 0; s < 20; s++) {
      await relais.services.dispatcher.runOnce();
      clock.advance(30_000);
    }
    for (const id of ids) expect(jobsFor(id)).toHaveLength(1);
    expect(jobsFor(reminder)).toHaveLength(0);
    expect(await messageOf(reminder)).toMatchObject({ status: 'failed', failureKind: 'too_late' });
  });

  it('after a crash that lost the record of a send, finds the job by tag and does not send again', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'crash', now: clock() });
    await relais.services.dispatcher.runOnce();
    const job = jobsFor(id)[0];
    // As if the instance died right after OVH answered: the row still says 'sending'.
    await db.prisma.message.update({
      where: { id },
      data: {
        status: 'sending',
        providerId: null,
        sentAt: null,
        claimedAt: clock(),
        claimedBy: 'dead:1',
      },
    });
    clock.advance(6 * 60_000);
    expect((await relais.services.dispatcher.runOnce()).reconciled).toBe(1);
    expect(await messageOf(id)).toMatchObject({ status: 'sent', providerId: `ovh:${job?.id}` });
    await relais.services.dispatcher.drain();
    expect(jobsFor(id)).toHaveLength(1);
  });
});
