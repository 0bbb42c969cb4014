import { describe, expect, it } from 'vitest';
import { parseKeyword } from '../../../../src/domain/answers/index.js';

describe('parseKeyword', () => {
  it.each([
    ['stop', 'stop'],
    ['STOP', 'stop'],
    ['Stop', 'stop'],
    ['STOP!', 'stop'],
    ['stop.', 'stop'],
    [' stop ', 'stop'],
    ['Stop SMS', 'stop'],
    ['STOP  SMS', 'stop'],
    ['stop-sms', 'stop'],
    // Read as a request rather than a question: opting out must never be missed.
    ['Stop ?', 'stop'],
    ['arrêt', 'stop'],
    ['ARRET', 'stop'],
    ['Arret !', 'stop'],
    ['désinscription', 'stop'],
    ['desinscription', 'stop'],
    ['unsubscribe', 'stop'],
    ['start', 'start'],
    ['START', 'start'],
    ['start sms', 'start'],
    ['Reprendre', 'start'],
    ['aide', 'help'],
    ['Aide ?', 'help'],
    ['AIDE', 'help'],
    ['help', 'help'],
    ['info', 'help'],
    ['Infos', 'help'],
    ['?', 'help'],
    ['??', 'help'],
    [' ? ', 'help'],
    ['quitter', 'leave'],
    ['Quitter', 'leave'],
    ['sortir', 'leave'],
    ['fin', 'leave'],
    ['FIN', 'leave'],
    ['quit', 'leave'],
    ['exit', 'leave'],
    ['annuler', 'leave'],
    ['Annuler.', 'leave'],
  ])('%j -> %s', (input, expected) => {
    expect(parseKeyword(input)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    '!',
    "je veux de l'aide pour le logement",
    "j'ai besoin d'aide",
    'stop le bruit',
    'ne pas stop',
    'stopper',
    'arrêtez de m envoyer des messages',
    'infos sur le rendez-vous',
    'la fin du mois',
    'oui',
    '1',
    'constructor',
    '__proto__',
  ])('%j -> undefined', (input) => {
    expect(parseKeyword(input)).toBeUndefined();
  });
});
