/**
 * Durations as people write them in the config file, read once at start-up into milliseconds.
 * Pure: no clock, no I/O.
 */

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const EVERY_RE = /^(\d+(?:\.\d+)?)\s*([mhdw])$/;

/**
 * A period such as `scrub.every`: a number of days, or "90m", "12h", "7d", "2w" → milliseconds.
 * Undefined when unreadable (zero and negative periods are unreadable too).
 */
export function parseEvery(v: number | string): number | undefined {
  if (typeof v === 'number') return v > 0 && Number.isFinite(v) ? v * UNIT_MS.d : undefined;
  const m = EVERY_RE.exec(v.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : undefined;
}
