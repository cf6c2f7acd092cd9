import { en, es } from './messages/index';

/**
 * Message catalogues (web/src/messages/): Spanish and English. The language follows the tablet (navigator.languages):
 * Spanish for any `es-*`, English otherwise. `t(key, vars)` fills `{name}` placeholders.
 */
export type MessageKey = keyof typeof en;

export type Lang = 'en' | 'es';

/** The tablet's language, among the catalogues there are. */
export function language(langs: readonly string[] = navigator.languages ?? [navigator.language]): Lang {
  for (const l of langs) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'es') return 'es';
    if (base === 'en') return 'en';
  }
  return 'en';
}

const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { en, es };

export function t(key: MessageKey, vars: Record<string, string> = {}, lang: Lang = language()): string {
  return CATALOGUES[lang][key].replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}

/** A date and time in the tablet's language and time zone. */
export function formatDateTime(ms: number, lang: Lang = language()): string {
  return new Date(ms).toLocaleString(lang === 'es' ? 'es' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}
