import { normalizeAnswer } from './normalize.js';

export type Keyword = 'stop' | 'start' | 'help' | 'leave';

const KEYWORDS = new Map<string, Keyword>([
  ['stop', 'stop'],
  ['stop sms', 'stop'],
  ['arret', 'stop'],
  ['arret sms', 'stop'],
  ['desinscription', 'stop'],
  ['unsubscribe', 'stop'],
  ['start', 'start'],
  ['start sms', 'start'],
  ['reprendre', 'start'],
  ['aide', 'help'],
  ['help', 'help'],
  ['info', 'help'],
  ['infos', 'help'],
  ['quitter', 'leave'],
  ['sortir', 'leave'],
  ['fin', 'leave'],
  ['quit', 'leave'],
  ['exit', 'leave'],
  ['annuler', 'leave'],
]);

/**
 * Is this answer a keyword, and which? Only when the whole message is the keyword, so
 * "je veux de l'aide pour le logement" stays an answer.
 */
export function parseKeyword(input: string): Keyword | undefined {
  // Normalizing strips punctuation, which would erase a message that is only "?".
  if (/^\s*[?¿]+\s*$/.test(input)) return 'help';
  // "STOP-SMS" and "stop_sms" are typed too.
  const text = normalizeAnswer(input).replace(/[-_]/g, ' ').replace(/\s+/g, ' ');
  return KEYWORDS.get(text);
}
