/**
 * Translations: one i18next instance per service (or per test), loaded synchronously from
 * locales/<lng>/<ns>.json. The pure `Localizer` the flow engine uses is in localizer.ts.
 *
 * Languages are the folder names under locales/. Easy-read French is `fr-x-falc` (a private-use
 * subtag): a folder named `fr-FALC` would be read by i18next as language `fr`, script `Falc`,
 * and never found, so such folders are refused.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n, type Resource, type ResourceLanguage } from 'i18next';
import { BASE_LANGUAGE, FALC } from './localizer.js';

export type { i18n, i18n as I18n } from 'i18next';
export {
  BASE_LANGUAGE,
  createLocalizer,
  FALC,
  flowResource,
  type Localizer,
  languageOf,
  languagesOf,
  REQUIRED_FLOW_LANGUAGES,
} from './localizer.js';

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
