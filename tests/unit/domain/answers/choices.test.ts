import { describe, expect, it } from 'vitest';
import {
  type ChoiceOption,
  parseChoice,
  parseChoices,
} from '../../../../src/domain/answers/index.js';

const transport: ChoiceOption[] = [
  { id: 'car', label: 'En voiture' },
  { id: 'bus', label: 'En bus', keywords: ['transport en commun', 'tram'] },
  { id: 'foot', label: 'À pied' },
];

describe('parseChoice by position', () => {
  it.each([
    ['1', 'car'],
    ['1.', 'car'],
    ['1)', 'car'],
    [' 1 ', 'car'],
    ['(1)', 'car'],
    ['- 1', 'car'],
    ['#2', 'bus'],
    ['n°1', 'car'],
    ['N°2', 'bus'],
    ['n° 2', 'bus'],
    ['nº3', 'foot'],
    ['numéro 2', 'bus'],
    ['le 1', 'car'],
    ['la 2', 'bus'],
    ['Le 3 !', 'foot'],
    ['la réponse 3', 'foot'],
    ['je prends la 2', 'bus'],
    ["c'est le 2 merci", 'bus'],
    ['2️⃣', 'bus'],
    ['premier', 'car'],
    ['Le premier', 'car'],
    ['la première', 'car'],
    ['1er', 'car'],
    ['1ère', 'car'],
    ['deuxième', 'bus'],
    ['DEUXIEME', 'bus'],
    ['la deuxième', 'bus'],
    ['second', 'bus'],
    ['la seconde', 'bus'],
    ['2e', 'bus'],
    ['2ème', 'bus'],
    ['2eme', 'bus'],
    ['2nd', 'bus'],
    ['troisième', 'foot'],
    ['3e', 'foot'],
    ['un', 'car'],
    ['Deux', 'bus'],
    ['trois', 'foot'],
    ['la dernière', 'foot'],
  ])('%j -> %s', (input, expected) => {
    expect(parseChoice(input, transport)).toBe(expected);
  });

  it.each(['0', '4', '10', 'quatre', 'quatrième', '1,5', '1 2', '1-3', '', '  ', '?'])(
    '%j -> undefined',
    (input) => {
      expect(parseChoice(input, transport)).toBeUndefined();
    },
  );

  it('reads English ordinals when lang is en', () => {
    expect(parseChoice('second', transport, { lang: 'en' })).toBe('bus');
    expect(parseChoice('the third', transport, { lang: 'en' })).toBe('foot');
    expect(parseChoice('two', transport, { lang: 'en' })).toBe('bus');
    expect(parseChoice('two', transport)).toBeUndefined();
  });
});

describe('parseChoice by wording', () => {
  it.each([
    ['En voiture', 'car'],
    ['en voiture', 'car'],
    ['EN VOITURE !', 'car'],
    ['voiture', 'car'],
    ['Voiture', 'car'],
    ['voit', 'car'],
    ['bus', 'bus'],
    ['à pied', 'foot'],
    ['a pied', 'foot'],
    ['A PIED', 'foot'],
    ['pied', 'foot'],
    ['tram', 'bus'],
    ['transport en commun', 'bus'],
    ['transports', 'bus'],
    ['je viens en voiture', 'car'],
    ['Je viendrai à pied merci', 'foot'],
    ['en bus ou en tram', 'bus'],
    ['ma voiture', 'car'],
  ])('%j -> %s', (input, expected) => {
    expect(parseChoice(input, transport)).toBe(expected);
  });

  it.each([
    // "en" starts two labels.
    'en',
    'vo',
    'le',
    'moto',
    'voiture ou bus',
    'en voiture puis à pied',
    'pas en voiture',
    'sans voiture',
    'pas à pied',
  ])('%j -> undefined', (input) => {
    expect(parseChoice(input, transport)).toBeUndefined();
  });

  it('prefers an exact label over a longer one that contains it', () => {
    const options: ChoiceOption[] = [
      { id: 'day', label: 'Bus de jour' },
      { id: 'bus', label: 'Bus' },
    ];
    expect(parseChoice('bus', options)).toBe('bus');
    expect(parseChoice('bus de', options)).toBe('day');
    expect(parseChoice('jour', options)).toBe('day');
  });

  it('is unclear when several options share the word', () => {
    const options: ChoiceOption[] = [
      { id: 'very', label: 'Très satisfait' },
      { id: 'rather', label: 'Plutôt satisfait' },
      { id: 'not', label: 'Pas satisfait' },
    ];
    expect(parseChoice('satisfait', options)).toBeUndefined();
    expect(parseChoice('très satisfait', options)).toBe('very');
    expect(parseChoice('pas satisfait', options)).toBe('not');
    expect(parseChoice('je suis pas satisfait', options)).toBe('not');
    expect(parseChoice('pas du tout satisfait', options)).toBeUndefined();
    expect(parseChoice('plutot', options)).toBe('rather');
  });

  it('is unclear when two options have the same label or keyword', () => {
    const options: ChoiceOption[] = [
      { id: 'a', label: 'Oui', keywords: ['ok'] },
      { id: 'b', label: 'Plus tard', keywords: ['ok'] },
    ];
    expect(parseChoice('ok', options)).toBeUndefined();
    expect(parseChoice('oui', options)).toBe('a');
  });
});

