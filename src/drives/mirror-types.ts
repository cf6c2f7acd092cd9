import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { Code } from '../core/warnings.js';

/** The two drives of a mirror pass, by the order they were given. */
export type Side = 'a' | 'b';

export function otherSide(s: Side): Side {
  return s === 'a' ? 'b' : 'a';
}

export interface MirrorOptions {
  /** This station's node name: the origin of HLC stamps while merging. */
  node: string;
  /** A pass that would delete more than this share of a drive's live items stops (default 0.05). */
  maxDeleteShare: number;
  /** Keep this much free on a receiving drive (bytes); below it the pass stops with DRIVE_FULL. */
  minFreeBytes: number;
  /** Delete even beyond `maxDeleteShare`. */
  force?: boolean | undefined;
  /** Stops the pass between files; the summary then says `aborted` and the next pass resumes. */
  signal?: AbortSignal | undefined;
  onProgress?: ((p: MirrorProgress) => void) | undefined;
}

export interface MirrorDeps {
  clock: Clock;
  log: Logger;
}

export type MirrorPhase = 'prepare' | 'ops' | 'plan' | 'delete' | 'copy' | 'relocate' | 'sidecars' | 'done';

export interface MirrorProgress {
  phase: MirrorPhase;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Drive-relative path being copied. */
  current?: string | undefined;
}

export interface MirrorWarning {
  item: string;
  /** Codes of the one vocabulary (core/warnings.ts, core/errors.ts), each with a hint. */
  code: Extract<
    Code,
    | 'SOURCE_MISSING'
    | 'SOURCE_CORRUPT'
    | 'COMPANION_CONFLICT'
    | 'PATH_CONFLICT'
    | 'RELOCATE_FAILED'
    | 'UNSAFE_PATH'
    | 'OP_INVALID'
    | 'OP_CLOCK_AHEAD'
    | 'OP_FORBIDDEN'
  >;
  message: string;
}

export interface MirrorSummary {
  /** Originals copied from the first drive to the second, and back. */
  copiedAtoB: number;
  copiedBtoA: number;
  /** Ops new to the receiving op log. */
  opsAtoB: number;
  opsBtoA: number;
  /** Originals removed (both drives) because their item was deleted (tombstone). */
  deleted: number;
  /** Bytes written (originals, companions, derivatives). */
  bytes: number;
  seconds: number;
  companions: number;
  derivatives: number;
  /** Tombstone rows given to the drive that never had the item (so it is never imported again). */
  tombstones: number;
  relocated: number;
  sidecars: number;
  /** True when this pass compared the whole catalogues (first pairing of these two drives). */
  full: boolean;
  /** Items looked at (from the change journals, or all of them on a full pass). */
  examined: number;
  aborted: boolean;
  warnings: MirrorWarning[];
}

export function emptySummary(): MirrorSummary {
  return {
    copiedAtoB: 0,
    copiedBtoA: 0,
    opsAtoB: 0,
    opsBtoA: 0,
    deleted: 0,
    bytes: 0,
    seconds: 0,
    companions: 0,
    derivatives: 0,
    tombstones: 0,
    relocated: 0,
    sidecars: 0,
    full: false,
    examined: 0,
    aborted: false,
    warnings: [],
  };
}
