import { describe, expect, it } from 'vitest';
import {
  countSegments,
  isGsm7,
  prepareSms,
  transliterateToGsm7,
} from '../../../../src/domain/sms/index.js';

const REMINDER =
  "Bonjour Léa, rappel : réunion d'information jeudi 14 mars à 9h30, 12 rue des Halles, Niort. Répondez 1 pour confirmer, 2 si vous ne pouvez pas venir, 3 pour être rappelé.";

describe('transliterateToGsm7', () => {
  it.each([
    ['ç', 'c'],
    ['ê', 'e'],
    ['ë', 'e'],
    ['â', 'a'],
    ['î', 'i'],
    ['ï', 'i'],
    ['ô', 'o'],
    ['û', 'u'],
    ['œ', 'oe'],
    ['Œ', 'OE'],
    ['À', 'A'],
    ['È', 'E'],
    ['Ê', 'E'],
    ['Ë', 'E'],
    ['Î', 'I'],
    ['Ï', 'I'],
    ['Ô', 'O'],
    ['Û', 'U'],
    ['’', "'"],
    ['‘', "'"],
    ['‚', "'"],
    ['′', "'"],
    ['“', '"'],
    ['”', '"'],
    ['«', '"'],
    ['»', '"'],
    ['„', '"'],
    ['\u00A0', ' '],
    ['\u202F', ' '],
    ['\u2009', ' '],
    ['…', '...'],
    ['–', '-'],
    ['—', '-'],
    ['•', '-'],
    ['ã', 'a'],
    ['Ÿ', 'Y'],
    ['ﬁ', 'fi'],
    ['²', '2'],
    ['°', 'o'],
    ['\t', ' '],
    ['👍', '?'],
    ['👍🏽', '?'],
    ['❤️', '?'],
    ['中', '?'],
    ['\u200B', ''],
    ['e\u0301', 'é'],
  ])('%j -> %j', (input, expected) => {
    expect(transliterateToGsm7(input)).toBe(expected);
  });

  it('keeps the letters GSM-7 has', () => {
    const kept = 'é è ù ì ò à É Ç Ä Ö Ñ Ü ä ö ñ ü ø Ø å Å æ Æ ß € [ ] { } ~ ^ | \\ @ £ $ ¥ § ¿ ¡';
    expect(transliterateToGsm7(kept)).toBe(kept);
  });

  it('rewrites French typography', () => {
    expect(transliterateToGsm7('« Ça commence à 9h30 » – l’équipe… • Être là ? Oui\u202F!')).toBe(
      '" Ça commence à 9h30 " - l\'équipe... - Etre là ? Oui !',
    );
    expect(transliterateToGsm7('Garçon, tête, âge, île, hôtel, août, Noël, maïs, cœur')).toBe(
      'Garcon, tete, age, ile, hotel, aout, Noel, mais, coeur',
    );
  });

  it('always produces GSM-7', () => {
    const samples = [REMINDER, 'Ω≈ç√∫˜µ≤≥÷ 🎉 𝐁𝐨𝐥𝐝 ½ ℃ № ‰ ✓', 'ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸàâäçéèêëîïôöùûüÿ'];
    for (const sample of samples) expect(isGsm7(transliterateToGsm7(sample)), sample).toBe(true);
  });

  it('leaves GSM-7 text untouched', () => {
    const text = 'Réunion lundi à 9h. Répondez 1 ou 2.\nMerci !';
    expect(transliterateToGsm7(text)).toBe(text);
    expect(transliterateToGsm7('')).toBe('');
  });
});

describe('a real French reminder', () => {
  it('costs 3 UCS-2 parts as written, because of the ê in "être"', () => {
    expect(REMINDER).toHaveLength(170);
    expect(countSegments(REMINDER)).toEqual({
      encoding: 'UCS-2',
      parts: 3,
      units: 170,
      remaining: 31,
    });
  });

  it('costs 2 GSM-7 parts once transliterated, keeping é and à', () => {
    const sms = prepareSms(REMINDER, 'transliterate');
    expect(sms.text).toBe(
      "Bonjour Léa, rappel : réunion d'information jeudi 14 mars à 9h30, 12 rue des Halles, Niort. Répondez 1 pour confirmer, 2 si vous ne pouvez pas venir, 3 pour etre rappelé.",
    );
    expect(sms.segments).toEqual({ encoding: 'GSM-7', parts: 2, units: 170, remaining: 136 });
  });

  it('with typographic apostrophe and narrow spaces, still 2 GSM-7 parts after transliteration', () => {
    const typographic = REMINDER.replace("d'information", 'd’information').replace(' :', '\u202F:');
    expect(countSegments(typographic).encoding).toBe('UCS-2');
    expect(prepareSms(typographic, 'transliterate')).toEqual(prepareSms(REMINDER, 'transliterate'));
  });
});

describe('prepareSms', () => {
  it('keeps the text as written under the keep policy', () => {
    expect(prepareSms(REMINDER, 'keep')).toEqual({
      text: REMINDER,
      segments: { encoding: 'UCS-2', parts: 3, units: 170, remaining: 31 },
    });
  });

  it('fits a short accented reminder in one GSM-7 SMS', () => {
    expect(prepareSms('Rappel : rendez-vous à 14h, être à l’heure.', 'transliterate')).toEqual({
      text: "Rappel : rendez-vous à 14h, etre à l'heure.",
      segments: { encoding: 'GSM-7', parts: 1, units: 43, remaining: 117 },
    });
  });

  it('counts an empty text as one part', () => {
    expect(prepareSms('', 'keep').segments).toEqual({
      encoding: 'GSM-7',
      parts: 1,
      units: 0,
      remaining: 160,
    });
  });
});
