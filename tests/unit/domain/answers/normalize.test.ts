import { describe, expect, it } from 'vitest';
import { normalizeAnswer } from '../../../../src/domain/answers/index.js';

describe('normalizeAnswer', () => {
  it.each([
    ['Oui !', 'oui'],
    ['OUI!!', 'oui'],
    [' oui ', 'oui'],
    ['Très bien.', 'tres bien'],
    ['Ça marche…', 'ca marche'],
    ['Cœur', 'coeur'],
    ['ŒUVRE', 'oeuvre'],
    ['D’accord', "d'accord"],
    ['d‘accord', "d'accord"],
    ['«oui»', 'oui'],
    ['“Non”', 'non'],
    ['  deux   mots  ', 'deux mots'],
    ['a\u00A0b\u202Fc\td', 'a b c d'],
    ['1.', '1'],
    ['1)', '1'],
    ['(2)', '2'],
    ['#2', '2'],
    ['¿Qué?', 'que'],
    ['-2', '-2'],
    ['- oui', 'oui'],
    ['n°2', 'n°2'],
    ['👍', '👍'],
    ['2️⃣', '2'],
    ['o\u200Bui', 'oui'],
    ['???', ''],
    ['', ''],
    ['   ', ''],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeAnswer(input)).toBe(expected);
  });

  it('keeps inner punctuation that carries meaning', () => {
    expect(normalizeAnswer('12/03/2026')).toBe('12/03/2026');
    expect(normalizeAnswer('3,5')).toBe('3,5');
    expect(normalizeAnswer("Aujourd'hui !")).toBe("aujourd'hui");
  });
});
