import type { Clock } from '../../adapters/clock.js';

/**
 * The live view of one camera: the latest JPEG and the clients watching it.
 *
 * Every client gets the newest frame and never a backlog: while a client is still sending one
 * frame (its socket has not drained), newer frames replace each other in its one-frame slot, so a
 * tablet on slow Wi-Fi sees fewer frames, not older ones. A client that has received no frame for
 * `idleTimeoutMs` (the camera is down, or the client stopped reading) is ended, so a dead camera
 * or a stuck socket never holds one of the `maxClients` places for long.
 */

export interface LiveFrame {
  readonly jpeg: Buffer;
  /** Wall-clock time the frame reached the hub (ms since the epoch). */
  readonly at: number;
  /** 1, 2, 3, … per hub. */
  readonly seq: number;
}

export type LiveEndReason = 'idle' | 'closed';

/** One watcher (an HTTP response in the server). */
export interface LiveClient {
  /**
   * Write one frame. Call `done` once it is handed over (the socket drained): the client gets no
   * other frame before that; newer ones wait in its one-frame slot.
   */
  send(frame: LiveFrame, done: () => void): void;
  /** The hub ends this client: idle (no frame for idleTimeoutMs) or the hub closed. */
  end(reason: LiveEndReason): void;
}

export interface LiveSubscription {
  /** Stop sending (the client went away); idempotent. */
  unsubscribe(): void;
}

/** Timers the hub uses, passed in so tests run on a fake schedule. */
export interface LiveTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: LiveTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export const DEFAULT_MAX_CLIENTS = 4;
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

export interface LiveHubOptions {
  /** Camera name (for messages). */
  camera: string;
  clock: Clock;
  /** Watchers at once; the next one is refused (the server answers 503). Default 4. */
  maxClients?: number;
  /** End a client that received no frame for this long. Default 10 s. */
  idleTimeoutMs?: number;
  timers?: LiveTimers;
}

interface Watcher {
  client: LiveClient;
  busy: boolean;
  /** The newest frame that arrived while busy. */
  pending: LiveFrame | undefined;
  lastSeq: number;
  timer: unknown;
}

export class LiveHub {
  readonly camera: string;
  readonly maxClients: number;
  readonly idleTimeoutMs: number;
  private readonly clock: Clock;
  private readonly timers: LiveTimers;
  private readonly watchers = new Set<Watcher>();
  private frame: LiveFrame | undefined;
  private runStart: number | null = null;
  private seq = 0;
  private isClosed = false;

  constructor(opts: LiveHubOptions) {
    this.camera = opts.camera;
    this.clock = opts.clock;
    this.maxClients = opts.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.timers = opts.timers ?? realTimers;
    if (!Number.isInteger(this.maxClients) || this.maxClients < 1)
      throw new RangeError('maxClients must be a whole number ≥ 1');
    if (!(this.idleTimeoutMs > 0)) throw new RangeError('idleTimeoutMs must be > 0');
  }

  /** A new frame from the camera: it becomes the latest and goes to every client that is free. */
  push(jpeg: Buffer): LiveFrame {
    const frame: LiveFrame = { jpeg, at: this.clock.now().getTime(), seq: ++this.seq };
    if (this.isClosed) return frame;
    // A gap as long as the idle timeout ended every stream: a new run of frames begins.
    if (!this.frame || frame.at - this.frame.at >= this.idleTimeoutMs) this.runStart = frame.at;
    this.frame = frame;
    for (const w of this.watchers) this.deliver(w, frame);
    return frame;
  }

  /** The newest frame, if any arrived. */
  latest(): LiveFrame | undefined {
    return this.frame;
  }

  /** When the newest frame arrived (ms since the epoch), or null. */
  get lastFrameAt(): number | null {
    return this.frame?.at ?? null;
  }

  /**
   * When the current run of frames began: the first frame after a gap of at least the idle
   * timeout (which ended every live stream). A viewer that connected before it must reconnect.
   */
  get liveSince(): number | null {
    return this.runStart;
  }

  get clients(): number {
    return this.watchers.size;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Add a watcher: `'full'` at maxClients, `'closed'` after close(). It gets the latest frame
   * (when younger than the idle timeout) right after this call returns, never during it, so the
   * caller can send its response head first.
   */
  subscribe(client: LiveClient): LiveSubscription | 'full' | 'closed' {
    if (this.isClosed) return 'closed';
    if (this.watchers.size >= this.maxClients) return 'full';
    const w: Watcher = { client, busy: false, pending: undefined, lastSeq: 0, timer: undefined };
    this.watchers.add(w);
    this.arm(w);
    queueMicrotask(() => {
      const f = this.frame;
      if (
        f &&
        this.watchers.has(w) &&
        w.lastSeq === 0 &&
        this.clock.now().getTime() - f.at < this.idleTimeoutMs
      )
        this.deliver(w, f);
    });
    return { unsubscribe: () => this.remove(w) };
  }

  /** End every client and refuse new ones (the camera stopped for good). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const w of [...this.watchers]) {
      this.remove(w);
      w.client.end('closed');
    }
  }

  private deliver(w: Watcher, frame: LiveFrame): void {
    if (frame.seq <= w.lastSeq) return;
    if (w.busy) {
      w.pending = frame;
      return;
    }
    w.busy = true;
    w.lastSeq = frame.seq;
    let called = false;
    w.client.send(frame, () => {
      if (called) return;
      called = true;
      this.sent(w);
    });
  }

  private sent(w: Watcher): void {
    if (!this.watchers.has(w)) return;
    w.busy = false;
    this.arm(w);
    const next = w.pending;
    w.pending = undefined;
    if (next) this.deliver(w, next);
  }

  /** (Re)start the idle timer: it fires when no frame was handed over for idleTimeoutMs. */
  private arm(w: Watcher): void {
    if (w.timer !== undefined) this.timers.clearTimeout(w.timer);
    w.timer = this.timers.setTimeout(() => {
      if (!this.watchers.has(w)) return;
      this.remove(w);
      w.client.end('idle');
    }, this.idleTimeoutMs);
  }

  private remove(w: Watcher): void {
    if (!this.watchers.delete(w)) return;
    if (w.timer !== undefined) this.timers.clearTimeout(w.timer);
    w.timer = undefined;
    w.pending = undefined;
  }
}
