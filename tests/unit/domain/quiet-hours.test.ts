import { describe, expect, it } from 'vitest';
import { nextAllowedTime, quietReason } from '../../../src/domain/quiet-hours.js';

const at = (iso: string) => new Date(iso);

describe('quiet hours (Europe/Paris)', () => {
  it('lets a weekday between 08:00 and 20:00 through unchanged', () => {
    // Tuesday 10 March 2026, 10:00 in Paris (UTC+1).
    const t = at('2026-03-10T09:00:00Z');
    expect(quietReason(t)).toBeUndefined();
    expect(nextAllowedTime(t)).toEqual(t);
  });

  it('moves an evening message to 08:00 the next day, and 20:00 is already closed', () => {
    expect(quietReason(at('2026-03-10T19:00:00Z'))).toBe('night'); // 20:00 Paris
    expect(nextAllowedTime(at('2026-03-10T19:00:00Z'))).toEqual(at('2026-03-11T07:00:00Z'));
    expect(quietReason(at('2026-03-10T18:59:00Z'))).toBeUndefined(); // 19:59
  });

  it('moves an early message to 08:00 the same day', () => {
    expect(nextAllowedTime(at('2026-03-10T05:30:00Z'))).toEqual(at('2026-03-10T07:00:00Z'));
  });

  it('skips Sundays: Saturday 21:00 goes on Monday 08:00', () => {
    expect(quietReason(at('2026-03-15T10:00:00Z'))).toBe('sunday');
    expect(nextAllowedTime(at('2026-03-14T20:00:00Z'))).toEqual(at('2026-03-16T07:00:00Z'));
  });

  it('skips Easter Sunday and Easter Monday 2026: Saturday evening goes on Tuesday', () => {
    expect(quietReason(at('2026-04-06T10:00:00Z'))).toBe('holiday');
    expect(nextAllowedTime(at('2026-04-04T19:30:00Z'))).toEqual(at('2026-04-07T06:00:00Z'));
  });

  it('skips Whit Monday 2027 (17 May) and Ascension 2027 (6 May)', () => {
    expect(nextAllowedTime(at('2027-05-15T19:00:00Z'))).toEqual(at('2027-05-18T06:00:00Z'));
    expect(nextAllowedTime(at('2027-05-05T20:00:00Z'))).toEqual(at('2027-05-07T06:00:00Z'));
  });

  it('follows the DST changes: 08:00 is 07:00 UTC in March before, 06:00 UTC after', () => {
    // DST starts Sunday 29 March 2026: Saturday 28 evening -> Monday 30 at 08:00 CEST.
    expect(nextAllowedTime(at('2026-03-28T20:00:00Z'))).toEqual(at('2026-03-30T06:00:00Z'));
    // DST ends Sunday 25 October 2026: Saturday 24 evening -> Monday 26 at 08:00 CET.
    expect(nextAllowedTime(at('2026-10-24T19:00:00Z'))).toEqual(at('2026-10-26T07:00:00Z'));
  });

  it('applies Alsace-Moselle days per organisation', () => {
    // Thursday 24 Dec 2026 at 21:00: Christmas, then Saint-Étienne (Sat 26) there, then Sunday.
    const evening = at('2026-12-24T20:00:00Z');
    expect(nextAllowedTime(evening)).toEqual(at('2026-12-26T07:00:00Z'));
    expect(nextAllowedTime(evening, { holidayRegion: 'alsace-moselle' })).toEqual(
      at('2026-12-28T07:00:00Z'),
    );
    // Good Friday 2027 (26 March).
    expect(quietReason(at('2027-03-26T10:00:00Z'), { holidayRegion: 'alsace-moselle' })).toBe(
      'holiday',
    );
    expect(quietReason(at('2027-03-26T10:00:00Z'))).toBeUndefined();
  });

  it('uses the organisation time zone and overseas days (La Réunion, UTC+4)', () => {
    const policy = { timeZone: 'Indian/Reunion', holidayRegion: 'reunion' };
    // 19:00 UTC on Friday 18 Dec 2026 is 23:00 in Réunion.
    expect(quietReason(at('2026-12-18T19:00:00Z'), policy)).toBe('night');
    // Saturday 19 at 08:00 Réunion = 04:00 UTC.
    expect(nextAllowedTime(at('2026-12-18T19:00:00Z'), policy)).toEqual(at('2026-12-19T04:00:00Z'));
    // Saturday 19 at 21:00 -> Sunday 20 (also 20 December) -> Monday 21 at 08:00.
    expect(nextAllowedTime(at('2026-12-19T17:00:00Z'), policy)).toEqual(at('2026-12-21T04:00:00Z'));
    // Monday 20 December 2027 is the holiday itself.
    expect(quietReason(at('2027-12-20T06:00:00Z'), policy)).toBe('holiday');
  });
});
