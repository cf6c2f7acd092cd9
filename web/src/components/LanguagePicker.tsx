import { chooseLanguage, language, LANGUAGES, t, type Lang } from '../i18n';

/** The user's language on the login form (before the navigation is shown), remembered on this tablet (the page reloads in it). */
export function LanguagePicker() {
  return (
    <label class="language-picker">
      {t('lang.label')}{' '}
      <select
        name="language"
        value={language()}
        onChange={(e) => chooseLanguage((e.target as HTMLSelectElement).value as Lang)}
      >
        {LANGUAGES.map((l) => (
          <option key={l.lang} value={l.lang} lang={l.lang}>
            {l.name}
          </option>
        ))}
      </select>
    </label>
  );
}
