import type { Socket } from 'node:net';
import { procTcpSendQueue, type TcpSendQueueProbe } from '../adapters/tcp-send-queue.js';

/**
 * Limits of the endless responses (live station events, live camera views): how many one user
 * may hold, and how long a client that stopped reading keeps its place.
 */
export interface StreamLimits {
  /** Live station event streams (GET /api/events, server-sent events) one user may hold open. */
  eventStreamsPerUser: number;
  /** Live views of one camera one user may hold open (the Cameras page shows every camera once). */
  liveViewsPerUser: number;
  /** A stream whose client took no byte for this long, while bytes waited for it, is dropped. */
  stallTimeoutMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  // Each open Status or Cameras tab holds one; a browser keeps at most 6 connections to a host.
  eventStreamsPerUser: 4,
  // Two screens per camera; a camera's own live.maxClients (default 4) is shared by all users.
  liveViewsPerUser: 2,
  stallTimeoutMs: 10_000,
};

/** Open streams per key (a user, or user and camera) against a cap. */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('a stream limit must be a whole number ≥ 1');
  }

  /** A place for `key`, or undefined at the cap. Call the returned release once the stream ends (more calls do nothing). */
  take(key: string): (() => void) | undefined {
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) return undefined;
    this.open.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }

  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}

export interface StallWatch {
  /** The stream ended normally: stop watching once its last bytes reached the client. */
  ended(): void;
  /** Stop watching now (the socket closed). */
  stop(): void;
}

/** For a response whose socket is already gone (the client left before the stream began). */
export const NOT_WATCHED: StallWatch = { ended: () => undefined, stop: () => undefined };

export interface StallWatcher {
  /**
   * Watch the socket of a streaming response: `onStall` runs once if its client acknowledges no
   * byte for the stall timeout while bytes wait for it (in Node's buffer or the kernel's).
   */
  watch(socket: Socket, onStall: () => void): StallWatch;
  close(): void;
}

interface Watched {
  socket: Socket;
  id: string | undefined;
  onStall: () => void;
  /** Most bytes the client was seen to have acknowledged. */
  best: number;
  lastProgressAt: number;
  ended: boolean;
}

/**
 * One timer for all the streams of a route. Node's backpressure alone comes too late: the kernel
 * accepts megabytes for a client that stopped reading before a write reports it, so the kernel's
 * own send queue is read too (src/adapters/tcp-send-queue.ts; Node's buffer alone elsewhere).
 */
export function createStallWatcher(o: {
  stallTimeoutMs: number;
  probe?: TcpSendQueueProbe;
  now?: () => number;
}): StallWatcher {
  const probe = o.probe ?? procTcpSendQueue;
  const now = o.now ?? (() => performance.now());
  const watched = new Set<Watched>();
  const tickMs = Math.max(20, Math.min(1000, Math.round(o.stallTimeoutMs / 5)));
  let timer: NodeJS.Timeout | undefined;

  const tick = (): void => {
    const ids = new Set<string>();
    for (const w of watched) if (w.id !== undefined) ids.add(w.id);
    const queues = probe.read(ids);
    const t = now();
    for (const w of watched) {
      if (w.socket.destroyed) {
        watched.delete(w);
        continue;
      }
      // An identified socket missing from /proc has nothing queued any more.
      const kernel = w.id === undefined ? 0 : (queues.get(w.id) ?? 0);
      const buffered = w.socket.writableLength;
      const acked = w.socket.bytesWritten - buffered - kernel;
      const outstanding = buffered + kernel;
      if (outstanding === 0 && w.ended) {
        watched.delete(w);
        continue;
      }
      if (acked > w.best || outstanding === 0) {
        w.best = Math.max(w.best, acked);
        w.lastProgressAt = t;
      } else if (t - w.lastProgressAt >= o.stallTimeoutMs) {
        watched.delete(w);
        w.onStall();
      }
    }
    if (watched.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    watch(socket, onStall) {
      const w: Watched = {
        socket,
        id: probe.identify(socket),
        onStall,
        best: socket.bytesWritten - socket.writableLength,
        lastProgressAt: now(),
        ended: false,
      };
      watched.add(w);
      if (!timer) {
        timer = setInterval(tick, tickMs);
        timer.unref();
      }
      socket.once('close', () => watched.delete(w));
      return {
        ended: () => {
          w.ended = true;
        },
        stop: () => {
          watched.delete(w);
        },
      };
    },
    close() {
      watched.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
