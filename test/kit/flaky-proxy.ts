/**
 * A flaky link for tests: a userspace TCP proxy between a real client (station uplink) and a
 * real server (hq) that behaves like a slow field link — a rate limit shared by all connections
 * in each direction, added one-way latency, cut-offs, stalls, and refusing connections while
 * the "link is down".
 *
 * Data path per connection and direction: read → rate limiter (token bucket shared by the
 * direction, bytes leave in small slices) → delay line (each slice is released `latencyMs`
 * after it passed the limiter, order kept) → write. Reading pauses while more than the bound
 * (one bandwidth-delay product + 64 KiB) is held, and writing waits for `drain`, so memory
 * stays bounded and a slow reader slows the sender, as TCP would.
 *
 * Rates are in **bits** per second here (links are sold in bits: `mbit(2)`, `kbit(256)`).
 */
import { type AddressInfo, type Server, type Socket, createServer, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenBucket } from '../../src/uplink/throttle/token-bucket.js';

export type Direction = 'up' | 'down';

export interface FlakyProxyOptions {
  /** Where connections go (the real server). */
  target: { host: string; port: number };
  /** Link rate, bits per second, both directions. Default Infinity (no limit). */
  rateBitsPerSec?: number;
  /** Rate of the down direction (server → client) when it differs, bits per second. */
  downRateBitsPerSec?: number;
  /** Added one-way delay, ms, applied in each direction (so RTT grows by twice this). Default 0. */
  latencyMs?: number;
  /** Port to listen on (loopback). Default 0: any free port. */
  port?: number;
  /** Host to listen on. Default 127.0.0.1. */
  host?: string;
}

export interface FlakyProxyStats {
  /** Bytes delivered client → server. */
  bytesUp: number;
  /** Bytes delivered server → client. */
  bytesDown: number;
  /** Connections accepted (not counting refused ones). */
  connections: number;
  /** Connections open now. */
  active: number;
  /** Connections refused while the link was down. */
  refused: number;
  /** Cut events (calls of `cut()`, scheduled or not). */
  cuts: number;
  /** Connections destroyed by cuts. */
  connectionsCut: number;
  /** Bytes held inside the proxy now (read but not yet written). */
  buffered: number;
  /** Most bytes ever held at once by one connection direction. */
  maxBuffered: number;
}

export interface FlakyProxy {
  /** Port the proxy listens on. */
  readonly port: number;
  /** Change the rate (bits/s; 0 pauses, Infinity unlimited) of one direction or both. */
  setRate(bitsPerSec: number, dir?: Direction | 'both'): void;
  /** Change the added one-way latency, ms (data already in the delay line keeps its time). */
  setLatency(ms: number): void;
  /** Destroy every live connection now (the link dropped). Returns how many were cut. */
  cut(): number;
  /** Stop forwarding for `ms` (both directions) without closing anything. */
  stall(ms: number): void;
  /**
   * Cut at regular intervals (`everyMs`) or at given offsets from now (ms). Returns a function
   * that cancels the schedule.
   */
  scheduleCuts(when: number | readonly number[]): () => void;
  /** While true, new connections are reset at once (link down); live ones are left alone. */
  refuse(on: boolean): void;
  stats(): FlakyProxyStats;
  /** Stop listening, destroy every connection, cancel timers. */
  close(): Promise<void>;
}

/** bits/s helpers for readable tests: `mbit(2)`, `kbit(256)`. */
export const kbit = (n: number): number => n * 1000;
export const mbit = (n: number): number => n * 1_000_000;

interface Link {
  bucket: TokenBucket;
  /** Bytes per second (Infinity = unlimited). */
  rate: number;
  slice: number;
}

interface Shared {
  links: Record<Direction, Link>;
  latencyMs: number;
  stalledUntil: number;
  counters: { bytesUp: number; bytesDown: number; maxBuffered: number };
}

const now = (): number => performance.now();

function sliceFor(rate: number): number {
  // ~10 ms of traffic per slice: smooth enough for latency measurements, few enough timers.
  if (!Number.isFinite(rate)) return 64 * 1024;
  return Math.max(512, Math.min(16 * 1024, Math.floor(rate / 100)));
}

