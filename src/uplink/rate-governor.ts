import { SLICE } from './body.js';
import { ChunkSizer } from './chunk-size.js';
import { Pacer } from './pacer.js';
import { AdaptiveRate } from './throttle/adaptive.js';
import { rateAt, type Timetable } from '../core/timetable.js';
import { TokenBucket } from './throttle/token-bucket.js';
import type { LinkHint } from './throttle/wireless.js';

export interface RateGovernorOptions {
  timetable?: Timetable;
  timeZone?: string;
  adaptive?: boolean;
  chunk?: { targetSeconds?: number; minBytes?: number; maxBytes?: number };
  now: () => number;
  /** Wi-Fi link quality; undefined on wired boxes. */
  readLink?: () => Promise<LinkHint | undefined>;
}

/**
 * How fast and in what sizes the uplink sends: the timetable's limit, under it the adaptive
 * (delay-based) rate and the pacer, enforced by one token bucket; the chunk size from measured
 * throughput and the Wi-Fi link. Fed with each request's measurements.
 */
export class RateGovernor {
  private readonly sizer: ChunkSizer;
  private readonly pacer = new Pacer();
  private readonly adaptive: AdaptiveRate | undefined;
  private tokenBucket: TokenBucket | undefined;
  private linkHint: LinkHint | null = null;
  private lastLinkMs = -Infinity;

  constructor(private readonly o: RateGovernorOptions) {
    this.sizer = new ChunkSizer(o.chunk ?? {});
    this.adaptive = o.adaptive ? new AdaptiveRate({}) : undefined;
  }

  /** The bucket the body draws from; undefined: no limit. */
  get bucket(): TokenBucket | undefined {
    return this.tokenBucket;
  }

  get throughputBps(): number | undefined {
    return this.sizer.throughputBps;
  }

  get link(): LinkHint | null {
    return this.linkHint;
  }

  /** The limit in force now: timetable, under it the adaptive rate. 0 = paused. */
  apply(): number {
    const now = this.o.now();
    const table = this.o.timetable ? rateAt(this.o.timetable, new Date(now), this.o.timeZone) : Infinity;
    if (table === 0) return 0;
    let limit = Math.min(table, this.pacer.rate(this.sizer.throughputBps));
    if (this.adaptive) {
      this.adaptive.setCeiling(table);
      limit = Math.min(limit, this.adaptive.rate);
    }
    // A small burst: whatever the bucket lets out at once sits in socket buffers, and a cut
    // loses it. 50 ms of the rate (at least 32 KiB) absorbs timer lateness, no more.
    const burst = Math.max(32 * 1024, limit * 0.05);
    if (limit === Infinity) this.tokenBucket = undefined;
    else if (!this.tokenBucket)
      this.tokenBucket = new TokenBucket({ rateBps: limit, burstBytes: burst, nowMs: now });
    else if (Math.abs(this.tokenBucket.rate - limit) > 1) this.tokenBucket.setRate(limit, now, burst);
    return limit;
  }

  /** Re-read the Wi-Fi link quality at most every 30 s. */
  async readLink(): Promise<void> {
    if (!this.o.readLink || this.o.now() - this.lastLinkMs < 30_000) return;
    this.lastLinkMs = this.o.now();
    this.linkHint = (await this.o.readLink().catch(() => undefined)) ?? null;
  }

  /** Bytes one request may carry, for `remaining` bytes of a transfer. */
  next(remaining: number): number {
    return this.sizer.next(remaining);
  }

  /** The next request's budget: on a poor Wi-Fi link a cut is likely, and shorter requests lose less. */
  budget(remaining: number): number {
    return Math.max(SLICE, Math.floor(this.sizer.next(remaining) * (this.linkHint === 'poor' ? 0.5 : 1)));
  }

  /** A request with no body queued before it (HEAD, an empty pull): a bare round trip. */
  observeRtt(ms: number): void {
    this.pacer.observeRtt(ms);
  }

  observeStall(): void {
    this.sizer.observeStall();
  }

  /** A request's body of `sent` bytes took `ms`, and its answer came `drainMs` after the last byte. */
  observeChunk(sent: number, ms: number, drainMs: number): void {
    // The link was busy for the whole request but the bare round trip at its end.
    const rtt = Math.min(this.pacer.baseMs ?? 0, drainMs);
    // The last slice was still on its way when the body ended: its own transmission time is
    // not queueing (at 256 kbit/s a 16 KiB slice alone takes 0.5 s).
    const lastSliceMs = this.sizer.throughputBps ? (SLICE * 1000) / this.sizer.throughputBps : 0;
    // A large request sent before the link was measured (unpaced: a bucket's first 5 MiB part)
    // left the queue of an unpaced burst, which says nothing about the headroom: not counted.
    const unpacedBurst = this.tokenBucket === undefined && sent > 1024 * 1024;
    if (!unpacedBurst) this.pacer.observe(Math.max(0, drainMs - lastSliceMs));
    this.sizer.observe(sent, Math.max(ms - rtt, 1));
    this.adaptive?.observe({
      rttMs: drainMs,
      nowMs: this.o.now(),
      ...(ms > 0 ? { deliveredBps: (sent * 1000) / ms } : {}),
    });
  }
}
