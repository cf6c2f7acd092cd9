/**
 * SHA-256 on a small pool of worker threads. A Raspberry Pi 4 hashes ~150 MB/s per core, slower
 * than a USB 3 SSD reads: hashing on the main thread would cap every copy at one core and stall
 * the event loop that drives the reads, writes and fsyncs. Each hash stream lives on one worker
 * (SHA-256 is sequential), so several files in flight use several cores, and the main thread
 * only moves buffers.
 *
 * Buffers travel as views of a SharedArrayBuffer (no copy); the caller must not touch a buffer
 * until `update` resolves. An idle worker never keeps a process alive, and stops after a while, so
 * a resident station does not hold its memory between cards.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** An incremental SHA-256 whose work may happen off the main thread. */
export interface Hasher {
  /** Add `buf` (a view of a SharedArrayBuffer); resolves once `buf` may be reused. */
  update(buf: Uint8Array): Promise<void>;
  /** The hex digest; the hasher is finished. */
  digest(): Promise<string>;
  /** Forget the state (the copy failed); no digest follows. */
  discard(): void;
}

/** The worker: one SHA-256 state per stream id, answers every message in order. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const streams = new Map();
parentPort.on('message', (m) => {
  let h = streams.get(m.id);
  if (m.op === 'update') {
    if (!h) streams.set(m.id, (h = createHash('sha256')));
    h.update(new Uint8Array(m.buf, m.off, m.len));
    parentPort.postMessage({ id: m.id });
  } else if (m.op === 'digest') {
    streams.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: (h ?? createHash('sha256')).digest('hex') });
  } else streams.delete(m.id);
});
`;

type Reply = { id: number; hex?: string };
type Waiter = { resolve: (r: Reply) => void; reject: (e: Error) => void };

/** Stop an idle worker after this long (a card every few minutes should not pay a start each). */
const IDLE_MS = 20_000;

class HashWorker {
  readonly worker: Worker;
  /** Replies come in message order per stream: one FIFO of waiters per stream id. */
  private readonly waiting = new Map<number, Waiter[]>();
  streams = 0;
  dead = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly onExit: (w: HashWorker) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, name: 'outpost-sha256' });
    this.worker.on('message', (r: Reply) => {
      const q = this.waiting.get(r.id);
      const w = q?.shift();
      if (q && q.length === 0) this.waiting.delete(r.id);
      w?.resolve(r);
    });
    const fail = (e: Error): void => {
      for (const q of this.waiting.values()) for (const w of q) w.reject(e);
      this.waiting.clear();
      this.retire();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`hash worker exited (${code})`)));
    // After the listeners (adding one refs the worker again): idle, it never keeps a process alive.
    this.worker.unref();
  }

  send(msg: {
    op: 'update' | 'digest' | 'discard';
    id: number;
    buf?: ArrayBufferLike;
    off?: number;
    len?: number;
  }): Promise<Reply> {
    if (this.dead) return Promise.reject(new Error('hash worker is gone'));
    if (msg.op === 'discard') {
      this.worker.postMessage(msg);
      return Promise.resolve({ id: msg.id });
    }
    return new Promise<Reply>((resolve, reject) => {
      const q = this.waiting.get(msg.id);
      if (q) q.push({ resolve, reject });
      else this.waiting.set(msg.id, [{ resolve, reject }]);
      this.worker.postMessage(msg);
    });
  }

  /** Busy, the worker keeps the process alive: a reply it owes must not be lost to an exit. */
  opened(): void {
    if (this.streams++ === 0) this.worker.ref();
    clearTimeout(this.idleTimer);
  }

  closed(): void {
    this.streams--;
    if (this.streams > 0 || this.dead) return;
    this.worker.unref();
    this.idleTimer = setTimeout(() => {
      this.retire();
      void this.worker.terminate();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  /** Out of the pool at once: nothing new is sent to a worker that is stopping. */
  private retire(): void {
    clearTimeout(this.idleTimer);
    if (this.dead) return;
    this.dead = true;
    this.onExit(this);
  }
}

/**
 * A pool of hash workers. `size` 0 hashes on the calling thread (and is what the pool falls back
 * to when a worker cannot start).
 */
export class HashPool {
  private readonly workers: HashWorker[] = [];
  private nextId = 1;
  private broken = false;

  constructor(readonly size: number) {}

  /** A hasher on the least busy worker (a new one while the pool is not full). */
  hasher(): Hasher {
    const w = this.size > 0 && !this.broken ? this.pick() : undefined;
    return w ? pooledHasher(w, this.nextId++) : localHasher();
  }

  /**
   * Start the workers now (a copy that starts before its worker is up looks hash-bound for a
   * moment); idle, they stop again after a while.
   */
  warm(): void {
    while (!this.broken && this.workers.length < this.size) {
      const w = this.spawn();
      if (!w) return;
      w.opened();
      w.closed();
    }
  }

  private spawn(): HashWorker | undefined {
    try {
      const w = new HashWorker((gone) => {
        const i = this.workers.indexOf(gone);
        if (i >= 0) this.workers.splice(i, 1);
      });
      this.workers.push(w);
      return w;
    } catch {
      // No threads on this system (or out of them): hash on the main thread from now on.
      this.broken = this.workers.length === 0;
      return undefined;
    }
  }

  private pick(): HashWorker | undefined {
    let best = this.workers.reduce<HashWorker | undefined>(
      (a, b) => (a === undefined || b.streams < a.streams ? b : a),
      undefined,
    );
    if ((!best || best.streams > 0) && this.workers.length < this.size) best = this.spawn() ?? best;
    return best;
  }
}

function pooledHasher(w: HashWorker, id: number): Hasher {
  w.opened();
  let open = true;
  const close = (): void => {
    if (open) w.closed();
    open = false;
  };
  return {
    async update(buf) {
      await w.send({ op: 'update', id, buf: buf.buffer, off: buf.byteOffset, len: buf.byteLength });
    },
    async digest() {
      try {
        const r = await w.send({ op: 'digest', id });
        return r.hex!;
      } finally {
        close();
      }
    },
    discard() {
      if (open) void w.send({ op: 'discard', id }).catch(() => undefined);
      close();
    },
  };
}

/** SHA-256 on the calling thread, with the same interface. */
export function localHasher(): Hasher {
  const h = createHash('sha256');
  return {
    update: async (buf) => void h.update(buf),
    digest: async () => h.digest('hex'),
    discard: () => undefined,
  };
}

/**
 * One hasher per core, at most four: the main thread mostly waits on I/O, so on a Pi 4 four
 * files can hash at once (4 × ~150 MB/s, more than a USB 3 SSD gives).
 */
export function defaultHashThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

let shared: HashPool | undefined;

/** The process's hash pool. */
export function sharedHashPool(): HashPool {
  shared ??= new HashPool(defaultHashThreads());
  return shared;
}
