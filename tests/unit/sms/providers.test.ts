// Provider parsing without a network: numbers as providers report them, Brevo events,
// OVH delivery reports and signatures, SMPP receipts and replies.
import { createHash } from 'node:crypto';
import type { PDU } from 'smpp';
import { describe, expect, it } from 'vitest';
import { brevoProvider } from '../../../src/channels/sms/providers/brevo.js';
import { ovhProvider, ovhSignature } from '../../../src/channels/sms/providers/ovh.js';
import { parseSmppReceipt } from '../../../src/channels/sms/providers/smpp.js';
import { readSmppMo } from '../../../src/channels/sms/providers/smpp-inbound.js';
import { toE164 } from '../../../src/channels/sms/providers/types.js';

const pdu = (fields: Record<string, unknown>) => fields as unknown as PDU;

describe('toE164', () => {
  it('reads international and national forms', () => {
    expect(toE164('33612345678')).toBe('+33612345678');
    expect(toE164('+33612345678')).toBe('+33612345678');
    expect(toE164('0033612345678')).toBe('+33612345678');
    expect(toE164('0612345678')).toBe('+33612345678');
    expect(toE164('0692123456')).toBe('+262692123456');
  });
});

describe('Brevo events', () => {
  const brevo = brevoProvider({
    kind: 'brevo',
    name: 'brevo',
    apiKey: 'k'.repeat(20),
    apiUrl: 'http://127.0.0.1:1/v3',
    sender: 'Relais',
    ratePerSecond: 1,
  });
  it('maps statuses, keeps our reference, and ignores what it does not know', () => {
    const receipts = brevo.parseReceipts?.({
      hook: 'events',
      method: 'POST',
      query: { ref: 'our-id' },
      body: [
        { messageId: 42, to: '33612345678', msg_status: 'delivered', ts_event: 1773133200 },
        { messageId: 42, to: '33612345678', msg_status: 'soft_bounce', ts_event: 1773133100 },
        { messageId: 42, to: '33612345678', msg_status: 'clicked' },
      ],
    });
    expect(receipts).toEqual([
      {
        providerId: '42',
        reference: 'our-id',
        address: '+33612345678',
        status: 'delivered',
        detail: 'delivered',
        occurredAt: new Date(1773133200_000),
      },
      expect.objectContaining({ status: 'failed', detail: 'soft_bounce' }),
    ]);
  });
  it('takes a reply, and an unsubscribe as STOP', () => {
    const inbound = brevo.parseInbound?.({
      hook: 'events',
      method: 'POST',
      query: {},
      body: [
        { id: 7, to: '33612345678', msg_status: 'replied', reply: '2', ts_event: 1773133200 },
        { id: 8, to: '33612345678', msg_status: 'unsubscribe', ts_event: 1773133300 },
      ],
    });
    expect(inbound?.map((m) => [m.from, m.text])).toEqual([
      ['+33612345678', '2'],
      ['+33612345678', 'STOP'],
    ]);
    expect(new Set(inbound?.map((m) => m.providerMessageId)).size).toBe(2);
  });
});

describe('Brevo send', () => {
  it("keeps our exact part count, not Brevo's smsCount", async () => {
    const brevo = brevoProvider(
      {
        kind: 'brevo',
        name: 'brevo',
        apiKey: 'k'.repeat(20),
        apiUrl: 'http://127.0.0.1:1/v3',
        sender: 'Relais',
        ratePerSecond: 1,
      },
      {
        fetch: async () =>
          new Response(JSON.stringify({ messageId: 5, smsCount: 2 }), { status: 201 }),
      },
    );
    const result = await brevo.send({
      messageId: 'm',
      to: '+33612345678',
      text: 'a'.repeat(155),
      encoding: 'GSM-7',
      parts: 1,
    });
    expect(result).toEqual({ ok: true, providerId: '5', parts: 1 });
  });
});

