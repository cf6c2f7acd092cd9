/**
 * Retry pacing for the uplink: exponential backoff with full jitter (AWS "Exponential Backoff
 * and Jitter": delay = random(0, min(cap, base · factor^attempt))), which spreads many stations
 * coming back after an outage; retries never stop (a field station waits for its link as long
 * as it takes). Randomness is passed in so tests are deterministic.
 */

export interface BackoffOptions {
  /** First ceiling, ms. Default 1 s. */
  baseMs?: number;
  /** Largest ceiling, ms. Default 5 min. */
  capMs?: number;
  /** Growth per failure. Default 2. */
  factor?: number;
}

/** A source of uniform numbers in [0, 1), e.g. `Math.random`. */
export type RandomSource = () => number;

/** The jittered delay for the given 0-based attempt. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: RandomSource): number {
  return Math.floor(random() * backoffCeiling(attempt, opts));
}

/** The ceiling of the delay for an attempt: min(cap, base · factor^attempt). */
export function backoffCeiling(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const cap = opts.capMs ?? 5 * 60_000;
  const factor = opts.factor ?? 2;
  // Exponent grows without bound under unlimited retries; Math.min keeps it finite.
  const raw = base * Math.pow(factor, Math.max(0, Math.min(attempt, 1000)));
  return Math.min(cap, Number.isFinite(raw) ? raw : cap);
}

/** Per-transfer (or per-link) backoff state. */
export class Backoff {
  private n = 0;

  constructor(
    private readonly opts: BackoffOptions = {},
    private readonly random: RandomSource = Math.random,
  ) {}

  /** Failures since the last success. */
  get attempts(): number {
    return this.n;
  }

  /** A failure happened: how long to wait before the next try, ms. */
  fail(): number {
    const d = backoffDelay(this.n, this.opts, this.random);
    this.n++;
    return d;
  }

  /** Progress was made: the next failure starts from the base again. */
  reset(): void {
    this.n = 0;
  }
}

export interface StallOptions {
  /** No progress for this long means stalled. Default 60 s. */
  stallTimeoutMs?: number;
  /**
   * Also stalled when progress is this many times slower than `expectedBps`. Default 0 (off).
   * Lets the runner abort a chunk that trickles at 1 % of the link rate without waiting for
   * a full silence.
   */
  slowFactor?: number;
}

export interface StallCheck {
  stalled: boolean;
  /** Time until the chunk counts as stalled if no progress happens, ms (0 when stalled). */
  remainingMs: number;
}

/**
 * Whether an in-flight chunk has stalled. `lastProgressMs` is the time bytes last moved (or the
 * chunk started); `startedMs`, `sentBytes` and `expectedBps` enable the too-slow rule.
 */
export function checkStall(
  p: { nowMs: number; lastProgressMs: number; startedMs?: number; sentBytes?: number; expectedBps?: number },
  opts: StallOptions = {},
): StallCheck {
  const timeout = opts.stallTimeoutMs ?? 60_000;
  const idle = p.nowMs - p.lastProgressMs;
  if (idle >= timeout) return { stalled: true, remainingMs: 0 };
  const slow = opts.slowFactor ?? 0;
  if (slow > 0 && p.startedMs !== undefined && p.expectedBps !== undefined && p.expectedBps > 0) {
    const elapsed = p.nowMs - p.startedMs;
    // Give the rule a full timeout of data first so a slow start is not punished.
    if (elapsed >= timeout) {
      const rate = ((p.sentBytes ?? 0) * 1000) / elapsed;
      if (rate * slow < p.expectedBps) return { stalled: true, remainingMs: 0 };
    }
  }
  return { stalled: false, remainingMs: timeout - idle };
}

/** Pacing of one transfer the target rejected or that failed: from 5 s up to an hour. */
export const TRANSFER_BACKOFF: Readonly<BackoffOptions> = { baseMs: 5000, capMs: 3_600_000 };

/**
 * How long a transfer waits after its `failures`-th failure (1-based), with full jitter so
 * transfers that failed together (HQ refused a batch) do not come back together. At least 1 s:
 * a draw near 0 must not turn a refusing target into a busy loop.
 */
export function transferBackoff(failures: number, random: RandomSource): number {
  return Math.max(1000, backoffDelay(Math.max(0, failures - 1), TRANSFER_BACKOFF, random));
}
