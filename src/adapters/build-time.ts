import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Set by scripts/bundle.mjs (esbuild `define`): when the bundle was made, ISO 8601. */
declare const __OUTPOST_BUILD_TIME__: string | undefined;

/**
 * No clock is plausible before this: the day this code was written. npm sets packed files' mtimes
 * to 1985, so a package mtime earlier than this says nothing.
 */
const WRITTEN = Date.parse('2026-12-01T00:00:00Z');

/**
 * When this program was built: a clock before it is wrong (src/core/clock-sanity.ts). The bundle
 * carries its build time; a checkout run with tsx falls back to package.json's mtime (src/adapters
 * and dist/bundle are both two levels below it), and to a constant when that is older.
 */
export function buildTimeMs(): number {
  if (typeof __OUTPOST_BUILD_TIME__ === 'string') {
    const t = Date.parse(__OUTPOST_BUILD_TIME__);
    if (Number.isFinite(t)) return Math.max(t, WRITTEN);
  }
  try {
    const pkg = fileURLToPath(new URL('../../package.json', import.meta.url));
    return Math.max(statSync(pkg).mtimeMs, WRITTEN);
  } catch {
    return WRITTEN;
  }
}
