import { ApiError } from './api';
import { language, t } from './i18n';

/**
 * What to show a person for a failed request, in the app's language: the app's own words for the
 * common cases (offline, session ended, viewer, too many tries, too large, timeout), the field-by-
 * field text of a refused input (api.ts), else the station's message and hint (English: the
 * server has no per-request language).
 */
export function errorText(e: unknown): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  switch (e.code) {
    case 'NETWORK':
      return t('errors.offline');
    case 'UNAUTHENTICATED':
      return t('errors.unauthenticated');
    case 'FORBIDDEN':
      return t('errors.forbidden');
    case 'RATE_LIMITED': {
      const s = /in (\d+) s/.exec(e.message)?.[1];
      return s ? t('errors.rateLimitedIn', { seconds: s }) : t('errors.rateLimited');
    }
    case 'SETUP_CODE_WRONG':
      return t('errors.setupCode');
    case 'PAYLOAD_TOO_LARGE':
      return t('errors.tooLarge');
    case 'REQUEST_TIMEOUT':
      return t('errors.timeout');
    case 'INVALID_INPUT':
      return e.message; // already in the app's words (problemsText) when the station named the fields
    default:
      // In Spanish the station's hint is Spanish (it reads Accept-Language): what to do comes
      // first, the English specifics after it.
      return language() === 'es' ? `${e.hint} (${e.message})`.trim() : `${e.message} ${e.hint}`.trim();
  }
}
