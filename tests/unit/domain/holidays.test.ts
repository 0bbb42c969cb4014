import { describe, expect, it } from 'vitest';
import {
  easterSunday,
  holidayOn,
  holidayRegion,
  publicHolidays,
} from '../../../src/domain/holidays.js';

describe('easterSunday', () => {
  it.each([
    [2024, 3, 31],
    [2025, 4, 20],
    [2026, 4, 5],
    [2027, 3, 28],
    [2028, 4, 16],
    [2038, 4, 25],
    [2285, 3, 22],
  ])('%i: %i/%i', (year, month, day) => {
    expect(easterSunday(year)).toEqual({ month, day });
  });
});

describe('publicHolidays', () => {
  it('lists the eleven national holidays of 2026 with the movable ones from Easter', () => {
    const days = [...publicHolidays(2026).keys()];
    expect(days).toEqual([
      '2026-01-01',
      '2026-04-06', // Lundi de Pâques
      '2026-05-01',
      '2026-05-08',
      '2026-05-14', // Ascension
      '2026-05-25', // Lundi de Pentecôte
      '2026-07-14',
      '2026-08-15',
      '2026-11-01',
      '2026-11-11',
      '2026-12-25',
    ]);
  });

  it('moves Easter Monday, Ascension and Whit Monday in 2027', () => {
    const h = publicHolidays(2027);
    expect(h.get('2027-03-29')).toBe('Lundi de Pâques');
    expect(h.get('2027-05-06')).toBe('Ascension');
    expect(h.get('2027-05-17')).toBe('Lundi de Pentecôte');
    expect(h.size).toBe(11);
  });

  it('adds Good Friday and 26 December in Alsace-Moselle only', () => {
    expect(holidayOn('2026-04-03')).toBeUndefined();
    expect(holidayOn('2026-04-03', 'alsace-moselle')).toBe('Vendredi saint');
    expect(holidayOn('2027-03-26', '57')).toBe('Vendredi saint');
    expect(holidayOn('2026-12-26', 'Alsace-Moselle')).toBe('Saint-Étienne');
    expect(holidayOn('2026-12-26', 'reunion')).toBeUndefined();
  });

  it('adds the abolition of slavery on each overseas date', () => {
    expect(holidayOn('2026-12-20', 'reunion')).toBe("Abolition de l'esclavage");
    expect(holidayOn('2026-12-20', '974')).toBe("Abolition de l'esclavage");
    expect(holidayOn('2026-05-22', 'martinique')).toBeDefined();
    expect(holidayOn('2026-05-27', 'guadeloupe')).toBeDefined();
    expect(holidayOn('2026-06-10', 'guyane')).toBeDefined();
    expect(holidayOn('2026-04-27', 'mayotte')).toBeDefined();
    expect(holidayOn('2026-05-22', 'guadeloupe')).toBeUndefined();
    expect(holidayOn('2026-12-20')).toBeUndefined();
  });

  it('reads region names and INSEE codes, and ignores unknown ones', () => {
    expect(holidayRegion('La Réunion')).toBe('reunion');
    expect(holidayRegion('68')).toBe('alsace-moselle');
    expect(holidayRegion('bretagne')).toBeUndefined();
    expect(holidayRegion(null)).toBeUndefined();
  });
});
