/**
 * Pacing: send at about the rate the link delivers, not as fast as the socket accepts.
 *
 * Bytes written faster than the link carries them wait in socket buffers and router queues;
 * when the link is cut they are lost and must be sent again, and while they wait, a rated
 * photo queues behind them. So each request is paced at the measured throughput times
 * (1 + headroom). The headroom follows the queue the last request built: the time from its
 * last byte to HQ's answer ("drain"), above the smallest drain seen (the bare round trip).
 * A long drain means we ran ahead of the link: less headroom. A short one: more, so a faster
 * link is found within a few chunks. Pure: fed with measurements, no clock.
 */
export interface PacerOptions {
  /** Queueing delay at the end of a request that is fine. Default 150 ms. */
  targetQueueMs?: number;
  /** Headroom bounds. Defaults -0.05 and 0.15. */
  minHeadroom?: number;
  maxHeadroom?: number;
  /** Headroom at start. Default 0.15. */
  initialHeadroom?: number;
  /** Drains remembered for the base round trip. Default 30. */
  window?: number;
}

export class Pacer {
  private readonly target: number;
  private readonly min: number;
  private readonly max: number;
  private readonly window: number;
  private h: number;
  private readonly drains: number[] = [];

  constructor(o: PacerOptions = {}) {
    this.target = o.targetQueueMs ?? 150;
    this.min = o.minHeadroom ?? -0.05;
    // 0.15: enough to find a faster link within a few chunks; more leaves seconds of queue
    // (lost at each cut) at the end of a 15 s request.
    this.max = o.maxHeadroom ?? 0.15;
    this.h = o.initialHeadroom ?? 0.15;
    this.window = o.window ?? 30;
  }

  get headroom(): number {
    return this.h;
  }

  /** The smallest drain remembered: the round trip without a queue. */
  get baseMs(): number | undefined {
    return this.drains.length ? Math.min(...this.drains) : undefined;
  }

  /** One finished request's drain time. Returns the queueing delay it showed. */
  observe(drainMs: number): number {
    if (!(drainMs >= 0) || !Number.isFinite(drainMs)) return 0;
    this.drains.push(drainMs);
    if (this.drains.length > this.window) this.drains.shift();
    const queue = drainMs - (this.baseMs ?? drainMs);
    if (queue > 2 * this.target) this.h = Math.max(this.min, this.h - 0.1);
    else if (queue > this.target) this.h = Math.max(this.min, this.h - 0.03);
    else if (queue < this.target / 2) this.h = Math.min(this.max, this.h + 0.03);
    return queue;
  }

  /**
   * The round trip of a small request sent on an idle link (HEAD, /have, /ops): a sample of the
   * base round trip only, headroom untouched. Needed because a request body's drain always
   * includes the queue it built: on a slow link every drain can carry seconds of queue, and the
   * smallest of them alone would be taken for the round trip (measured: 3 s at 256 kbit/s with a
   * 300 ms round trip), so the queue is never seen and the throughput is overestimated.
   * A small request can only overstate the round trip, which the minimum ignores.
   */
  observeRtt(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    this.drains.push(ms);
    if (this.drains.length > this.window) this.drains.shift();
  }

  /** Pace for the next request, bytes/s: Infinity until the link was measured once. */
  rate(throughputBps: number | undefined): number {
    if (throughputBps === undefined || !(throughputBps > 0)) return Infinity;
    return throughputBps * (1 + this.h);
  }
}
