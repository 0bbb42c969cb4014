// System texts of the conversation layer (locales/<lng>/common.json) and the human
// contact of a person's territory, which every dead end offers.
import type { i18n } from '../i18n/index.js';
import { createLocalizer, type Localizer } from '../i18n/index.js';

export interface HelpContact {
  helpName: string | null;
  helpPhone: string | null;
  helpEmail: string | null;
  helpHours: string | null;
}

export function contactLine(t: HelpContact | null | undefined): string | undefined {
  if (!t) return undefined;
  const parts = [t.helpName, t.helpPhone, t.helpEmail, t.helpHours].filter((p): p is string =>
    Boolean(p?.trim()),
  );
  return parts.length ? parts.join(', ') : undefined;
}

export interface Texts {
  lang: string;
  localizer: Localizer;
  t(key: string, vars?: Record<string, unknown>): string;
}

export function textsFor(instance: i18n, lang: string): Texts {
  const localizer = createLocalizer(instance, lang);
  const fixed = instance.getFixedT(localizer.lang, 'common');
  return {
    lang: localizer.lang,
    localizer,
    t: (key, vars) => fixed(key, vars as Record<string, string>) as string,
  };
}

/** "Pour parler à une personne : …" with the territory's contact, or the generic line. */
export function helpText(texts: Texts, contact: HelpContact | null | undefined): string {
  const line = contactLine(contact);
  return line ? texts.t('help.contact', { contact: line }) : texts.t('help.noContact');
}
