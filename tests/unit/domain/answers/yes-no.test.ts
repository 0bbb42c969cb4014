import { describe, expect, it } from 'vitest';
import { parseYesNo } from '../../../../src/domain/answers/index.js';

describe('parseYesNo in French', () => {
  it.each([
    'oui',
    'Oui',
    'OUI',
    'Oui !',
    'OUI!!',
    ' oui ',
    'oui.',
    'Ouiii',
    'ouii',
    'Ouais',
    'ouai',
    'ouaip',
    'ui',
    'ok',
    'OK',
    'Okay',
    'oké',
    'okkk',
    'oki',
    "d'accord",
    "D'accord",
    'D’accord',
    'd accord',
    'daccord',
    'Dac',
    'dacc',
    'bien sûr',
    'Bien sur !',
    'tout à fait',
    'Tout a fait',
    'exact',
    'Exactement',
    'absolument',
    'ça marche',
    "c'est bon",
    'pas de souci',
    'pas de problème',
    'sans problème',
    'yes',
    'Yesss',
    '👍',
    '👍🏽',
    '👍️',
    '👌',
    '✅',
    '✔️',
    'oui merci',
    'Oui je serai là',
    'ok pas de souci',
    'oui oui',
    'Bonjour, oui !',
    'bien sûr que oui',
    // Typed on a phone: the curly apostrophe, the short form, the "si" of a contradiction.
    'd’acc',
    "D'acc",
    'd’ac',
    'Si',
    'si !',
    'Siii',
    'si si',
    'Mais si !',
    'ben si',
  ])('%j is yes', (input) => {
    expect(parseYesNo(input)).toBe('yes');
  });

  it.each([
    'non',
    'Non',
    'NON',
    'Non !',
    'non.',
    'nonnn',
    'nooon',
    'nan',
    'Nan',
    'nn',
    'no',
    'pas du tout',
    'jamais',
    'Jamais !',
    'absolument pas',
    'pas vraiment',
    'hors de question',
    "pas d'accord",
    'pas d’accord',
    'pas d accord',
    'Pas ok',
    "je ne suis pas d'accord",
    'pas du tout d’accord',
    'pas trop d’accord',
    'pas vraiment ok',
    'non merci',
    'Non, je ne peux pas',
    'bien sûr que non',
    '👎',
    '❌',
    'non non',
  ])('%j is no', (input) => {
    expect(parseYesNo(input)).toBe('no');
  });

  it.each([
    '',
    '   ',
    '!!!',
    'oui mais non',
    'oui non',
    'Non oui',
    'oui / non',
    '👍👎',
    'peut-être',
    'peut être oui',
    'je sais pas',
    'Je ne sais pas',
    'jsp',
    'pas sûr',
    'pas sûre',
    'bof',
    'on verra',
    '1',
    '2',
    'bonjour',
    "n'importe",
    "je n'ai pas compris",
    'pas',
    'sure',
    'yeah',
    'nope',
    // "si" is "if" inside a sentence.
    'si je peux',
    "je viens si c'est le matin",
  ])('%j is unclear', (input) => {
    expect(parseYesNo(input)).toBeUndefined();
  });
});

describe('parseYesNo in English', () => {
  const en = { lang: 'en' };
  it.each([
    'yes',
    'Yeah',
    'yep',
    'yup',
    'sure',
    'Sure!',
    'of course',
    'ok',
    '👍',
    'oui',
    'no problem',
  ])('%j is yes', (input) => {
    expect(parseYesNo(input, en)).toBe('yes');
  });
  it.each(['no', 'Nope', 'nah', 'not at all', 'never', 'not ok', 'non', '❌'])(
    '%j is no',
    (input) => {
      expect(parseYesNo(input, en)).toBe('no');
    },
  );
  it.each(['maybe', 'not sure', "I don't know", 'yes no', ''])('%j is unclear', (input) => {
    expect(parseYesNo(input, en)).toBeUndefined();
  });
  it('treats en-GB as English', () => {
    expect(parseYesNo('yeah', { lang: 'en-GB' })).toBe('yes');
  });
});

describe('parseYesNo language variants', () => {
  it('treats FALC and regional French like French', () => {
    expect(parseYesNo('Ouais', { lang: 'fr-x-falc' })).toBe('yes');
    expect(parseYesNo('nan', { lang: 'fr-FR' })).toBe('no');
    expect(parseYesNo('yeah', { lang: 'fr-x-falc' })).toBeUndefined();
  });
});

describe('parseYesNo with translated keywords', () => {
  it('accepts extra yes and no words', () => {
    const opts = { lang: 'uk', yes: ['так'], no: ['ні'] };
    expect(parseYesNo('Так!', opts)).toBe('yes');
    expect(parseYesNo('ні', opts)).toBe('no');
    expect(parseYesNo('так ні', opts)).toBeUndefined();
  });
  it('still knows French words next to the extra ones', () => {
    expect(parseYesNo('oui', { yes: ['volontiers'] })).toBe('yes');
    expect(parseYesNo('présente', { yes: ['présente'] })).toBe('yes');
    expect(parseYesNo('présente')).toBeUndefined();
  });
  it('matches extra words accent- and case-insensitively', () => {
    expect(parseYesNo('JE VIENDRAI', { yes: ['je viendrai'] })).toBe('yes');
    expect(parseYesNo('Présent', { yes: ['présent'], no: ['absent'] })).toBe('yes');
    expect(parseYesNo('ABSENT', { yes: ['présent'], no: ['absent'] })).toBe('no');
  });
  it('negates extra yes words too', () => {
    expect(parseYesNo('pas présent', { yes: ['présent'] })).toBe('no');
  });
});
