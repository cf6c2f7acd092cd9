import type { ErrorCode } from '../core/errors.js';
import type { Code } from '../core/warnings.js';

export interface IngestWarning {
  /** Card-relative path of the file concerned. */
  path: string;
  /** A code of the one vocabulary (core/warnings.ts: each has a hint). */
  code: Code;
  message: string;
}

/** The JSON summary of one ingest run (`outpost ingest --json`). */
export interface IngestSummary {
  card: { id: string; kind: string; label?: string | undefined };
  monitor: string;
  /** New items copied into the library. */
  copied: number;
  /** Files known from the ledger: not read at all. */
  skipped: number;
  /** Files whose bytes were already in the library (another card/folder): recorded as a sighting. */
  duplicates: number;
  /** Files whose item was deleted from the library: not re-imported. */
  tombstoned: number;
  /** Files not copied because the run stopped early (drive full, card removed). */
  notCopied: number;
  /** Card files erased by the clean-up policy. */
  erased: number;
  warnings: IngestWarning[];
  /**
   * Where the new items were filed: each library folder (`MONITOR/DATE`, relative to
   * `library/`) and how many of this run's items went there, in folder order.
   */
  folders: { folder: string; items: number }[];
  bytes: number;
  seconds: number;
  error?: { code: ErrorCode; message: string; hint: string };
}

export type IngestPhase = 'recover' | 'scan' | 'copy' | 'derive' | 'cleanup' | 'done';

export interface IngestProgress {
  phase: IngestPhase;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  current?: string;
}
