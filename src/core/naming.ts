import { OutpostError } from './errors.js';

/**
 * File-name templates for originals. Tokens: {YYYY} {MM} {DD} {HH} {mm} {ss} (capture time,
 * camera local), {hash} (full sha256), {hash16} (first 16 hex), {ext} (lowercase extension),
 * {orig} (original file stem, made safe). A template must include the hash so names are unique.
 */
export const DEFAULT_NAME_TEMPLATE = '{YYYY}{MM}{DD}-{HH}{mm}{ss}_{hash16}.{ext}';

const TOKENS = new Set(['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss', 'hash', 'hash16', 'ext', 'orig']);

/** Returns a list of problems with a template (empty when valid). */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (!TOKENS.has(m[1] ?? '')) problems.push(`unknown token {${m[1]}}`);
  }
  if (!template.includes('{hash}') && !template.includes('{hash16}'))
    problems.push('must contain {hash} or {hash16} so names are unique');
  if (!template.endsWith('.{ext}')) problems.push('must end with .{ext}');
  if (/[/\\]/.test(template)) problems.push('must not contain / or \\');
  return problems;
}

export interface NameInput {
  /** `YYYY-MM-DDTHH:mm:ss` */
  local: string;
  sha256: string;
  ext: string;
  originalStem: string;
}

export function renderName(template: string, input: NameInput): string {
  const [date = '', time = ''] = input.local.split('T');
  const [YYYY = '', MM = '', DD = ''] = date.split('-');
  const [HH = '', mm = '', ss = ''] = time.split(':');
  const values: Record<string, string> = {
    YYYY,
    MM,
    DD,
    HH,
    mm,
    ss,
    hash: input.sha256,
    hash16: input.sha256.slice(0, 16),
    ext: input.ext.toLowerCase(),
    orig: safeSegment(input.originalStem) || 'file',
  };
  return template.replace(/\{([^}]*)\}/g, (_, t: string) => values[t] ?? '');
}

/** Reduce free text to a safe single path segment. */
export function safeSegment(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N} ._-]+/gu, '_')
    .replace(/^[. ]+/, '')
    .replace(/[. ]+$/, '')
    .slice(0, 80);
}

export const UNASSIGNED_MONITOR = '_unassigned';
const MONITOR_RE = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;

/** Monitor names become folder names: validate rather than silently mangle. */
export function validateMonitor(name: string): string {
  const n = name.normalize('NFC').trim();
  if (n === UNASSIGNED_MONITOR) return n;
  if (!MONITOR_RE.test(n) || n.endsWith('.'))
    throw new OutpostError('MONITOR_INVALID', `"${name}" is not a valid monitor name`);
  return n;
}

/** Companion files are stored as `<original name>.<companion ext>`, e.g. `x.jpg.xmp`. */
export function companionName(originalName: string, companionExt: string): string {
  return `${originalName}.${companionExt.toLowerCase()}`;
}
