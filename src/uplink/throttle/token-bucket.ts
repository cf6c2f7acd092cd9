/**
 * Token bucket rate limiter with debt: `take()` always reserves the bytes and answers how long
 * to wait before sending them. Reserving up front keeps several writers sharing one bucket in
 * order (first to ask, first to go) and makes the long-run rate exact even when timers fire late:
 * tokens accrue from the real clock, up to `burst`.
 *
 * Rates are bytes per second. `0` pauses (take answers Infinity and reserves nothing; ask again
 * after the rate changes). `Infinity` is unlimited.
 */

export interface TokenBucketOptions {
  /** Bytes per second; 0 = paused, Infinity = unlimited. */
  rateBps: number;
  /**
   * Most bytes that may go out back-to-back after an idle spell. Default: a quarter second at
   * the rate, at least 16 KiB (small enough that a 256 kbit/s link is not flooded after idling).
   */
  burstBytes?: number;
  /** Time of creation, ms; the bucket starts full. */
  nowMs: number;
}

const MIN_BURST = 16 * 1024;

export class TokenBucket {
  private rateBps: number;
  private burst: number;
  private fixedBurst: number | undefined;
  private tokens: number;
  private last: number;

  constructor(opts: TokenBucketOptions) {
    checkRate(opts.rateBps);
    this.rateBps = opts.rateBps;
    this.fixedBurst = opts.burstBytes;
    if (this.fixedBurst !== undefined && !(this.fixedBurst > 0))
      throw new RangeError('burstBytes must be > 0');
    this.burst = this.burstFor(this.rateBps);
    this.tokens = this.burst;
    this.last = opts.nowMs;
  }

  get rate(): number {
    return this.rateBps;
  }

  get burstBytes(): number {
    return this.burst;
  }

  /**
   * Change the rate from `nowMs` on; tokens earned so far are kept, debt is repaid at the new
   * rate. `burstBytes` replaces the burst too (otherwise a default burst follows the rate).
   */
  setRate(rateBps: number, nowMs: number, burstBytes?: number): void {
    checkRate(rateBps);
    if (burstBytes !== undefined && !(burstBytes > 0)) throw new RangeError('burstBytes must be > 0');
    this.refill(nowMs);
    this.rateBps = rateBps;
    if (burstBytes !== undefined) this.fixedBurst = burstBytes;
    this.burst = this.burstFor(rateBps);
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** Tokens available now (negative while in debt). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /**
   * Reserve `bytes` and return the delay in ms before they may be sent: 0 when within budget,
   * Infinity when paused (nothing reserved). Large takes are allowed; the caller just waits
   * longer, but taking in small slices (e.g. 16 KiB) gives a smoother stream.
   */
  take(bytes: number, nowMs: number): number {
    if (!(bytes > 0)) return 0;
    if (this.rateBps === Infinity) return 0;
    if (this.rateBps === 0) return Infinity;
    this.refill(nowMs);
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rateBps;
  }

  /** Delay before `bytes` could be taken without debt, without reserving anything. */
  delayFor(bytes: number, nowMs: number): number {
    if (!(bytes > 0) || this.rateBps === Infinity) return 0;
    if (this.rateBps === 0) return Infinity;
    this.refill(nowMs);
    const short = bytes - this.tokens;
    return short <= 0 ? 0 : (short * 1000) / this.rateBps;
  }

  private refill(nowMs: number): void {
    const dt = nowMs - this.last;
    // A clock that steps back must not mint or destroy tokens.
    if (dt > 0) {
      if (this.rateBps === Infinity) this.tokens = this.burst;
      else this.tokens = Math.min(this.burst, this.tokens + (dt * this.rateBps) / 1000);
    }
    this.last = Math.max(this.last, nowMs);
  }

  private burstFor(rate: number): number {
    if (this.fixedBurst !== undefined) return this.fixedBurst;
    if (!Number.isFinite(rate)) return MIN_BURST;
    return Math.max(MIN_BURST, rate / 4);
  }
}

function checkRate(rate: number): void {
  if (Number.isNaN(rate) || rate < 0) throw new RangeError(`rate must be >= 0 bytes/s, got ${rate}`);
}
