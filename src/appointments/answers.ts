// What a reply to an appointment message means. After a message about one session:
// "1"/OUI confirms, "2"/NON cannot come, "3" asks for a call. After a choice of sessions:
// a letter (A, B, C) chooses, "2"/NON none of these, "3" a call; a "1" there is not read
// as "A" (it is the confirm of the other question). Anything else is free text for the
// référent. Pure.
import { normalizeAnswer, parseChoice, parseYesNo } from '../domain/answers/index.js';
import { tokenize } from '../domain/answers/normalize.js';

export type AppointmentAnswer =
  | { kind: 'confirm' }
  | { kind: 'decline' }
  | { kind: 'call' }
  | { kind: 'choose'; index: number };

const DIGIT: Record<string, AppointmentAnswer> = {
  '1': { kind: 'confirm' },
  '2': { kind: 'decline' },
  '3': { kind: 'call' },
};

// Short words around a digit or letter that do not change it: "1 merci", "c'est le 2".
const FILLERS = new Set([
  'merci',
  'bonjour',
  'bonsoir',
  'ok',
  'le',
  'la',
  'c',
  'est',
  'je',
  'reponse',
  'choix',
  'svp',
  'stp',
  'thanks',
  'thank',
  'you',
]);

function digitAnswer(text: string): AppointmentAnswer | undefined {
  const tokens = tokenize(normalizeAnswer(text)).filter((t) => !FILLERS.has(t));
  if (tokens.length !== 1) return undefined;
  return DIGIT[tokens[0] as string];
}

export function parseAppointmentAnswer(
  text: string,
  awaiting: 'choice' | 'confirm',
  optionCount: number,
  lang = 'fr',
): AppointmentAnswer | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const digit = digitAnswer(trimmed);
  if (awaiting === 'confirm') {
    if (digit) return digit;
    const yn = parseYesNo(trimmed, { lang });
    if (yn === 'yes') return { kind: 'confirm' };
    if (yn === 'no') return { kind: 'decline' };
    return undefined;
  }
  if (digit) return digit.kind === 'confirm' ? undefined : digit;
  if (parseYesNo(trimmed, { lang }) === 'no') return { kind: 'decline' };
  const letters = ['A', 'B', 'C'].slice(0, optionCount);
  const options = letters.map((l) => ({ id: l, label: l }));
  // Letters only: "2" was handled above as the answer "none of these".
  if (/\d/.test(trimmed)) return undefined;
  const chosen = parseChoice(trimmed, options, { letters: true, lang });
  if (!chosen) return undefined;
  return { kind: 'choose', index: letters.indexOf(chosen) };
}

/**
 * Whether `text` is an answer to some appointment question (a confirmation, or a choice
 * among up to three sessions): the cheap test before looking for the person's case.
 */
export function couldBeAppointmentAnswer(text: string, lang = 'fr'): boolean {
  return (
    parseAppointmentAnswer(text, 'confirm', 0, lang) !== undefined ||
    parseAppointmentAnswer(text, 'choice', 3, lang) !== undefined
  );
}
