import { describe, expect, it } from 'vitest';
import { normalisePhone, smsRefusal } from '../../../src/domain/phone.js';

describe('normalisePhone', () => {
  it('reads metropolitan mobiles to E.164', () => {
    expect(normalisePhone('06 12 34 56 78', 'FR')).toEqual({
      ok: true,
      e164: '+33612345678',
      region: 'FR',
    });
    expect(normalisePhone('07.81.23.45.67', 'FR')).toMatchObject({
      ok: true,
      e164: '+33781234567',
    });
    expect(normalisePhone('0033 6 12 34 56 78', 'FR')).toMatchObject({
      ok: true,
      e164: '+33612345678',
    });
    expect(normalisePhone('+33 (0)6 12 34 56 78', 'FR')).toMatchObject({
      ok: true,
      e164: '+33612345678',
    });
  });

  it('reads 0692 as La Réunion (+262), with the organisation region or without it', () => {
    expect(normalisePhone('0692 12 34 56', 'RE')).toEqual({
      ok: true,
      e164: '+262692123456',
      region: 'RE',
    });
    // A Réunion number in a metropolitan département's file: +33 692 does not exist.
    expect(normalisePhone('0692 12 34 56', 'FR')).toMatchObject({
      ok: true,
      e164: '+262692123456',
      region: 'RE',
    });
    expect(normalisePhone('0690 12 34 56', 'GP')).toMatchObject({ e164: '+590690123456' });
    expect(normalisePhone('0696 12 34 56', 'MQ')).toMatchObject({ e164: '+596696123456' });
    expect(normalisePhone('0694 20 12 34', 'GF')).toMatchObject({ e164: '+594694201234' });
    expect(normalisePhone('0639 40 12 34', 'YT')).toMatchObject({ e164: '+262639401234' });
  });

  it('keeps an international number as written, whatever the region', () => {
    expect(normalisePhone('+33612345678', 'RE')).toMatchObject({ ok: true, e164: '+33612345678' });
  });

  it('reports landlines, special numbers, foreign and invalid numbers with a reason', () => {
    expect(normalisePhone('05 49 12 34 56', 'FR')).toMatchObject({
      ok: false,
      reason: 'landline',
      e164: '+33549123456',
    });
    expect(normalisePhone('0262 12 34 56', 'RE')).toMatchObject({ ok: false, reason: 'landline' });
    expect(normalisePhone('0800 12 34 56', 'FR')).toMatchObject({
      ok: false,
      reason: 'not_mobile',
    });
    expect(normalisePhone('+44 7911 123456', 'FR')).toMatchObject({ ok: false, reason: 'foreign' });
    expect(normalisePhone('+44 7911 123456', 'FR', { allowForeign: true })).toMatchObject({
      ok: true,
    });
    expect(normalisePhone('12', 'FR')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(normalisePhone('  ', 'FR')).toMatchObject({ ok: false, reason: 'empty' });
    expect(normalisePhone(null, 'FR')).toMatchObject({ ok: false, reason: 'empty' });
    const r = normalisePhone('05 49 12 34 56', 'FR');
    expect(r.ok ? '' : r.message).toMatch(/landline/);
  });
});

describe('smsRefusal (at send time)', () => {
  it('refuses known landlines and malformed addresses, lets mobiles and unknown ranges go', () => {
    expect(smsRefusal('+33549123456')).toBe('landline');
    expect(smsRefusal('06 12')).toBe('invalid');
    expect(smsRefusal('+33612345678')).toBeUndefined();
    expect(smsRefusal('+262692123456')).toBeUndefined();
    // The ARCEP fiction range of the demo data is unknown to the metadata: the provider decides.
    expect(smsRefusal('+33639980001')).toBeUndefined();
  });
});