describe('parseChoice when labels are numbers', () => {
  const children: ChoiceOption[] = [
    { id: 'none', label: '0' },
    { id: 'one', label: '1' },
    { id: 'two', label: '2' },
    { id: 'more', label: '3 ou plus' },
  ];

  it('is unclear when the position and the label disagree', () => {
    expect(parseChoice('1', children)).toBeUndefined();
    expect(parseChoice('2', children)).toBeUndefined();
    expect(parseChoice('3', children)).toBeUndefined();
  });

  it('accepts a number that only one reading allows', () => {
    expect(parseChoice('0', children)).toBe('none');
    expect(parseChoice('4', children)).toBe('more');
    expect(parseChoice('3 ou plus', children)).toBe('more');
    expect(parseChoice('plus', children)).toBe('more');
  });

  it('is unclear when a number is both a position and part of another date', () => {
    const slots: ChoiceOption[] = [
      { id: 'mon', label: 'Lundi 2 mars' },
      { id: 'tue', label: 'Mardi 3 mars' },
    ];
    expect(parseChoice('2', slots)).toBeUndefined();
    expect(parseChoice('1', slots)).toBe('mon');
    expect(parseChoice('mardi', slots)).toBe('tue');
    expect(parseChoice('3', slots)).toBe('tue');
  });
});

describe('parseChoice with letters', () => {
  const letters = { letters: true };
  it.each([
    ['A', 'car'],
    ['a', 'car'],
    ['b', 'bus'],
    ['B.', 'bus'],
    ['c)', 'foot'],
    ['(C)', 'foot'],
    ['réponse b', 'bus'],
    ["c'est la b", 'bus'],
    ["l'option c", 'foot'],
    ['2', 'bus'],
    ['voiture', 'car'],
  ])('%j -> %s', (input, expected) => {
    expect(parseChoice(input, transport, letters)).toBe(expected);
  });

  it.each(['d', 'z', 'ab', 'a b'])('%j -> undefined', (input) => {
    expect(parseChoice(input, transport, letters)).toBeUndefined();
  });

  it('ignores letters unless asked', () => {
    expect(parseChoice('b', transport)).toBeUndefined();
    expect(parseChoice('A', transport)).toBeUndefined();
  });
});

describe('parseChoices', () => {
  const four: ChoiceOption[] = [
    { id: 'cv', label: 'Écrire un CV' },
    { id: 'job', label: 'Chercher un emploi' },
    { id: 'home', label: 'Trouver un logement' },
    { id: 'health', label: 'Santé', keywords: ['médecin'] },
  ];

  it.each([
    ['1', ['cv']],
    ['1 3', ['cv', 'home']],
    ['1  3', ['cv', 'home']],
    ['1,3', ['cv', 'home']],
    ['1, 3', ['cv', 'home']],
    ['1;3', ['cv', 'home']],
    ['1/3', ['cv', 'home']],
    ['1 et 3', ['cv', 'home']],
    ['1 ET 3', ['cv', 'home']],
    ['1 & 3', ['cv', 'home']],
    ['1+3', ['cv', 'home']],
    ['3 et 1', ['cv', 'home']],
    ['3, 1, 3', ['cv', 'home']],
    ['1-3', ['cv', 'job', 'home']],
    ['1 - 3', ['cv', 'job', 'home']],
    ['2–4', ['job', 'home', 'health']],
    ['1 à 3', ['cv', 'job', 'home']],
    ['de 2 à 4', ['job', 'home', 'health']],
    ['la 1 et la 4', ['cv', 'health']],
    ['le premier et le troisième', ['cv', 'home']],
    ['deux et quatre', ['job', 'health']],
    ['1,3,', ['cv', 'home']],
    ['1,,3', ['cv', 'home']],
    ['1, 3.', ['cv', 'home']],
    ['emploi et logement', ['job', 'home']],
    ['santé, CV', ['cv', 'health']],
    ['médecin et logement', ['home', 'health']],
    ['1 et logement', ['cv', 'home']],
    ['tous', ['cv', 'job', 'home', 'health']],
    ['Toutes !', ['cv', 'job', 'home', 'health']],
    ['les 4', ['cv', 'job', 'home', 'health']],
    ['les quatre', ['cv', 'job', 'home', 'health']],
    ['1 2 3 4', ['cv', 'job', 'home', 'health']],
  ])('%j -> %j', (input, expected) => {
    expect(parseChoices(input, four)).toEqual(expected);
  });

  it.each([
    '',
    '   ',
    ',',
    '0',
    '5',
    '1 5',
    '1,5',
    '3-1',
    '1-5',
    '0-2',
    '1 et ?? truc',
    'emploi et moto',
    '13',
    'les deux',
    'les 3',
    'aucun',
    '1 ou 3',
  ])('%j -> undefined', (input) => {
    expect(parseChoices(input, four)).toBeUndefined();
  });

  it('keeps a label that contains "et" whole', () => {
    const meals: ChoiceOption[] = [
      { id: 'both', label: 'Sel et poivre' },
      { id: 'pepper', label: 'Poivre' },
    ];
    expect(parseChoices('sel et poivre', meals)).toEqual(['both']);
    expect(parseChoices('poivre', meals)).toEqual(['pepper']);
    expect(parseChoices('les deux', meals)).toEqual(['both', 'pepper']);
  });

  it('reads letters when asked', () => {
    expect(parseChoices('a c', four, { letters: true })).toEqual(['cv', 'home']);
    expect(parseChoices('A, D', four, { letters: true })).toEqual(['cv', 'health']);
    expect(parseChoices('b et c', four, { letters: true })).toEqual(['job', 'home']);
    expect(parseChoices('a e', four, { letters: true })).toBeUndefined();
    expect(parseChoices('a c', four)).toBeUndefined();
  });

  it('splits on "and" in English', () => {
    expect(parseChoices('1 and 3', four, { lang: 'en' })).toEqual(['cv', 'home']);
    expect(parseChoices('both', four.slice(0, 2), { lang: 'en' })).toEqual(['cv', 'job']);
  });
});
