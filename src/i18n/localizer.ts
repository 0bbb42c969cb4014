/**
 * The pure side of translations: the `Localizer` the flow engine speaks through and the
 * lookups it needs, given an i18next instance that was loaded elsewhere (index.ts reads
 * locales/ from disk). Nothing here does I/O, so engine/ can import it.
 */
import type { i18n } from 'i18next';

export type { i18n } from 'i18next';

/** The base language: inline flow texts are written in it, and every language falls back to it. */
export const BASE_LANGUAGE = 'fr';
/** Easy-read French ("facile à lire et à comprendre"). */
export const FALC = 'fr-x-falc';
/** Languages every shipped flow must be translated into (checked by flows:check). */
export const REQUIRED_FLOW_LANGUAGES = ['en', FALC] as const;

/** Languages the instance knows (its locales/ folders). */
export function languagesOf(instance: i18n): string[] {
  const supported = instance.options.supportedLngs;
  return Array.isArray(supported)
    ? supported.filter((l) => l !== 'cimode')
    : Object.keys(instance.options.resources ?? {});
}

/**
 * Maps any language tag a person or a channel gives ("fr-FR", "EN", "en-GB", "fr-FALC",
 * "fr-x-falc") to one of the supported languages, or to the base language.
 */
export function languageOf(tag: string | undefined | null, supported?: readonly string[]): string {
  const known = supported ?? [BASE_LANGUAGE, 'en', FALC];
  if (!tag) return BASE_LANGUAGE;
  const t = tag.trim().toLowerCase().replaceAll('_', '-');
  const exact = known.find((k) => k.toLowerCase() === t);
  if (exact) return exact;
  if (/^fr-(?:x-)?(?:falc|facile)$/.test(t) && known.includes(FALC)) return FALC;
  const primary = t.split('-')[0] ?? '';
  return known.includes(primary) ? primary : BASE_LANGUAGE;
}

/** What the engine needs to speak a person's language. Pure once created. */
export interface Localizer {
  /** The person's language, one of the supported ones. */
  lang: string;
  /** A translated flow text (`text`, `say`, `end`, `hint`, `choices.<id>.label`, `labels.min`…), or the inline fallback. */
  flowText(flowId: string, nodeId: string, field: string, fallback: string): string;
  /** The translated keywords of a choice, or the inline fallback. */
  flowKeywords(flowId: string, nodeId: string, choiceId: string, fallback: string[]): string[];
  /** A system text of the engine (locales/<lng>/engine.json), with fallback to French. */
  system(key: string, vars?: Record<string, unknown>): string;
}

/** The translation stored for exactly this language (no fallback), if any. */
export function flowResource(
  instance: i18n,
  lang: string,
  flowId: string,
  nodeId: string,
  field: string,
): unknown {
  return instance.getResource(lang, 'flows', `${flowId}.${nodeId}.${field}`);
}

export function createLocalizer(instance: i18n, lang: string): Localizer {
  const language = languageOf(lang, languagesOf(instance));
  // Flow texts are looked up in the person's exact language only: the base language is the
  // inline YAML text, and fr-x-falc falls back to it (its fallbackLng is fr).
  const t = instance.getFixedT(language, 'engine');
  return {
    lang: language,
    flowText(flowId, nodeId, field, fallback) {
      const v = flowResource(instance, language, flowId, nodeId, field);
      return typeof v === 'string' && v.trim() !== '' ? v : fallback;
    },
    flowKeywords(flowId, nodeId, choiceId, fallback) {
      const v = flowResource(instance, language, flowId, nodeId, `choices.${choiceId}.keywords`);
      return Array.isArray(v) && v.every((k) => typeof k === 'string') ? (v as string[]) : fallback;
    },
    system(key, vars) {
      return t(key, vars as Record<string, string>) as string;
    },
  };
}
