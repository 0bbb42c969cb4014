import { describe, expect, it } from 'vitest';
import { parseDate } from '../../../../src/domain/answers/index.js';

// Tuesday 10 March 2026, 15:00 in Paris.
const NOW = new Date('2026-03-10T14:00:00Z');

describe('parseDate with numbers', () => {
  it.each([
    ['12/03', '2026-03-12'],
    ['12/3', '2026-03-12'],
    [' 12/03 ', '2026-03-12'],
    ['12/03/2026', '2026-03-12'],
    ['12/03/2027', '2027-03-12'],
    ['12-03-26', '2026-03-12'],
    ['12.03', '2026-03-12'],
    ['12.03.2026', '2026-03-12'],
    ['12/03.', '2026-03-12'],
    ['le 12/03', '2026-03-12'],
    ['2026-03-12', '2026-03-12'],
    ['1/4', '2026-04-01'],
    // Today counts as the next occurrence; yesterday is next year.
    ['10/03', '2026-03-10'],
    ['09/03', '2027-03-09'],
    ['12/01', '2027-01-12'],
    // A date given with its year may be in the past (a birth date, a past appointment).
    ['01/02/2020', '2020-02-01'],
    ['29/02/2028', '2028-02-29'],
    // Without a year, 29 February waits for the next leap year.
    ['29/02', '2028-02-29'],
  ])('%j -> %s', (input, expected) => {
    expect(parseDate(input, NOW)).toBe(expected);
  });

  it.each([
    '31/02',
    '30/02/2026',
    '29/02/2027',
    '31/04',
    '32/01',
    '00/03',
    '12/13',
    '12/00',
    '12/03/202',
    '12/03-2026',
    '12',
    '1203',
    '12 03',
  ])('%j -> undefined', (input) => {
    expect(parseDate(input, NOW)).toBeUndefined();
  });
});

describe('parseDate with month names', () => {
  it.each([
    ['12 mars', '2026-03-12'],
    ['12 Mars', '2026-03-12'],
    ['12 MARS 2026', '2026-03-12'],
    ['12 mars 2027', '2027-03-12'],
    ['le 12 mars', '2026-03-12'],
    ['Le 12 mars !', '2026-03-12'],
    ['jeudi 12 mars', '2026-03-12'],
    ['Jeudi 12 Mars 2026', '2026-03-12'],
    ['jeudi le 12 mars', '2026-03-12'],
    ['1er avril', '2026-04-01'],
    ['le 1er avril', '2026-04-01'],
    ['premier avril', '2026-04-01'],
    ['douze mars', '2026-03-12'],
    ['vingt et un juin', '2026-06-21'],
    ['15 août', '2026-08-15'],
    ['15 aout', '2026-08-15'],
    ['3 févr.', '2027-02-03'],
    ['3 fevrier', '2027-02-03'],
    ['25 déc', '2026-12-25'],
    ['25 décembre', '2026-12-25'],
    ['2 janvier', '2027-01-02'],
    ['10 mars', '2026-03-10'],
    ['12 mars matin', '2026-03-12'],
  ])('%j -> %s', (input, expected) => {
    expect(parseDate(input, NOW)).toBe(expected);
  });

  it.each([
    // 12 March 2026 is a Thursday: a wrong weekday makes the answer unclear.
    'mardi 12 mars',
    'lundi 12 mars',
    '31 avril',
    '30 février',
    '12 mars 26 27',
    'mars',
    'mars 12',
    '0 mars',
    '32 mars',
    'treize trois mars',
  ])('%j -> undefined', (input) => {
    expect(parseDate(input, NOW)).toBeUndefined();
  });
});

describe('parseDate with relative words', () => {
  it.each([
    ["aujourd'hui", '2026-03-10'],
    ['Aujourd’hui', '2026-03-10'],
    ['aujourdhui', '2026-03-10'],
    ['auj', '2026-03-10'],
    ['demain', '2026-03-11'],
    ['Demain !', '2026-03-11'],
    ['DEMAIN', '2026-03-11'],
    ['demain matin', '2026-03-11'],
    ['demain après-midi', '2026-03-11'],
    ['demain soir', '2026-03-11'],
    ['pour demain', '2026-03-11'],
    ['à demain', '2026-03-11'],
    ['après-demain', '2026-03-12'],
    ['après demain', '2026-03-12'],
    ['apres-demain', '2026-03-12'],
    ['hier', '2026-03-09'],
    ['avant-hier', '2026-03-08'],
    ['dans 3 jours', '2026-03-13'],
    ['dans trois jours', '2026-03-13'],
    ['dans 1 jour', '2026-03-11'],
    ['dans une semaine', '2026-03-17'],
    ['dans 2 semaines', '2026-03-24'],
    ['dans deux semaines', '2026-03-24'],
    ['dans 30 jours', '2026-04-09'],
  ])('%j -> %s', (input, expected) => {
    expect(parseDate(input, NOW)).toBe(expected);
  });

  it.each([
    'dans 0 jours',
    'dans -2 jours',
    'dans jours',
    'dans 3 mois',
    'bientôt',
    'la semaine prochaine',
    'demain ou après-demain',
    '',
    '   ',
    '?',
  ])('%j -> undefined', (input) => {
    expect(parseDate(input, NOW)).toBeUndefined();
  });
});

