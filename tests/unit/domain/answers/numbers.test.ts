import { describe, expect, it } from 'vitest';
import { parseNumber, parseScale } from '../../../../src/domain/answers/index.js';

describe('parseNumber with digits', () => {
  it.each([
    ['3', 3],
    [' 3 ', 3],
    ['3.', 3],
    ['3 !', 3],
    ['0', 0],
    ['42', 42],
    ['3,5', 3.5],
    ['3.5', 3.5],
    ['0,125', 0.125],
    ['-2', -2],
    ['−2', -2],
    ['+4', 4],
    ['1 000', 1000],
    ['12\u202F500', 12500],
    ['2️⃣', 2],
  ])('%j -> %d', (input, expected) => {
    expect(parseNumber(input)).toBe(expected);
  });
});

describe('parseNumber with French words', () => {
  it.each([
    ['zéro', 0],
    ['un', 1],
    ['une', 1],
    ['Deux', 2],
    ['trois', 3],
    ['TROIS', 3],
    ['seize', 16],
    ['dix-sept', 17],
    ['dix sept', 17],
    ['vingt', 20],
    ['vingt et un', 21],
    ['vingt-et-un', 21],
    ['vingt et une', 21],
    ['vingt-deux', 22],
    ['trente-cinq', 35],
    ['soixante-dix', 70],
    ['soixante et onze', 71],
    ['soixante-quinze', 75],
    ['soixante-dix-neuf', 79],
    ['quatre-vingts', 80],
    ['quatre-vingt', 80],
    ['quatre-vingt-un', 81],
    ['quatre-vingt-dix', 90],
    ['quatre-vingt-onze', 91],
    ['quatre-vingt-dix-neuf', 99],
    ['septante', 70],
    ['septante-trois', 73],
    ['huitante', 80],
    ['octante-deux', 82],
    ['nonante-neuf', 99],
    ['cent', 100],
    ['cent un', 101],
    ['cent vingt', 120],
    ['deux cents', 200],
    ['deux-cent-trois', 203],
    ['neuf cent quatre-vingt-dix-neuf', 999],
    ['mille', 1000],
    ['mille deux cents', 1200],
    ['deux mille', 2000],
    ['deux mille vingt-six', 2026],
    ['un million', 1_000_000],
    ['moins deux', -2],
    ['Trois !', 3],
  ])('%j -> %d', (input, expected) => {
    expect(parseNumber(input)).toBe(expected);
  });
});

describe('parseNumber in English', () => {
  it.each([
    ['one', 1],
    ['Twelve', 12],
    ['nineteen', 19],
    ['twenty', 20],
    ['twenty-one', 21],
    ['ninety nine', 99],
    ['a hundred', 100],
    ['two hundred and five', 205],
    ['one thousand', 1000],
    ['minus three', -3],
    ['trois', 3],
  ])('%j -> %d', (input, expected) => {
    expect(parseNumber(input, { lang: 'en' })).toBe(expected);
  });

  it('does not read English words in French', () => {
    expect(parseNumber('twenty-one')).toBeUndefined();
    expect(parseNumber('one', { lang: 'fr' })).toBeUndefined();
  });
});

describe('parseNumber unclear', () => {
  it.each([
    '',
    '  ',
    'abc',
    'trois trois',
    'un cent',
    'cent zéro',
    'mille mille',
    'vingt dix',
    'trois et deux',
    '3 5',
    '3 enfants',
    'environ 3',
    '1-3',
    '3,500',
    '2.500',
    '12/03',
    '3,5,2',
    'constructor',
    'toString',
  ])('%j -> undefined', (input) => {
    expect(parseNumber(input)).toBeUndefined();
  });
});

describe('parseScale', () => {
  it.each([
    ['4', 1, 5, 4],
    [' 4 ', 1, 5, 4],
    ['4 !', 1, 5, 4],
    ['quatre', 1, 5, 4],
    ['1', 1, 5, 1],
    ['5', 1, 5, 5],
    ['0', 0, 10, 0],
    ['dix', 0, 10, 10],
    ['4/5', 1, 5, 4],
    ['4 / 5', 1, 5, 4],
    ['4 sur 5', 1, 5, 4],
    ['4sur5', 1, 5, 4],
    ['quatre sur cinq', 1, 5, 4],
    ['8/10', 0, 10, 8],
    ['⭐⭐⭐', 1, 5, 3],
    ['⭐️⭐️⭐️⭐️', 1, 5, 4],
    ['★ ★', 1, 5, 2],
    ['4️⃣', 1, 5, 4],
    // Surrounding punctuation is dropped before reading, so a stray slash is harmless.
    ['4/', 1, 5, 4],
  ])('%j on [%d, %d] -> %d', (input, min, max, expected) => {
    expect(parseScale(input, min, max)).toBe(expected);
  });

  it.each([
    ['6', 1, 5],
    ['0', 1, 5],
    ['-1', 0, 5],
    ['3,5', 1, 5],
    ['4/10', 1, 5],
    ['8/10', 1, 5],
    ['4 sur 10', 1, 5],
    ['⭐⭐⭐⭐⭐⭐', 1, 5],
    ['', 1, 5],
    ['bien', 1, 5],
    ['4 ou 5', 1, 5],
  ])('%j on [%d, %d] -> undefined', (input, min, max) => {
    expect(parseScale(input, min, max)).toBeUndefined();
  });

  it('reads English words when lang is en', () => {
    expect(parseScale('four out of five', 1, 5, { lang: 'en' })).toBe(4);
    expect(parseScale('three', 1, 5, { lang: 'en' })).toBe(3);
    expect(parseScale('three', 1, 5)).toBeUndefined();
  });
});
