import type { z } from 'zod';

/**
 * Free text Outpost keeps (attributes, names) travels through JSON, SQLite (UTF-8) and XMP
 * sidecars that exiftool and a rebuild read back. Characters that cannot make that trip are
 * refused where text comes in, so what a rebuild reads from the sidecars is what was stored:
 * - C0 controls (XML 1.0 cannot carry them; tab and newline can, and are allowed in multi-line
 *   text such as notes), DEL and C1 controls (invisible, and hostile to terminals and logs);
 * - U+FFFE and U+FFFF (not characters; XML 1.0 excludes them);
 * - lone surrogates (a JavaScript string can hold one, UTF-8 cannot: SQLite would store bytes
 *   that are not UTF-8 and the sidecar writer would drop them).
 * Pure.
 */

/** A code point no stored text may contain (tab and newline aside, see {@link textProblem}). */
export function isUnsafeCodePoint(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0xfffe || cp === 0xffff;
}

const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

export interface TextRules {
  /** Tab and newline allowed (multi-line text: notes). */
  multiline?: boolean;
}

/** Why `s` may not be stored as text, naming the first offending character; undefined when it may. */
export function textProblem(s: string, rules: TextRules = {}): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c < 0xd800)) continue;
    const at = `at character ${i + 1}`;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `must not contain a lone surrogate (${hex(c)} ${at}): not valid Unicode text`;
    }
    if (c >= 0xdc00 && c <= 0xdfff)
      return `must not contain a lone surrogate (${hex(c)} ${at}): not valid Unicode text`;
    if (rules.multiline && (c === 0x09 || c === 0x0a)) continue;
    if (c === 0xfffe || c === 0xffff) return `must not contain the noncharacter ${hex(c)} (${at})`;
    if (isUnsafeCodePoint(c))
      return `must not contain control characters${rules.multiline ? ' other than tab and newline' : ''} (${hex(c)} ${at})`;
  }
  return undefined;
}

/**
 * A zod refinement refusing what {@link textProblem} refuses, so a schema names the field:
 * `z.string().superRefine(storableText())`.
 */
export function storableText(rules: TextRules = {}): (s: string, ctx: z.RefinementCtx) => void {
  return (s, ctx) => {
    const problem = textProblem(s, rules);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}