function makeLink(bitsPerSec: number): Link {
  const rate = bitsPerSec / 8;
  const slice = sliceFor(rate);
  // Burst of a few slices: enough to absorb timer lateness, too little to distort the rate.
  return { bucket: new TokenBucket({ rateBps: rate, burstBytes: 4 * slice, nowMs: now() }), rate, slice };
}

function setLinkRate(link: Link, bitsPerSec: number): void {
  if (Number.isNaN(bitsPerSec) || bitsPerSec < 0) throw new RangeError(`bad rate ${bitsPerSec}`);
  link.rate = bitsPerSec / 8;
  link.slice = sliceFor(link.rate);
  link.bucket.setRate(link.rate, now(), 4 * link.slice);
}

/** One direction of one connection. */
class Pipe {
  private readonly queue: Buffer[] = [];
  private readonly line: { at: number; buf: Buffer }[] = [];
  private held = 0;
  private lastAt = 0;
  private pumping = false;
  private writing = false;
  private srcEnded = false;
  private pausedByUs = false;

  constructor(
    private readonly shared: Shared,
    private readonly dir: Direction,
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly signal: AbortSignal,
  ) {
    src.on('data', (b: Buffer) => {
      this.queue.push(b);
      this.hold(b.length);
      void this.pump();
    });
    src.on('end', () => {
      this.srcEnded = true;
      void this.pump();
    });
  }

  get buffered(): number {
    return this.held;
  }

  private get link(): Link {
    return this.shared.links[this.dir];
  }

  private limit(): number {
    const bdp = Number.isFinite(this.link.rate) ? (this.link.rate * this.shared.latencyMs) / 1000 : 1 << 20;
    return Math.min(16 << 20, (64 << 10) + bdp);
  }

  private hold(n: number): void {
    this.held += n;
    const c = this.shared.counters;
    c.maxBuffered = Math.max(c.maxBuffered, this.held);
    if (this.held > this.limit() && !this.pausedByUs) {
      this.pausedByUs = true;
      this.src.pause();
    }
  }

  private release(n: number): void {
    this.held -= n;
    if (this.pausedByUs && this.held <= this.limit() / 2) {
      this.pausedByUs = false;
      this.src.resume();
    }
  }

  private async waitStall(): Promise<void> {
    for (;;) {
      const w = this.shared.stalledUntil - now();
      if (w <= 0) return;
      await sleep(w, undefined, { signal: this.signal });
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.signal.aborted) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        await this.waitStall();
        const head = this.queue[0] as Buffer;
        const n = Math.min(head.length, this.link.slice);
        let delay = this.link.bucket.take(n, now());
        // Paused link (rate 0): nothing was reserved; look again soon.
        while (delay === Infinity) {
          await sleep(20, undefined, { signal: this.signal });
          delay = this.link.bucket.take(n, now());
        }
        if (delay > 0) await sleep(delay, undefined, { signal: this.signal });
        await this.waitStall();
        const slice = head.subarray(0, n);
        if (n === head.length) this.queue.shift();
        else this.queue[0] = head.subarray(n);
        const at = Math.max(now() + this.shared.latencyMs, this.lastAt);
        this.lastAt = at;
        this.line.push({ at, buf: slice });
        void this.write();
      }
      this.pumping = false;
      // The writer sends the FIN once the delay line is empty.
      if (this.srcEnded) void this.write();
    } catch {
      // Aborted: the connection is gone.
    } finally {
      this.pumping = false;
    }
  }

  private async write(): Promise<void> {
    if (this.writing || this.signal.aborted) return;
    this.writing = true;
    try {
      while (this.line.length > 0) {
        const head = this.line[0] as { at: number; buf: Buffer };
        const wait = Math.max(head.at, this.shared.stalledUntil) - now();
        if (wait > 0) {
          await sleep(wait, undefined, { signal: this.signal });
          continue;
        }
        this.line.shift();
        if (this.dst.destroyed) {
          // The receiver is gone; what was in flight to it is lost, as on a real link.
          this.release(head.buf.length);
          continue;
        }
        const ok = this.dst.write(head.buf);
        if (this.dir === 'up') this.shared.counters.bytesUp += head.buf.length;
        else this.shared.counters.bytesDown += head.buf.length;
        this.release(head.buf.length);
        if (!ok) await this.drained();
      }
      if (this.srcEnded && this.queue.length === 0 && !this.pumping && !this.dst.destroyed) this.dst.end();
    } catch {
      // Aborted.
    } finally {
      this.writing = false;
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.dst.off('drain', done);
        this.dst.off('close', done);
        this.signal.removeEventListener('abort', fail);
        resolve();
      };
      const fail = (): void => {
        this.dst.off('drain', done);
        this.dst.off('close', done);
        reject(new Error('aborted'));
      };
      this.dst.once('drain', done);
      this.dst.once('close', done);
      this.signal.addEventListener('abort', fail, { once: true });
    });
  }
}

