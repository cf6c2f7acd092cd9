import { t, type MessageKey } from './i18n';

/**
 * An INVALID_INPUT's `details.problems` as a person reads them: "Tags (no. 2): too long: at most
 * 64 characters", not "body.tags.1: Too big", in the app's language. Problems the app has no
 * words for keep the server's text.
 */
interface Problem {
  path: string;
  message: string;
}

const PATTERNS: [RegExp, MessageKey][] = [
  [/^too long: at most (\d+) characters$/, 'problems.tooLong'],
  [/^too short: at least (\d+) characters$/, 'problems.tooShort'],
  [/^must not be empty$/, 'problems.empty'],
  [/^too many: at most (\d+)$/, 'problems.tooMany'],
  [/^too few: at least (\d+)$/, 'problems.tooFew'],
  [/^too large: at most (\d+)$/, 'problems.tooLarge'],
  [/^too small: at least (\d+)$/, 'problems.tooSmall'],
  [/^missing$/, 'problems.missing'],
];

const FIELDS = new Set(['event', 'tags', 'notes', 'rating', 'location', 'name', 'password']);

function fieldOf(path: string): string {
  const parts = path.split('.').slice(1); // body. / query. / params.
  const [head, nth] = parts;
  if (!head) return '';
  const name = FIELDS.has(head) ? t(`problems.field.${head}` as MessageKey) : head;
  return nth !== undefined && /^\d+$/.test(nth)
    ? t('problems.nth', { field: name, n: String(Number(nth) + 1) })
    : name;
}

function plain(message: string): string {
  for (const [re, key] of PATTERNS) {
    const m = re.exec(message);
    if (m) return t(key, { n: m[1] ?? '' });
  }
  return message;
}

/** The problems in plain words, or undefined when `details` holds none. */
export function problemsText(details: unknown): string | undefined {
  const list = (details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return (list as Problem[])
    .map((p) => {
      const field = fieldOf(String(p.path));
      return field ? `${field}: ${plain(String(p.message))}` : plain(String(p.message));
    })
    .join('; ');
}
