// The SMS channel over SMPP 3.4, against a fake SMSC made with the smpp package's server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import type { SmsChannel } from '../../../src/channels/sms/index.js';
import { smppProvider, smppReference } from '../../../src/channels/sms/providers/smpp.js';
import { type TestClock, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { type FakeSmsc, startFakeSmsc } from '../../support/fakes/smsc.js';
import { startTestRelais } from '../../support/relais.js';
import {
  eventually,
  queueSms,
  type SmsFixture,
  smsOrganisation,
  WEEKDAY_MORNING,
} from '../../support/sms.js';

let db: TestDatabase;
let smsc: FakeSmsc;
let relais: Relais;
let clock: TestClock;
let fx: SmsFixture;

const provider = () => {
  const sms = relais.services.channels.find((c) => c.id === 'sms') as SmsChannel;
  return sms.providers.get('smpp') as ReturnType<typeof smppProvider>;
};

beforeEach(async () => {
  smsc = await startFakeSmsc();
  db = await createTestDatabase();
  clock = testClock(WEEKDAY_MORNING);
  fx = await smsOrganisation(db.prisma, { provider: 'smpp', people: 3 });
  relais = await startTestRelais(
    db,
    {
      SMPP_URL: smsc.url,
      SMPP_SYSTEM_ID: smsc.systemId,
      SMPP_PASSWORD: smsc.password,
      SMPP_SOURCE_ADDR: 'CD79',
    },
    { clock },
  );
  await provider().waitBound();
});
afterEach(async () => {
  await relais.stop();
  await smsc.close();
  await db.destroy();
});

const messageOf = (id: string) => db.prisma.message.findUniqueOrThrow({ where: { id } });
const submitsFor = (id: string) =>
  smsc.submits.filter((s) => s.userMessageReference === smppReference(id));

describe('SMPP', () => {
  it('binds as transceiver and submits with a receipt request and our reference', async () => {
    const id = await queueSms(db.prisma, fx, { key: 's1', now: clock() });
    await relais.services.dispatcher.runOnce();
    expect(smsc.submits).toHaveLength(1);
    expect(smsc.submits[0]).toMatchObject({
      destination: '33612345000',
      source: 'CD79',
      dataCoding: 0,
      userMessageReference: smppReference(id),
      text: 'Rappel : rendez-vous jeudi à 14h à la Maison des solidarités.',
    });
    expect(await messageOf(id)).toMatchObject({ status: 'sent', providerId: 'smpp:smsc-1' });
  });

  it('sends a long message as concatenated parts (UDH), UCS-2 when accents are kept', async () => {
    await db.prisma.organisation.update({
      where: { id: fx.organisationId },
      data: { smsAccents: 'keep' },
    });
    const text = `${'Votre avis compte. '.repeat(10)}ça ira ?`;
    const id = await queueSms(db.prisma, fx, { key: 'long', text, now: clock() });
    await relais.services.dispatcher.runOnce();
    const parts = submitsFor(id);
    expect(parts).toHaveLength(3);
    const ref = parts[0]?.udh?.ref;
    parts.forEach((p, i) => {
      expect(p).toMatchObject({
        dataCoding: 8,
        esmClass: 0x40,
        payload: false,
        udh: { ref, total: 3, seq: i + 1 },
      });
      expect(p.text.length).toBeLessThanOrEqual(67);
    });
    expect(smsc.messages().find((m) => m.parts[0] === parts[0])?.text).toBe(text);
    expect(await messageOf(id)).toMatchObject({
      encoding: 'UCS-2',
      parts: 3,
      status: 'sent',
      providerId: `smpp:${parts[0]?.messageId}`,
    });
    // Each part has its receipt; all of them are kept with the message.
    for (const p of parts) await smsc.receipt(p);
    await eventually(
      async () => (await db.prisma.deliveryReceipt.count({ where: { messageId: id } })) === 3,
    );
    expect((await messageOf(id)).status).toBe('delivered');
    // Each long message has its own reference.
    const next = await queueSms(db.prisma, fx, { key: 'long2', text, now: clock() });
    await relais.services.dispatcher.runOnce();
    expect(submitsFor(next)[0]?.udh?.ref).not.toBe(ref);
  });

  it('sends a GSM-7 message of 161 characters in two parts of 153 and 8', async () => {
    const text = 'Rendez-vous confirme. '.repeat(8).slice(0, 161);
    expect(text).toHaveLength(161);
    const id = await queueSms(db.prisma, fx, { key: 'gsm-long', text, now: clock() });
    await relais.services.dispatcher.runOnce();
    expect(submitsFor(id).map((p) => [p.text.length, p.dataCoding, p.esmClass])).toEqual([
      [153, 0, 0x40],
      [8, 0, 0x40],
    ]);
    expect(
      submitsFor(id)
        .map((p) => p.text)
        .join(''),
    ).toBe(text);
    expect(await messageOf(id)).toMatchObject({ encoding: 'GSM-7', parts: 2 });
  });

  it('fails at once when the SMSC refuses the message itself (invalid destination)', async () => {
    smsc.refuse(0x0b, 1);
    const id = await queueSms(db.prisma, fx, { key: 'bad-dest', now: clock() });
    await relais.services.dispatcher.runOnce();
    expect(await messageOf(id)).toMatchObject({ status: 'failed', failureKind: 'permanent' });
    expect((await messageOf(id)).failureReason).toMatch(/ESME_RINVDSTADR/);
    clock.advance(3_600_000);
    await relais.services.dispatcher.drain();
    expect(submitsFor(id)).toHaveLength(0);
  });

  it('retries what may pass later (submit failed), and sends it once it does', async () => {
    smsc.refuse(0x45, 1);
    const id = await queueSms(db.prisma, fx, { key: 'retry', now: clock() });
    await relais.services.dispatcher.runOnce();
    expect(await messageOf(id)).toMatchObject({ status: 'queued', failureKind: 'transient' });
    clock.advance(31_000);
    await relais.services.dispatcher.runOnce();
    expect(submitsFor(id)).toHaveLength(1);
    expect((await messageOf(id)).status).toBe('sent');
  });

  it('takes delivery receipts as deliver_sm; a late failure does not undo delivered', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'r', now: clock() });
    await relais.services.dispatcher.runOnce();
    const submit = smsc.submits[0];
    if (!submit) throw new Error('no submit');
    await smsc.receipt(submit, 'DELIVRD');
    await eventually(async () => (await messageOf(id)).status === 'delivered');
    await smsc.receipt(submit, 'UNDELIV');
    expect((await messageOf(id)).status).toBe('delivered');
    const receipts = await db.prisma.deliveryReceipt.findMany({ where: { messageId: id } });
    expect(receipts.map((r) => r.detail).sort()).toEqual(['DELIVRD err:000', 'UNDELIV err:000']);
  });

  it('takes replies (MO) as deliver_sm: STOP opts out and confirms once', async () => {
    const from = fx.people[2]?.address as string;
    await smsc.mo(from, 'stop');
    const identity = await db.prisma.channelIdentity.findUniqueOrThrow({
      where: { id: fx.people[2]?.identityId },
    });
    expect(identity.optedOutAt).not.toBeNull();
    await relais.services.dispatcher.runOnce();
    expect(smsc.submits.at(-1)).toMatchObject({ destination: from.slice(1) });
    expect(smsc.submits.at(-1)?.text).toMatch(/ne recevrez plus/);
  });

  it('applies the same answer given to two questions in a row, and a redelivery once', async () => {
    const person = fx.people[1] as SmsFixture['people'][number];
    const inbound = () =>
      db.prisma.message.findMany({
        where: { direction: 'inbound', identityId: person.identityId },
        orderBy: { createdAt: 'asc' },
      });
    await queueSms(db.prisma, fx, { key: 'q1', person: 1, now: clock() });
    await relais.services.dispatcher.runOnce();
    await smsc.mo(person.address, '1');
    // Ten seconds later the next question goes, and the answer is "1" again.
    clock.advance(10_000);
    await queueSms(db.prisma, fx, { key: 'q2', person: 1, text: 'Question 2 ?', now: clock() });
    await relais.services.dispatcher.runOnce();
    clock.advance(10_000);
    await smsc.mo(person.address, '1');
    expect((await inbound()).map((m) => m.body)).toEqual(['1', '1']);

    // Our answer to the "1" after the third question is lost with the link: the SMSC
    // delivers it again.
    await queueSms(db.prisma, fx, { key: 'q3', person: 1, text: 'Question 3 ?', now: clock() });
    await relais.services.dispatcher.runOnce();
    clock.advance(10_000);
    await smsc.moLostAck(person.address, '1');
    await eventually(async () => (await inbound()).length === 3);
    await eventually(async () => !provider().isBound());
    await provider().waitBound(5000);
    await smsc.redeliver();
    expect(await inbound()).toHaveLength(3);
  });

  it('puts a reply sent in two parts back together: one answer, the whole text', async () => {
    const person = fx.people[1] as SmsFixture['people'][number];
    const text = 'Je ne pourrai pas venir jeudi, je travaille le matin. Est-ce possible vendredi ?';
    for (const [i, split] of (['udh8', 'udh16', 'sar'] as const).entries()) {
      await smsc.moParts(person.address, `${text} ${i}`, { split, ref: 300 + i });
    }
    const rows = await db.prisma.message.findMany({
      where: { direction: 'inbound', identityId: person.identityId },
      orderBy: { createdAt: 'asc' },
    });
    expect(rows.map((r) => r.body).sort()).toEqual([`${text} 0`, `${text} 1`, `${text} 2`]);
    expect(provider().partialReplies()).toBe(0);
  });

  it('is refused with wrong credentials: no link, sends wait as transient', async () => {
    const wrong = smppProvider({
      kind: 'smpp',
      name: 'smpp',
      url: smsc.url,
      systemId: smsc.systemId,
      password: 'wrong',
      ratePerSecond: 10,
    });
    await wrong.start({ onReceipt: async () => {}, onInbound: async () => {} });
    await expect(wrong.waitBound(800)).rejects.toThrow(/not bound/);
    const result = await wrong.send({
      messageId: 'x',
      to: '+33612345000',
      text: 't',
      encoding: 'GSM-7',
      parts: 1,
    });
    expect(result).toMatchObject({ ok: false, kind: 'transient', reason: 'SMSC link down' });
    await wrong.stop();
  });

  it('reconnects after a dropped link', async () => {
    const binds = smsc.binds;
    smsc.dropLinks();
    await eventually(async () => !provider().isBound());
    await provider().waitBound(5000);
    expect(smsc.binds).toBe(binds + 1);
    const id = await queueSms(db.prisma, fx, { key: 'after-drop', now: clock() });
    await relais.services.dispatcher.runOnce();
    expect(await messageOf(id)).toMatchObject({ status: 'sent' });
  });

  it('SMSC down for a while: everything queued goes once when it is back, expired reminders do not', async () => {
    const t0 = clock();
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push(await queueSms(db.prisma, fx, { key: `d${i}`, person: i, now: t0 }));
    const reminder = await queueSms(db.prisma, fx, {
      key: 'reminder',
      notAfter: new Date(t0.getTime() + 2 * 60_000),
      now: t0,
    });
    smsc.down = true;
    smsc.dropLinks();
    await eventually(async () => !provider().isBound());
    for (let s = 0; s < 6; s++) {
      await relais.services.dispatcher.runOnce();
      clock.advance(30_000);
    }
    expect(smsc.submits).toHaveLength(0);
    smsc.down = false;
    await provider().waitBound(10_000);
    for (let s = 0; s < 20; s++) {
      await relais.services.dispatcher.runOnce();
      clock.advance(30_000);
    }
    for (const id of ids) expect(submitsFor(id)).toHaveLength(1);
    expect(submitsFor(reminder)).toHaveLength(0);
    expect(await messageOf(reminder)).toMatchObject({ status: 'failed', failureKind: 'too_late' });
  });

  it('a submit whose answer was lost is matched by its receipt, and never submitted again', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'lost', now: clock() });
    smsc.dropAnswers = 1;
    await relais.services.dispatcher.runOnce();
    expect(submitsFor(id)).toHaveLength(1);
    expect(await messageOf(id)).toMatchObject({ status: 'sending', failureKind: 'uncertain' });
    await provider().waitBound(5000);
    // The SMSC did take it: its receipt echoes our user_message_reference.
    await smsc.receipt(submitsFor(id)[0] as NonNullable<ReturnType<typeof submitsFor>[0]>);
    await eventually(async () => (await messageOf(id)).status === 'delivered');
    expect((await messageOf(id)).providerId).toBe(`smpp:${submitsFor(id)[0]?.messageId}`);
    clock.advance(60 * 60_000);
    await relais.services.dispatcher.drain();
    expect(submitsFor(id)).toHaveLength(1);
  });

  it('a stale submit with no evidence waits for receipts, then is sent again', async () => {
    const id = await queueSms(db.prisma, fx, { key: 'unknown', now: clock() });
    await db.prisma.message.update({
      where: { id },
      data: { status: 'sending', claimedAt: clock(), claimedBy: 'dead:1', attempts: 1 },
    });
    clock.advance(6 * 60_000);
    await relais.services.dispatcher.runOnce();
    expect((await messageOf(id)).status).toBe('sending');
    clock.advance(31 * 60_000);
    await relais.services.dispatcher.runOnce();
    await relais.services.dispatcher.runOnce();
    expect(submitsFor(id)).toHaveLength(1);
    expect((await messageOf(id)).status).toBe('sent');
  });
});