class Conn {
  private readonly ac = new AbortController();
  private readonly up: Pipe;
  private readonly down: Pipe;
  closed = false;

  constructor(
    shared: Shared,
    readonly client: Socket,
    readonly upstream: Socket,
    private readonly onClose: (c: Conn) => void,
  ) {
    this.up = new Pipe(shared, 'up', client, upstream, this.ac.signal);
    this.down = new Pipe(shared, 'down', upstream, client, this.ac.signal);
    for (const s of [client, upstream]) {
      s.on('error', () => this.destroy());
      // A clean close of one side must not drop what the other direction still holds in its
      // delay line: that pipe ends its destination when it has flushed.
      s.on('close', (hadError: boolean) => {
        if (hadError || (client.destroyed && upstream.destroyed)) this.destroy();
      });
    }
  }

  get buffered(): number {
    return this.up.buffered + this.down.buffered;
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.ac.abort();
    this.client.destroy();
    this.upstream.destroy();
    this.onClose(this);
  }
}

export async function startFlakyProxy(opts: FlakyProxyOptions): Promise<FlakyProxy> {
  const shared: Shared = {
    links: {
      up: makeLink(opts.rateBitsPerSec ?? Infinity),
      down: makeLink(opts.downRateBitsPerSec ?? opts.rateBitsPerSec ?? Infinity),
    },
    latencyMs: opts.latencyMs ?? 0,
    stalledUntil: 0,
    counters: { bytesUp: 0, bytesDown: 0, maxBuffered: 0 },
  };
  const conns = new Set<Conn>();
  const timers = new Set<NodeJS.Timeout>();
  let refusing = false;
  let connections = 0;
  let refused = 0;
  let cuts = 0;
  let connectionsCut = 0;

  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    if (refusing) {
      refused++;
      // An RST, as close to "connection refused / network unreachable" as an accepted socket gets.
      client.resetAndDestroy();
      return;
    }
    connections++;
    client.setNoDelay(true);
    const upstream = connect({ host: opts.target.host, port: opts.target.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    const conn = new Conn(shared, client, upstream, (c) => conns.delete(c));
    conns.add(conn);
    client.resume();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const cut = (): number => {
    cuts++;
    const n = conns.size;
    connectionsCut += n;
    for (const c of [...conns]) c.destroy();
    return n;
  };

  return {
    port,
    setRate(bitsPerSec, dir = 'both') {
      if (dir !== 'down') setLinkRate(shared.links.up, bitsPerSec);
      if (dir !== 'up') setLinkRate(shared.links.down, bitsPerSec);
    },
    setLatency(ms) {
      if (!(ms >= 0)) throw new RangeError(`bad latency ${ms}`);
      shared.latencyMs = ms;
    },
    cut,
    stall(ms) {
      shared.stalledUntil = Math.max(shared.stalledUntil, now() + ms);
    },
    scheduleCuts(when) {
      const mine: NodeJS.Timeout[] = [];
      if (typeof when === 'number') {
        if (!(when > 0)) throw new RangeError('everyMs must be > 0');
        const t = setInterval(cut, when);
        mine.push(t);
      } else {
        for (const at of when) mine.push(setTimeout(cut, at));
      }
      for (const t of mine) timers.add(t);
      return () => {
        for (const t of mine) {
          clearTimeout(t);
          timers.delete(t);
        }
      };
    },
    refuse(on) {
      refusing = on;
    },
    stats() {
      let buffered = 0;
      for (const c of conns) buffered += c.buffered;
      return {
        bytesUp: shared.counters.bytesUp,
        bytesDown: shared.counters.bytesDown,
        connections,
        active: conns.size,
        refused,
        cuts,
        connectionsCut,
        buffered,
        maxBuffered: shared.counters.maxBuffered,
      };
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of [...conns]) c.destroy();
      await closed;
    },
  };
}
