import { en, es } from './messages/index';

/**
 * Message catalogues (web/src/messages/): Spanish and English. The language is the one the user
 * chose in the app (remembered on this tablet), else the tablet's (navigator.languages): Spanish
 * for any `es-*`, English otherwise. `t(key, vars)` fills `{name}` placeholders.
 */
export type MessageKey = keyof typeof en;

export type Lang = 'en' | 'es';

export const LANGUAGES: { lang: Lang; name: string }[] = [
  { lang: 'en', name: 'English' },
  { lang: 'es', name: 'Español' },
];

const CHOICE_KEY = 'outpost.lang';

/** The language chosen in the app on this tablet, if any. */
function chosen(): Lang | undefined {
  try {
    const v = localStorage.getItem(CHOICE_KEY);
    return LANGUAGES.some((l) => l.lang === v) ? (v as Lang) : undefined;
  } catch {
    return undefined; // storage blocked (private mode)
  }
}

/** Remember `lang` on this tablet and show the app in it (the page reloads: every string follows). */
export function chooseLanguage(lang: Lang): void {
  try {
    localStorage.setItem(CHOICE_KEY, lang);
  } catch {
    /* not remembered: still applied below for this visit */
  }
  document.documentElement.lang = lang;
  location.reload();
}

/** The user's choice, else the tablet's language, among the catalogues there are. */
export function language(langs?: readonly string[]): Lang {
  if (!langs) {
    const c = chosen();
    if (c) return c;
  }
  for (const l of langs ?? navigator.languages ?? [navigator.language]) {
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

/** A number in the user's language (1,234.5 / 1.234,5). */
export function formatNumber(n: number, lang: Lang = language()): string {
  return n.toLocaleString(lang === 'es' ? 'es' : 'en-GB');
}

/** A date and time in the tablet's language and time zone. */
export function formatDateTime(ms: number, lang: Lang = language()): string {
  return new Date(ms).toLocaleString(lang === 'es' ? 'es' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

/** Keys with `.one` and `.other` forms (plural-aware messages, see {@link tn}). */
type PluralKey = { [K in MessageKey]: K extends `${infer B}.one` ? B : never }[MessageKey];

/** A message that depends on a count: the `.one` or `.other` form of `key`, `{n}` filled in. */
export function tn(
  key: PluralKey,
  n: number,
  vars: Record<string, string> = {},
  lang: Lang = language(),
): string {
  const form = new Intl.PluralRules(lang).select(n) === 'one' ? 'one' : 'other';
  return t(`${key}.${form}` as MessageKey, { n: formatNumber(n, lang), ...vars }, lang);
}

/** Whether the catalogue has words for `key` (server values such as phases may be new). */
export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}

/** A calendar date in the user's language (5 Dec 2026 / 5 dic 2026). */
export function formatDate(ms: number, lang: Lang = language()): string {
  return new Date(ms).toLocaleDateString(lang === 'es' ? 'es' : 'en-GB', { dateStyle: 'medium' });
}

/** A size in bytes as people read it (1.2 GB / 1,2 GB). */
export function formatBytes(n: number | null, lang: Lang = language()): string {
  if (n === null) return '?';
  const loc = lang === 'es' ? 'es' : 'en-GB';
  const [v, unit, digits] =
    n >= 1e9 ? [n / 1e9, 'GB', 1] : n >= 1e6 ? [n / 1e6, 'MB', 1] : [n / 1e3, 'kB', 0];
  return `${v.toLocaleString(loc, { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

/** A UTC offset in minutes as a zone name: UTC−5, UTC+5:30, UTC (a real minus sign). */
export function formatUtcOffset(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const sign = minutes < 0 ? '−' : '+';
  const a = Math.abs(minutes);
  const m = a % 60;
  return `UTC${sign}${Math.floor(a / 60)}${m ? `:${String(m).padStart(2, '0')}` : ''}`;
}