describe('parseDate with weekdays', () => {
  // NOW is a Tuesday.
  it.each([
    ['lundi', '2026-03-16'],
    ['Lundi', '2026-03-16'],
    ['lundi prochain', '2026-03-16'],
    ['ce lundi', '2026-03-16'],
    ['mercredi', '2026-03-11'],
    ['Mercredi !', '2026-03-11'],
    ['dimanche', '2026-03-15'],
    // Strictly after today: "mardi" on a Tuesday is next week.
    ['mardi', '2026-03-17'],
    ['mardi prochain', '2026-03-17'],
    ['lundi matin', '2026-03-16'],
    ['vendredi après-midi', '2026-03-13'],
    ['le 12', '2026-03-12'],
    ['le 10', '2026-03-10'],
    ['le 9', '2026-04-09'],
    ['le 1er', '2026-04-01'],
    ['jeudi 12', '2026-03-12'],
    ['mercredi 1er', '2026-04-01'],
    ['le 31', '2026-03-31'],
  ])('%j -> %s', (input, expected) => {
    expect(parseDate(input, NOW)).toBe(expected);
  });

  it.each(['mardi 12', 'lundi prochain 16', 'lundi mardi', 'prochain', 'le'])(
    '%j -> undefined',
    (input) => {
      expect(parseDate(input, NOW)).toBeUndefined();
    },
  );

  it('skips months without that day for "le 31"', () => {
    expect(parseDate('le 31', new Date('2026-04-05T10:00:00Z'))).toBe('2026-05-31');
  });
});

describe('parseDate across the year end', () => {
  const december = new Date('2026-12-20T10:00:00Z');
  it.each([
    ['12/01', '2027-01-12'],
    ['25/12', '2026-12-25'],
    ['20/12', '2026-12-20'],
    ['19/12', '2027-12-19'],
    ['3 janvier', '2027-01-03'],
    ['dans 2 semaines', '2027-01-03'],
    ['demain', '2026-12-21'],
  ])('%j in December -> %s', (input, expected) => {
    expect(parseDate(input, december)).toBe(expected);
  });
});

describe('parseDate uses the time zone, not the process clock', () => {
  // 23:30 UTC on 10 March is already 11 March in Paris, still 10 March in UTC and New York.
  const lateEvening = new Date('2026-03-10T23:30:00Z');

  it('reads today in Europe/Paris by default', () => {
    expect(parseDate("aujourd'hui", lateEvening)).toBe('2026-03-11');
    expect(parseDate('demain', lateEvening)).toBe('2026-03-12');
  });

  it('reads today in the given zone', () => {
    expect(parseDate("aujourd'hui", lateEvening, { timeZone: 'UTC' })).toBe('2026-03-10');
    expect(parseDate('demain', lateEvening, { timeZone: 'America/New_York' })).toBe('2026-03-11');
    expect(parseDate('demain', lateEvening, { timeZone: 'Indian/Reunion' })).toBe('2026-03-12');
    expect(parseDate('demain', lateEvening, { timeZone: 'America/Cayenne' })).toBe('2026-03-11');
  });

  it('picks weekdays from the local date', () => {
    // Wednesday 11 March in Paris, Tuesday 10 March in UTC.
    expect(parseDate('mercredi', lateEvening)).toBe('2026-03-18');
    expect(parseDate('mercredi', lateEvening, { timeZone: 'UTC' })).toBe('2026-03-11');
  });

  it('crosses the daylight saving change without losing a day', () => {
    // Paris moves to summer time on 29 March 2026.
    const beforeChange = new Date('2026-03-28T22:30:00Z');
    expect(parseDate("aujourd'hui", beforeChange)).toBe('2026-03-28');
    expect(parseDate('demain', beforeChange)).toBe('2026-03-29');
    expect(parseDate('dans une semaine', beforeChange)).toBe('2026-04-04');
  });
});

describe('parseDate in English', () => {
  const en = { lang: 'en' };
  it.each([
    ['today', '2026-03-10'],
    ['Tomorrow', '2026-03-11'],
    ['tomorrow morning', '2026-03-11'],
    ['the day after tomorrow', '2026-03-12'],
    ['March 12', '2026-03-12'],
    ['march 12th', '2026-03-12'],
    ['March 12, 2027', '2027-03-12'],
    ['12 March', '2026-03-12'],
    ['12th March', '2026-03-12'],
    ['the 12th of March', '2026-03-12'],
    ['Dec 25', '2026-12-25'],
    ['monday', '2026-03-16'],
    ['next Monday', '2026-03-16'],
    ['on Thursday', '2026-03-12'],
    ['in 3 days', '2026-03-13'],
    ['in a week', '2026-03-17'],
    ['in two weeks', '2026-03-24'],
    ['the 12th', '2026-03-12'],
    // Day first, as in France.
    ['12/03', '2026-03-12'],
    // French still works.
    ['demain', '2026-03-11'],
    ['12 mars', '2026-03-12'],
  ])('%j -> %s', (input, expected) => {
    expect(parseDate(input, NOW, en)).toBe(expected);
  });

  it('does not read English words in French', () => {
    expect(parseDate('tomorrow', NOW)).toBeUndefined();
    expect(parseDate('March 12', NOW)).toBeUndefined();
    expect(parseDate('monday', NOW)).toBeUndefined();
  });

  it.each(['next', 'next week', 'March', 'constructor', 'toString'])('%j -> undefined', (input) => {
    expect(parseDate(input, NOW, en)).toBeUndefined();
  });
});
