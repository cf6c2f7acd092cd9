import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { WarningCode } from '../core/warnings.js';

/** What is wrong with one file, as the scrub saw it. */
export type ScrubCode = Extract<WarningCode, 'MISSING' | 'SIZE_MISMATCH' | 'CORRUPT' | 'UNREADABLE'>;

/** One damaged file on one drive. */
export interface ScrubFinding {
  /** Item id (SHA-256 of the original). */
  item: string;
  kind: 'original' | 'companion';
  /** Drive-relative path. */
  path: string;
  code: ScrubCode;
  /** The SHA-256 the catalogue records for these bytes. */
  expected: string;
  /** What the file hashed to (absent when it could not be read). */
  actual?: string | undefined;
  detail: string;
}

/** Why a finding could not be repaired from the other drive. */
export type UnrepairedReason =
  /** No partner drive was given / plugged in. */
  | 'PARTNER_ABSENT'
  /** The partner's catalogue has no live copy of the item or companion. */
  | 'NOT_ON_PARTNER'
  /** The partner's copy is missing or does not match the hash either: both copies are bad. */
  | 'PARTNER_BAD'
  /** The repair did not run (`--repair` not given). */
  | 'NOT_ATTEMPTED'
  /** Copying or renaming on the damaged drive failed. */
  | 'WRITE_FAILED';

export interface RepairedFile extends ScrubFinding {
  /** The partner drive's root the good bytes came from. */
  from: string;
  /** Drive-relative path where the corrupt bytes were kept (absent when the file was missing). */
  quarantine?: string | undefined;
}

export interface UnrepairedFile extends ScrubFinding {
  reason: UnrepairedReason;
  why: string;
}

export interface ScrubProgress {
  /** The drive being scrubbed. */
  root: string;
  /** Items of the current cycle checked (including those checked by earlier, interrupted runs). */
  itemsDone: number;
  itemsTotal: number;
  /** Bytes hashed by this run, and the size of what is left of the cycle when it started. */
  bytesDone: number;
  bytesTotal: number;
  /** Drive-relative path being hashed. */
  current?: string | undefined;
}

export interface ScrubOptions {
  /** Hash at most this many bytes a second (token bucket); absent or Infinity: unthrottled. */
  bytesPerSecond?: number | undefined;
  /** Stops between reads; the cursor keeps what was finished and the next run continues. */
  signal?: AbortSignal | undefined;
  onProgress?: ((p: ScrubProgress) => void) | undefined;
  /**
   * true (default): re-check open findings, then continue (or start) the cycle over all items.
   * false: only re-check the files earlier runs found damaged.
   */
  cycle?: boolean | undefined;
  /** Forget the cursor and start the cycle from the first item. */
  restart?: boolean | undefined;
}

export interface ScrubDeps {
  clock: Clock;
  log: Logger;
  /** Monotonic milliseconds for the throttle (default `performance.now`). */
  monoMs?: (() => number) | undefined;
}

/** One drive's scrub run. */
export interface ScrubReport {
  root: string;
  /** Files hashed (originals and companions). */
  checked: number;
  bytes: number;
  /** Damaged files found (new ones, and old ones still damaged). */
  bad: ScrubFinding[];
  /** Files earlier runs found damaged that are right again (restored by hand). */
  resolved: string[];
  /** The cycle reached the last item (the cursor went back to the start). */
  complete: boolean;
  aborted: boolean;
  /** Items of the cycle already done when this run started (> 0: it resumed). */
  resumedAt: number;
  seconds: number;
}

/** What `outpost scrub --json` prints and the station reports. */
export interface ScrubSummary {
  checked: number;
  bytes: number;
  bad: ScrubFinding[];
  repaired: RepairedFile[];
  unrepaired: UnrepairedFile[];
  seconds: number;
  complete: boolean;
  aborted: boolean;
  /** Damaged rows left in the catalogues of the drives scrubbed (what the status shows). */
  openDamage: number;
}
