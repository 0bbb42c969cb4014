import { describe, expect, it } from 'vitest';
import { countSegments, isGsm7 } from '../../../../src/domain/sms/index.js';

// GSM 03.38 default alphabet, 0x00-0x7F without ESC (0x1B), written out independently of the code.
const BASIC_TABLE = [
  '@',
  '£',
  '$',
  '¥',
  'è',
  'é',
  'ù',
  'ì',
  'ò',
  'Ç',
  '\n',
  'Ø',
  'ø',
  '\r',
  'Å',
  'å',
  'Δ',
  '_',
  'Φ',
  'Γ',
  'Λ',
  'Ω',
  'Π',
  'Ψ',
  'Σ',
  'Θ',
  'Ξ',
  'Æ',
  'æ',
  'ß',
  'É',
  ...' !"#¤%&\'()*+,-./0123456789:;<=>?',
  '¡',
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'Ä',
  'Ö',
  'Ñ',
  'Ü',
  '§',
  '¿',
  ...'abcdefghijklmnopqrstuvwxyz',
  'ä',
  'ö',
  'ñ',
  'ü',
  'à',
];
const EXTENSION_TABLE = ['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];

describe('isGsm7', () => {
  it('has the 127 characters of the basic table', () => {
    expect(BASIC_TABLE).toHaveLength(127);
    for (const char of BASIC_TABLE) expect(isGsm7(char), JSON.stringify(char)).toBe(true);
  });

  it('has the extension table', () => {
    for (const char of EXTENSION_TABLE) expect(isGsm7(char), JSON.stringify(char)).toBe(true);
  });

  it.each(['é', 'è', 'ù', 'ì', 'ò', 'à', 'É', 'Ç', 'Ä', 'Ö', 'Ñ', 'Ü', 'ä', 'ö', 'ñ', 'ü', 'ß'])(
    'French-useful %j is GSM-7',
    (char) => {
      expect(isGsm7(char)).toBe(true);
    },
  );

  it.each([
    'ç',
    'ê',
    'â',
    'î',
    'ô',
    'û',
    'ë',
    'ï',
    'À',
    'È',
    'Ê',
    'Î',
    'Ô',
    'œ',
    'Œ',
    '’',
    '«',
    '»',
    '\u00A0',
    '\u202F',
    '…',
    '–',
    '—',
    '•',
    '°',
    '\t',
    '`',
    '👍',
    '\u001B',
  ])('%j is not GSM-7', (char) => {
    expect(isGsm7(char)).toBe(false);
  });

  it('checks every character of a text', () => {
    expect(isGsm7('')).toBe(true);
    expect(isGsm7('Rendez-vous à 9h30, salle n°2')).toBe(false);
    expect(isGsm7('Rendez-vous à 9h30, salle 2 {€}')).toBe(true);
    expect(isGsm7('Réunion vendredi')).toBe(true);
    expect(isGsm7('Réunion lundi, être à l’heure')).toBe(false);
  });
});

describe('countSegments in GSM-7', () => {
  it.each([
    [0, 1, 160],
    [1, 1, 159],
    [160, 1, 0],
    [161, 2, 145],
    [153 * 2, 2, 0],
    [153 * 2 + 1, 3, 152],
    [153 * 3, 3, 0],
  ])('%d GSM characters -> %d parts, %d left', (length, parts, remaining) => {
    expect(countSegments('a'.repeat(length))).toEqual({
      encoding: 'GSM-7',
      parts,
      units: length,
      remaining,
    });
  });

  it('counts extension characters as 2 septets', () => {
    expect(countSegments('€')).toEqual({ encoding: 'GSM-7', parts: 1, units: 2, remaining: 158 });
    expect(countSegments('[x]')).toEqual({ encoding: 'GSM-7', parts: 1, units: 5, remaining: 155 });
    expect(countSegments(`${'a'.repeat(158)}€`)).toEqual({
      encoding: 'GSM-7',
      parts: 1,
      units: 160,
      remaining: 0,
    });
    expect(countSegments(`${'a'.repeat(159)}€`)).toEqual({
      encoding: 'GSM-7',
      parts: 2,
      units: 161,
      remaining: 145,
    });
  });

  it('never splits an extension character across parts', () => {
    // 151 + 2 fills the first part exactly.
    expect(countSegments(`${'a'.repeat(151)}€${'a'.repeat(10)}`)).toEqual({
      encoding: 'GSM-7',
      parts: 2,
      units: 163,
      remaining: 143,
    });
    // 152 + 2 would straddle: the € moves whole to the second part, the first keeps 1 spare.
    expect(countSegments(`${'a'.repeat(152)}€${'a'.repeat(10)}`)).toEqual({
      encoding: 'GSM-7',
      parts: 2,
      units: 164,
      remaining: 141,
    });
    // The lost septet can cost a part: 306 septets that a plain division would fit in 2.
    expect(countSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`)).toEqual({
      encoding: 'GSM-7',
      parts: 3,
      units: 306,
      remaining: 152,
    });
  });

  it('treats accented GSM-7 letters as single septets', () => {
    expect(countSegments('é'.repeat(160))).toEqual({
      encoding: 'GSM-7',
      parts: 1,
      units: 160,
      remaining: 0,
    });
  });
});

describe('countSegments in UCS-2', () => {
  it.each([
    [1, 1, 69],
    [70, 1, 0],
    [71, 2, 63],
    [67 * 2, 2, 0],
    [67 * 2 + 1, 3, 66],
  ])('%d UCS-2 characters -> %d parts, %d left', (length, parts, remaining) => {
    expect(countSegments('ê'.repeat(length))).toEqual({
      encoding: 'UCS-2',
      parts,
      units: length,
      remaining,
    });
  });

  it('switches the whole message to UCS-2 for one character', () => {
    expect(countSegments(`${'a'.repeat(69)}’`)).toEqual({
      encoding: 'UCS-2',
      parts: 1,
      units: 70,
      remaining: 0,
    });
    expect(countSegments(`${'a'.repeat(70)}’`)).toEqual({
      encoding: 'UCS-2',
      parts: 2,
      units: 71,
      remaining: 63,
    });
  });

  it('counts an emoji as two code units', () => {
    expect(countSegments('👍')).toEqual({ encoding: 'UCS-2', parts: 1, units: 2, remaining: 68 });
    expect(countSegments(`${'a'.repeat(68)}👍`)).toEqual({
      encoding: 'UCS-2',
      parts: 1,
      units: 70,
      remaining: 0,
    });
  });

  it('never splits a surrogate pair across parts', () => {
    // 65 + 2 fills the first part exactly.
    expect(countSegments(`${'ê'.repeat(65)}😀${'ê'.repeat(10)}`)).toEqual({
      encoding: 'UCS-2',
      parts: 2,
      units: 77,
      remaining: 57,
    });
    // 66 + 2 would straddle: the emoji moves whole to the second part.
    expect(countSegments(`${'ê'.repeat(66)}😀${'ê'.repeat(10)}`)).toEqual({
      encoding: 'UCS-2',
      parts: 2,
      units: 78,
      remaining: 55,
    });
    expect(countSegments(`${'ê'.repeat(66)}😀${'ê'.repeat(66)}`)).toEqual({
      encoding: 'UCS-2',
      parts: 3,
      units: 134,
      remaining: 66,
    });
  });
});
