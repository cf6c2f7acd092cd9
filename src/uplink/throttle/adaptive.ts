/**
 * A LEDBAT-like rate controller (RFC 6817, rate-based instead of window-based): the uplink
 * should use the spare capacity of the office's link without making everyone else's traffic
 * wait. Queueing delay (RTT above the base RTT) tells us that a queue is building in the modem;
 * we keep it under a target.
 *
 * - base RTT: the minimum over the last `baseWindowMs`, kept as per-minute minima so an old
 *   minimum ages out (a route change can raise the true base);
 * - current delay: the minimum of the last few samples, which filters out one-off spikes;
 * - below the target: grow additively, in proportion to how far below (LEDBAT's off_target);
 * - above the target: cut multiplicatively, at most once per `cutIntervalMs` so a burst of
 *   samples from one queue does not collapse the rate;
 * - bounded by a ceiling (the timetable's limit or the configured rate) and a floor.
 *
 * Pure: feed samples with their times; read `rate`.
 */

export interface AdaptiveRateOptions {
  /** Wanted queueing delay. Default 100 ms (LEDBAT's target). */
  targetDelayMs?: number;
  /** How long a base-RTT minimum is remembered. Default 10 min. */
  baseWindowMs?: number;
  /** Samples in the current-delay filter (their minimum is used). Default 4. */
  currentSamples?: number;
  /** Growth per second when far below target, bytes/s per s. Default 16 KiB/s per s. */
  increaseBpsPerSec?: number;
  /** Factor applied on a cut. Default 0.7. */
  decreaseFactor?: number;
  /** Shortest time between two cuts. Default 1000 ms. */
  cutIntervalMs?: number;
  /** Never go below this, bytes/s. Default 4 KiB/s (the link must still carry something). */
  minRateBps?: number;
  /** Starting rate, bytes/s. Default 64 KiB/s. */
  initialRateBps?: number;
  /** Upper bound, bytes/s (the timetable's limit; Infinity = none). Default Infinity. */
  ceilingBps?: number;
}

export interface RttSample {
  rttMs: number;
  nowMs: number;
  /**
   * Throughput actually delivered around this sample, bytes/s, if known. Growth stops at twice
   * this: a limit far above what the link carries limits nothing and would take many cuts to
   * come back down.
   */
  deliveredBps?: number;
}

const MINUTE = 60_000;

export class AdaptiveRate {
  private readonly target: number;
  private readonly baseWindow: number;
  private readonly nCurrent: number;
  private readonly increase: number;
  private readonly decrease: number;
  private readonly cutInterval: number;
  private readonly floor: number;
  private ceiling: number;
  private current: number;
  private readonly baseHistory: { minute: number; min: number }[] = [];
  private readonly recent: number[] = [];
  private lastSampleMs: number | undefined;
  private lastCutMs = Number.NEGATIVE_INFINITY;

  constructor(opts: AdaptiveRateOptions = {}) {
    this.target = opts.targetDelayMs ?? 100;
    this.baseWindow = opts.baseWindowMs ?? 10 * MINUTE;
    this.nCurrent = opts.currentSamples ?? 4;
    this.increase = opts.increaseBpsPerSec ?? 16 * 1024;
    this.decrease = opts.decreaseFactor ?? 0.7;
    this.cutInterval = opts.cutIntervalMs ?? 1000;
    this.floor = opts.minRateBps ?? 4 * 1024;
    this.ceiling = opts.ceilingBps ?? Infinity;
    if (!(this.decrease > 0 && this.decrease < 1)) throw new RangeError('decreaseFactor must be in (0, 1)');
    if (!(this.target > 0)) throw new RangeError('targetDelayMs must be positive');
    this.current = this.clamp(opts.initialRateBps ?? 64 * 1024);
  }

  /** The rate to use now, bytes/s. */
  get rate(): number {
    return this.current;
  }

  /** The lowest RTT seen in the window, or undefined before any sample. */
  get baseRttMs(): number | undefined {
    let min: number | undefined;
    for (const b of this.baseHistory) if (min === undefined || b.min < min) min = b.min;
    return min;
  }

  /** Queueing delay estimate (current filtered RTT minus base), ms. */
  get queueDelayMs(): number | undefined {
    const base = this.baseRttMs;
    if (base === undefined || this.recent.length === 0) return undefined;
    return Math.min(...this.recent) - base;
  }

  /** Change the ceiling (e.g. the timetable moved on); the rate is clamped at once. */
  setCeiling(ceilingBps: number): void {
    if (Number.isNaN(ceilingBps) || ceilingBps < 0) throw new RangeError('ceilingBps must be >= 0');
    this.ceiling = ceilingBps;
    this.current = this.clamp(this.current);
  }

  /** Feed one RTT measurement; returns the new rate. */
  observe(s: RttSample): number {
    if (!(s.rttMs >= 0) || !Number.isFinite(s.rttMs)) return this.current;
    this.recordBase(s.rttMs, s.nowMs);
    this.recent.push(s.rttMs);
    if (this.recent.length > this.nCurrent) this.recent.shift();
    const dtSec =
      this.lastSampleMs === undefined ? 0 : Math.max(0, Math.min(5_000, s.nowMs - this.lastSampleMs)) / 1000;
    this.lastSampleMs = s.nowMs;
    const queue = this.queueDelayMs ?? 0;
    if (queue > this.target) {
      if (s.nowMs - this.lastCutMs >= this.cutInterval) {
        this.current = this.clamp(this.current * this.decrease);
        this.lastCutMs = s.nowMs;
      }
    } else {
      const offTarget = (this.target - queue) / this.target; // 0 … 1
      let next = this.current + this.increase * offTarget * dtSec;
      if (s.deliveredBps !== undefined && s.deliveredBps > 0)
        next = Math.min(next, Math.max(this.current, 2 * s.deliveredBps));
      this.current = this.clamp(next);
    }
    return this.current;
  }

  private clamp(r: number): number {
    // A ceiling of 0 (paused) wins over the floor: the timetable said "not now".
    if (this.ceiling === 0) return 0;
    return Math.min(this.ceiling, Math.max(this.floor, r));
  }

  private recordBase(rtt: number, nowMs: number): void {
    const minute = Math.floor(nowMs / MINUTE);
    const last = this.baseHistory[this.baseHistory.length - 1];
    if (last && last.minute === minute) last.min = Math.min(last.min, rtt);
    else this.baseHistory.push({ minute, min: rtt });
    const oldest = Math.floor((nowMs - this.baseWindow) / MINUTE);
    while (this.baseHistory.length > 1 && (this.baseHistory[0] as { minute: number }).minute < oldest)
      this.baseHistory.shift();
  }
}
