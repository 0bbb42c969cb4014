// Provider parsing without a network: numbers as providers report them, Brevo events,
// OVH delivery reports and signatures, SMPP receipts and replies.
import { createHash } from 'node:crypto';
import type { PDU } from 'smpp';
import { describe, expect, it } from 'vitest';
import { brevoProvider } from '../../../src/channels/sms/providers/brevo.js';
import { ovhProvider, ovhSignature } from '../../../src/channels/sms/providers/ovh.js';
import { parseSmppInbound, parseSmppReceipt } from '../../../src/channels/sms/providers/smpp.js';
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
    const at = new Date('2026-03-10T09:00:00Z');
    const mo = pdu({
      esm_class: 0,
      source_addr: '0612345678',
      short_message: { message: 'ARRÊT' },
    });
    expect(parseSmppReceipt(mo)).toBeUndefined();
    const m = parseSmppInbound(mo, 'smpp', at);
    expect(m).toMatchObject({ from: '+33612345678', text: 'ARRÊT', receivedAt: at });
    // The same words again within 30 s: the SMSC delivering it again, same id.
    expect(parseSmppInbound(mo, 'smpp', new Date(at.getTime() + 10_000))?.providerMessageId).toBe(
      m?.providerMessageId,
    );
    expect(
      parseSmppInbound(pdu({ esm_class: 4, short_message: 'id:1 stat:DELIVRD' }), 'smpp', at),
    ).toBeUndefined();
  });
});
