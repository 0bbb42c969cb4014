/** GSM 03.38 default alphabet, in table order (0x00-0x7F); ESC (0x1B) is left out. */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table: each costs an escape septet plus its own, 2 septets in all. */
const EXTENSION = '\f^{}\\[~]|€';

const BASIC_SET = new Set(BASIC);
const EXTENSION_SET = new Set(EXTENSION);

/** Septets a character costs in GSM-7, or undefined when GSM-7 cannot carry it. */
export function gsm7Septets(char: string): 1 | 2 | undefined {
  if (BASIC_SET.has(char)) return 1;
  if (EXTENSION_SET.has(char)) return 2;
  return undefined;
}

/** Is every character in the GSM 03.38 basic set or extension table? */
export function isGsm7(text: string): boolean {
  for (const char of text) {
    if (gsm7Septets(char) === undefined) return false;
  }
  return true;
}
