/**
 * The pure parts of the scrub: when one is due, what a file's observation means. No I/O, no
 * clock: the callers pass `now` (and `scrub.every` in ms, parsed once by the config).
 */
import type { ScrubCode } from './scrub-types.js';

/** What a drive's catalogue remembers of its scrubs (`meta` key `scrub:state`). */
export interface ScrubCycleState {
  /** Last item id whose files were all checked in the current cycle (absent: no cycle open). */
  cursor?: string | undefined;
  /** When the open cycle started. */
  cycleStartedAt?: string | undefined;
  /** When the last cycle reached the end. */
  lastCompletedAt?: string | undefined;
  /** When any scrub run last ended (finished or not). */
  lastRunAt?: string | undefined;
}

/**
 * Is a scrub run due? Yes when a cycle is open (an interrupted run continues), when no cycle
 * ever completed, or when the last one completed at least `everyMs` ago.
 */
export function scrubDue(s: ScrubCycleState, now: Date, everyMs: number): boolean {
  if (s.cursor !== undefined) return true;
  if (!s.lastCompletedAt) return true;
  const last = Date.parse(s.lastCompletedAt);
  if (Number.isNaN(last)) return true;
  return now.getTime() - last >= everyMs;
}

/** When the next cycle starts (for the status page); undefined: due now. */
export function nextScrubAt(s: ScrubCycleState, now: Date, everyMs: number): Date | undefined {
  if (scrubDue(s, now, everyMs)) return undefined;
  return new Date(Date.parse(s.lastCompletedAt!) + everyMs);
}

/** What was seen of one file on disk. */
export type FileObservation =
  | { kind: 'missing' }
  | { kind: 'unreadable'; error: string }
  | { kind: 'read'; size: number; sha256?: string | undefined };

/** Compare a file with what the catalogue says; undefined when it is right. */
export function judgeFile(
  expected: { size: number; sha256: string },
  seen: FileObservation,
): { code: ScrubCode; detail: string; actual?: string } | undefined {
  switch (seen.kind) {
    case 'missing':
      return { code: 'MISSING', detail: 'the file is missing' };
    case 'unreadable':
      return { code: 'UNREADABLE', detail: `the file cannot be read (${seen.error})` };
    case 'read':
      if (seen.size !== expected.size)
        return { code: 'SIZE_MISMATCH', detail: `size ${seen.size}, the catalogue says ${expected.size}` };
      if (seen.sha256 !== undefined && seen.sha256 !== expected.sha256)
        return {
          code: 'CORRUPT',
          actual: seen.sha256,
          detail: `sha256 ${seen.sha256.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…`,
        };
      return undefined;
  }
}

/** `--rate` / `scrub.rateMBps` (decimal megabytes a second) → bytes a second; 0 or less: no limit. */
export function bytesPerSecondOf(mbps: number | undefined): number {
  return mbps === undefined || !(mbps > 0) ? Infinity : mbps * 1e6;
}

/** Where the corrupt bytes of `path` are kept: `.outpost/quarantine/<stamp>/<path>`. */
export function quarantineRelPath(path: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `.outpost/quarantine/${stamp}/${path}`;
}
