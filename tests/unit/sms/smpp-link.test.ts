// The SMPP link's bookkeeping without a network: recognising a reply delivered again,
// putting long replies together, splitting long messages into parts, and reading refusals.
import { describe, expect, it } from 'vitest';
import {
  type AssembledMo,
  Reassembler,
  RedeliveryGuard,
  type SmppMo,
} from '../../../src/channels/sms/providers/smpp-inbound.js';
import { concatUdh, splitSms } from '../../../src/channels/sms/providers/smpp-parts.js';
import { submitFailure } from '../../../src/channels/sms/providers/smpp-status.js';
import { countSegments } from '../../../src/domain/sms/index.js';

const one: SmppMo = { from: '+33612345678', to: '38000', text: '1' };

describe('RedeliveryGuard', () => {
  it('gives a reply delivered again the id of its first delivery while our ack is unproved', () => {
    const guard = new RedeliveryGuard();
    const link = {};
    const id = guard.idOf(one);
    // Handled, acknowledged, then the link dropped before any answer proved the ack.
    guard.acked(one, { link, ack: 1 }, 20);
    expect(guard.idOf({ ...one })).toBe(id);
  });

  it('takes the same words again as a new answer once the SMSC has read our ack', () => {
    const guard = new RedeliveryGuard();
    const link = {};
    const first = guard.idOf(one);
    guard.acked(one, { link, ack: 1 }, 20);
    // An answer to a request written after ack 1 (an enquire_link, a submit_sm).
    guard.proved(link, 1);
    expect(guard.idOf(one)).not.toBe(first);
  });

  it('keeps a reply that was handled too slowly, and one proved on another link only', () => {
    const guard = new RedeliveryGuard(600_000, 5_000);
    const a = {};
    const b = {};
    const slow = guard.idOf(one);
    guard.acked(one, { link: a, ack: 1 }, 9_000);
    guard.proved(a, 5);
    expect(guard.idOf(one)).toBe(slow);
    const two = { ...one, text: '2' };
    const id2 = guard.idOf(two);
    guard.acked(two, { link: a, ack: 2 }, 10);
    guard.proved(b, 99);
    guard.proved(a, 1);
    expect(guard.idOf(two)).toBe(id2);
  });

  it('tells apart different handset references and forgets after its window', () => {
    const guard = new RedeliveryGuard(60_000);
    const a = guard.idOf({ ...one, reference: 1 }, 0);
    expect(guard.idOf({ ...one, reference: 2 }, 0)).not.toBe(a);
    expect(guard.idOf({ ...one, reference: 1 }, 30_000)).toBe(a);
    expect(guard.idOf({ ...one, reference: 1 }, 61_000)).not.toBe(a);
  });
});

describe('Reassembler', () => {
  const part = (seq: number, text: string, total = 2, ref = 'u8:7') => ({
    ...one,
    text,
    part: { ref, total, seq },
  });

  it('hands over one reply with the parts in order, once, whatever order they come in', async () => {
    const out: AssembledMo[] = [];
    const r = new Reassembler(async (m) => {
      out.push(m);
    });
    await r.add(part(2, 'monde'));
    expect(out).toHaveLength(0);
    await r.add(part(2, 'monde')); // the same part again
    await r.add(part(1, 'Bonjour le '));
    expect(out).toEqual([
      { from: one.from, to: '38000', text: 'Bonjour le monde', parts: 2, total: 2 },
    ]);
    // A part of a reply already handed over: delivered again by the SMSC, dropped.
    await r.add(part(1, 'Bonjour le '));
    expect(out).toHaveLength(1);
    expect(r.waiting).toBe(0);
    r.stop();
  });

  it('keeps replies of different references and senders apart', async () => {
    const out: string[] = [];
    const r = new Reassembler(async (m) => {
      out.push(m.text);
    });
    await r.add(part(1, 'A1', 2, 'u8:1'));
    await r.add({ ...part(1, 'B1', 2, 'u8:1'), from: '+33698765432' });
    await r.add(part(2, 'A2', 2, 'u8:1'));
    await r.add(part(1, 'C1', 2, 'u8:2'));
    expect(out).toEqual(['A1A2']);
    expect(r.waiting).toBe(2);
    r.stop();
  });

  it('hands over what arrived when the other parts do not come in time', async () => {
    const out: AssembledMo[] = [];
    const r = new Reassembler(async (m) => {
      out.push(m);
    }, 50);
    await r.add(part(1, 'Je viendrai ', 3));
    await r.add(part(3, 'matin', 3));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(out).toEqual([
      { from: one.from, to: '38000', text: 'Je viendrai matin', parts: 2, total: 3 },
    ]);
    await r.add(part(2, 'demain ', 3)); // too late: its reply is gone
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(out).toHaveLength(1);
    r.stop();
  });

  it('refuses the last part when the reply cannot be stored, and completes when it comes again', async () => {
    let fail = true;
    const out: string[] = [];
    const r = new Reassembler(async (m) => {
      if (fail) throw new Error('database down');
      out.push(m.text);
    });
    await r.add(part(1, 'a'));
    await expect(r.add(part(2, 'b'))).rejects.toThrow('database down');
    fail = false;
    await r.add(part(2, 'b'));
    expect(out).toEqual(['ab']);
    r.stop();
  });
});

describe('splitSms', () => {
  const texts = [
    'court',
    'a'.repeat(160),
    'a'.repeat(161),
    'a'.repeat(306),
    'a'.repeat(307),
    `${'a'.repeat(152)}€${'b'.repeat(10)}`, // an extension character at a part's edge
    `${'€'.repeat(80)}`,
    `${'€'.repeat(81)}`,
    'ç'.repeat(70),
    'ç'.repeat(71),
    `${'ç'.repeat(66)}😀${'ç'.repeat(10)}`, // a surrogate pair at a part's edge
    `${'Votre avis compte. '.repeat(10)}ça ira ?`,
  ];
  it('cuts where countSegments counts, never inside a character', () => {
    for (const text of texts) {
      const count = countSegments(text);
      const parts = splitSms(text, count.encoding);
      expect(parts.length, text).toBe(count.parts);
      expect(parts.join(''), text).toBe(text);
      if (parts.length > 1) {
        for (const p of parts) {
          const units =
            count.encoding === 'GSM-7' ? countSegments(p).units : [...p].join('').length;
          expect(units, p).toBeLessThanOrEqual(count.encoding === 'GSM-7' ? 153 : 67);
        }
      }
    }
    // 152 septets, then € (escape + character) does not fit the 153 of a part.
    expect(splitSms(`${'a'.repeat(152)}€${'b'.repeat(10)}`, 'GSM-7')).toEqual([
      'a'.repeat(152),
      `€${'b'.repeat(10)}`,
    ]);
  });
  it('writes the concatenation header: 8-bit reference, total, part number', () => {
    expect([...concatUdh(300, 3, 2)]).toEqual([5, 0, 3, 44, 3, 2]);
  });
});

describe('submitFailure', () => {
  it('fails at once on what the message itself gets wrong, retries the rest', () => {
    for (const status of [0x01, 0x0a, 0x0b, 0x43, 0x50, 0x51, 0x104]) {
      expect(submitFailure(status).kind, status.toString(16)).toBe('permanent');
    }
    expect(submitFailure(0x0b).reason).toMatch(/ESME_RINVDSTADR/);
    for (const status of [0x08, 0x14, 0x45, 0x64, 0xff, 0x400]) {
      expect(submitFailure(status).kind, status.toString(16)).toBe('transient');
    }
    expect(submitFailure(0x58)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 1000 });
  });
});
