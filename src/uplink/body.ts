import { open } from 'node:fs/promises';
import type { TokenBucket } from './throttle/token-bucket.js';

/** Bytes per slice handed to the socket: small enough to throttle smoothly and stop quickly. */
export const SLICE = 16 * 1024;

export interface BodyOptions {
  path: string;
  start: number;
  /** Most bytes this request may carry (the chunk size). */
  budget: number;
  /** Shared throttle; absent: no limit. */
  bucket?: TokenBucket;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Asked between slices: true ends the request early (a more important transfer is waiting). */
  shouldYield?: () => boolean;
  /** Bytes that go out before `shouldYield` is first asked (no thrashing on tiny requests). */
  minBytes?: number;
  /** Called with each slice's size as it is handed to the socket. */
  onSlice?: (bytes: number) => void;
}

/**
 * A request body read from a file range, slice by slice: throttled by the token bucket, and
 * ending early when asked to yield. The request is sent with chunked encoding, so ending
 * early is clean: HQ keeps what arrived and answers with the new offset.
 */
export async function* fileBody(o: BodyOptions): AsyncGenerator<Buffer> {
  const fh = await open(o.path, 'r');
  try {
    let pos = o.start;
    let sent = 0;
    const buf = Buffer.allocUnsafe(SLICE);
    while (sent < o.budget) {
      if (sent >= (o.minBytes ?? SLICE) && o.shouldYield?.()) return;
      const want = Math.min(SLICE, o.budget - sent);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) return;
      if (o.bucket) {
        const wait = o.bucket.take(bytesRead, o.now());
        if (wait === Infinity) return; // paused by the timetable: end this request here
        if (wait > 0) await o.sleep(wait);
      }
      pos += bytesRead;
      sent += bytesRead;
      o.onSlice?.(bytesRead);
      // A copy: the socket may still hold the previous slice when the buffer is reused.
      yield Buffer.from(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}
