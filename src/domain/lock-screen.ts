// A locked phone shows the first line of a message (Telegram's notification, an SMS
// preview): it must not say which programme the person is in. Flows are checked for it
// (flows:check); this is the last safety net, applied to what is actually sent.

/** Words that name the programme (RSA, allocataire). */
export const EXPOSING = /\b(?:rsa|allocataires?)\b/i;

/** The line a notification shows: the first one that is not blank. */
export function firstVisibleLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}

/** Puts a neutral line first when the first visible line names the programme. */
export function privateFirstLine(text: string, prefix = 'Relais'): string {
  if (!EXPOSING.test(firstVisibleLine(text))) return text;
  // Leading blank lines would push the neutral line itself off the preview.
  return `${prefix}\n${text.replace(/^(?:[ \t]*\r?\n)+/, '')}`;
}
