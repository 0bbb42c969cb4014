/**
 * Translations: one i18next instance per service (or per test), loaded synchronously from
 * locales/<lng>/<ns>.json, plus the small pure `Localizer` the flow engine uses.
 *
 * Languages are the folder names under locales/. Easy-read French is `fr-x-falc` (a private-use
 * subtag): a folder named `fr-FALC` would be read by i18next as language `fr`, script `Falc`,
 * and never found, so such folders are refused.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n, type Resource, type ResourceLanguage } from 'i18next';

export type { i18n, i18n as I18n } from 'i18next';

/** The base language: inline flow texts are written in it, and every language falls back to it. */
export const BASE_LANGUAGE = 'fr';
/** Easy-read French ("facile à lire et à comprendre"). */
export const FALC = 'fr-x-falc';
/** Languages every shipped flow must be translated into (checked by flows:check). */
export const REQUIRED_FLOW_LANGUAGES = ['en', FALC] as const;

export const DEFAULT_LOCALES_DIR = fileURLToPath(new URL('../../locales/', import.meta.url));

const LANGUAGE_TAG = /^[a-z]{2,3}(?:-x-[a-z0-9]{1,8}|-[A-Z]{2}|-[0-9]{3})?$/;

/**
 * Loads every locales/<lng>/<ns>.json synchronously into `resources` and initialises a fresh
 * i18next instance. Throws with the file name when a JSON file does not parse.
 */
export async function createI18n(localesDir: string = DEFAULT_LOCALES_DIR): Promise<i18n> {
  const resources: Resource = {};
  const namespaces = new Set<string>();
  if (existsSync(localesDir)) {
    for (const lng of readdirSync(localesDir).sort()) {
      const dir = path.join(localesDir, lng);
      if (!statSync(dir).isDirectory()) continue;
      if (!LANGUAGE_TAG.test(lng)) {
        throw new Error(
          `${dir}: "${lng}" is not a language folder name i18next keeps as is; use e.g. "fr", "en", "pt-BR" or "${FALC}"`,
        );
      }
      const bundle: ResourceLanguage = {};
      for (const file of readdirSync(dir).sort()) {
        if (!file.endsWith('.json')) continue;
        const ns = file.slice(0, -'.json'.length);
        const full = path.join(dir, file);
        try {
          bundle[ns] = JSON.parse(readFileSync(full, 'utf8')) as ResourceLanguage[string];
        } catch (err) {
          throw new Error(`${full}: ${(err as Error).message}`);
        }
        namespaces.add(ns);
      }
      resources[lng] = bundle;
    }
  }
  resources[BASE_LANGUAGE] ??= {};
  const supportedLngs = Object.keys(resources).sort();
  const ns = [...namespaces].sort();
  const instance = i18next.createInstance();
  await instance.init({
    resources,
    supportedLngs,
    fallbackLng: { [FALC]: [BASE_LANGUAGE], default: [BASE_LANGUAGE] },
    lng: BASE_LANGUAGE,
    ns: ns.length > 0 ? ns : ['common'],
    defaultNS: ns.includes('common') ? 'common' : (ns[0] ?? 'common'),
    interpolation: { escapeValue: false },
    returnNull: false,
    initAsync: false,
  });
  return instance;
}

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