describe('OVHcloud', () => {
  it('signs as documented: $1$ + sha1(secret+consumer+method+url+body+timestamp)', () => {
    const url = 'https://eu.api.ovh.com/1.0/sms/sms-x/jobs';
    const body = '{"message":"test"}';
    const expected = createHash('sha1')
      .update(`AS+CK+POST+${url}+${body}+1366560945`)
      .digest('hex');
    expect(ovhSignature('AS', 'CK', 'POST', url, body, 1366560945)).toBe(`$1$${expected}`);
  });
  it('maps delivery reports: 1 delivered, 2 and 16 failed, 4 and 8 on their way', () => {
    const ovh = ovhProvider({
      kind: 'ovh',
      name: 'ovh',
      applicationKey: 'a',
      applicationSecret: 'b',
      consumerKey: 'c',
      serviceName: 'sms-x',
      endpoint: 'http://127.0.0.1:1/1.0',
      ratePerSecond: 1,
    });
    const status = (dlr: string) =>
      ovh.parseReceipts?.({
        hook: 'receipts',
        method: 'GET',
        query: { id: '9', dlr },
        body: undefined,
      })[0]?.status;
    expect(['1', '2', '16', '4', '8', '99'].map(status)).toEqual([
      'delivered',
      'failed',
      'failed',
      'sent',
      'sent',
      undefined,
    ]);
  });
});

describe('SMPP deliver_sm', () => {
  it('reads a receipt from its text, with the reference echoed', () => {
    const r = parseSmppReceipt(
      pdu({
        esm_class: 4,
        source_addr: '33612345678',
        short_message: {
          message:
            'id:abc123 sub:001 dlvrd:001 submit date:2603100900 done date:2603100901 stat:DELIVRD err:000 text:Rappel',
        },
        user_message_reference: 4242,
      }),
    );
    expect(r).toMatchObject({
      providerId: 'abc123',
      reference: '4242',
      address: '+33612345678',
      status: 'delivered',
    });
    expect(
      parseSmppReceipt(pdu({ esm_class: 4, short_message: 'id:x stat:UNDELIV err:001' }))?.status,
    ).toBe('failed');
    // The receipted_message_id and message_state TLVs, without text.
    expect(
      parseSmppReceipt(
        pdu({ esm_class: 4, receipted_message_id: 'z9', message_state: 2, short_message: '' }),
      ),
    ).toMatchObject({ providerId: 'z9', status: 'delivered' });
  });
  it('reads a reply, and tells it from a receipt', () => {
    const mo = pdu({
      esm_class: 0,
      source_addr: '0612345678',
      destination_addr: '38000',
      short_message: { message: 'ARRÊT' },
    });
    expect(parseSmppReceipt(mo)).toBeUndefined();
    expect(readSmppMo(mo)).toEqual({ from: '+33612345678', to: '38000', text: 'ARRÊT' });
    expect(
      readSmppMo(pdu({ esm_class: 4, source_addr: '1', short_message: 'id:1 stat:DELIVRD' })),
    ).toBeUndefined();
  });
  it('reads the SMSC id and the handset reference of a reply when they are given', () => {
    expect(
      readSmppMo(
        pdu({
          esm_class: 0,
          source_addr: '33612345678',
          short_message: '1',
          receipted_message_id: 'mo-77',
          user_message_reference: 12,
        }),
      ),
    ).toMatchObject({ smscId: 'mo-77', reference: 12 });
  });
  it('reads the part a long reply comes in: UDH with 8- or 16-bit reference, or SAR TLVs', () => {
    const udh8 = [Buffer.from([0x00, 0x03, 0x2a, 2, 1])];
    const udh16 = [Buffer.from([0x08, 0x04, 0x01, 0x02, 3, 2])];
    const base = { source_addr: '33612345678', destination_addr: '38000' };
    expect(
      readSmppMo(pdu({ ...base, esm_class: 0x40, short_message: { udh: udh8, message: 'a' } }))
        ?.part,
    ).toEqual({ ref: 'u8:42', total: 2, seq: 1 });
    expect(
      readSmppMo(pdu({ ...base, esm_class: 0x40, short_message: { udh: udh16, message: 'b' } }))
        ?.part,
    ).toEqual({ ref: 'u16:258', total: 3, seq: 2 });
    expect(
      readSmppMo(
        pdu({
          ...base,
          esm_class: 0,
          short_message: 'c',
          sar_msg_ref_num: 9,
          sar_total_segments: 2,
          sar_segment_seqnum: 2,
        }),
      )?.part,
    ).toEqual({ ref: 'sar:9', total: 2, seq: 2 });
    // A header that makes no sense (part 3 of 2) is read as a whole message.
    const odd = [Buffer.from([0x00, 0x03, 0x01, 2, 3])];
    expect(
      readSmppMo(pdu({ ...base, esm_class: 0x40, short_message: { udh: odd, message: 'x' } }))
        ?.part,
    ).toBeUndefined();
  });
});
