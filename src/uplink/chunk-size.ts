/**
 * Adaptive chunk size: each chunk should take about `targetSeconds` on the link (issue 4:
 * "about 10–30 s of transfer, bounded"). Long enough that per-request overhead and the RTT
 * of a slow link are small against it; short enough that a cut-off loses little and that a
 * newly important item waits at most one chunk.
 *
 * The throughput estimate is an EWMA that falls fast and rises slowly: when the link drops,
 * the next chunk must already fit the new rate, or it would run for minutes and hit the stall
 * timeout; when it improves, growing a bit later costs little.
 */

export interface ChunkSizerOptions {
  /** Wanted duration of one chunk. Default 15 s. */
  targetSeconds?: number;
  /** Smallest chunk. Default 64 KiB. */
  minBytes?: number;
  /** Largest chunk. Default 64 MiB. */
  maxBytes?: number;
  /** Chunk used before any measurement. Default 256 KiB (about 8 s at 256 kbit/s). */
  initialBytes?: number;
  /** EWMA weight of a new sample when it is above the estimate. Default 0.25. */
  riseWeight?: number;
  /** EWMA weight of a new sample when it is below the estimate. Default 0.7. */
  fallWeight?: number;
  /** Chunks are rounded down to a multiple of this. Default 16 KiB. */
  alignBytes?: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export class ChunkSizer {
  private readonly target: number;
  private readonly min: number;
  private readonly max: number;
  private readonly initial: number;
  private readonly rise: number;
  private readonly fall: number;
  private readonly align: number;
  private estimate: number | undefined;

  constructor(opts: ChunkSizerOptions = {}) {
    this.target = opts.targetSeconds ?? 15;
    this.min = opts.minBytes ?? 64 * KiB;
    this.max = opts.maxBytes ?? 64 * MiB;
    this.initial = opts.initialBytes ?? 256 * KiB;
    this.rise = opts.riseWeight ?? 0.25;
    this.fall = opts.fallWeight ?? 0.7;
    this.align = opts.alignBytes ?? 16 * KiB;
    if (!(this.target > 0)) throw new RangeError('targetSeconds must be positive');
    if (!(this.min > 0 && this.max >= this.min)) throw new RangeError('need 0 < minBytes <= maxBytes');
    for (const [k, w] of [
      ['riseWeight', this.rise],
      ['fallWeight', this.fall],
    ] as const) {
      if (!(w > 0 && w <= 1)) throw new RangeError(`${k} must be in (0, 1]`);
    }
  }

  /** Smoothed throughput in bytes/s, or undefined before the first sample. */
  get throughputBps(): number | undefined {
    return this.estimate;
  }

  /**
   * Feed one measurement: `bytes` went out in `elapsedMs` (a whole chunk, or the part of a
   * chunk that made it before a cut). Samples under 50 ms are ignored: they measure buffers,
   * not the link. So are small sends (under `minBytes`) that took less than a second: a 10 KB
   * thumbnail's time is the round trip and the server's work, not the link's rate, and taking
   * it as the rate would pace the next original at a few KB/s (seen on a busy machine).
   */
  observe(bytes: number, elapsedMs: number): void {
    if (!(elapsedMs >= 50) || !(bytes >= 0)) return;
    if (bytes < this.min && elapsedMs < 1000) return;
    const sample = (bytes * 1000) / elapsedMs;
    // Under half the estimate is a new state of the link, not noise: a chunk just took twice
    // its target, so size the next one for the rate measured.
    if (this.estimate === undefined || sample < this.estimate / 2) this.estimate = sample;
    else {
      const w = sample < this.estimate ? this.fall : this.rise;
      this.estimate += w * (sample - this.estimate);
    }
  }

  /**
   * A chunk timed out or stalled: the link is much worse than estimated. Halve the estimate
   * (or start from the minimum when there is none) so the retry is small.
   */
  observeStall(): void {
    this.estimate = this.estimate === undefined ? this.min / this.target : this.estimate / 2;
  }

  /** Forget the link (e.g. a different interface came up). */
  reset(): void {
    this.estimate = undefined;
  }

  /** Size of the next chunk; never more than `remaining` when given (a last chunk may be small). */
  next(remaining?: number): number {
    const raw = this.estimate === undefined ? this.initial : this.estimate * this.target;
    let size = Math.min(this.max, Math.max(this.min, raw));
    size = Math.max(this.min, Math.floor(size / this.align) * this.align);
    size = Math.min(size, this.max);
    if (remaining !== undefined) size = Math.min(size, Math.max(0, remaining));
    return size;
  }
}
