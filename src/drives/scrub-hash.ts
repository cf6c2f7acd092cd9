/**
 * Read a file once, hashing it, at most at the token bucket's rate and stopping between reads
 * when the signal aborts. The scrub reads whole drives: the throttle keeps the drive free enough
 * for the web app and the uplink, the signal lets the station stop it when a card arrives.
 */
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from '../core/errors.js';
import { hashFileWithSize } from '../library/intake/index.js';
import { TokenBucket } from '../uplink/throttle/token-bucket.js';
import type { FileObservation } from './scrub-plan.js';

const CHUNK = 1024 * 1024;

export interface Throttle {
  /** Wait until `bytes` may be read. Rejects with the signal's reason when aborted. */
  take(bytes: number, signal: AbortSignal | undefined): Promise<void>;
}

export function makeThrottle(bytesPerSecond: number, monoMs: () => number): Throttle {
  if (!(bytesPerSecond < Infinity)) return { take: async (_b, signal) => signal?.throwIfAborted() };
  // Burst of a tenth of a second: a scrub should not read ahead of its rate in big gulps.
  const bucket = new TokenBucket({
    rateBps: bytesPerSecond,
    burstBytes: Math.max(CHUNK, bytesPerSecond / 10),
    nowMs: monoMs(),
  });
  return {
    async take(bytes, signal) {
      signal?.throwIfAborted();
      if (bytes <= 0) return;
      const wait = bucket.take(bytes, monoMs());
      if (wait > 0) await sleep(wait, undefined, signal ? { signal } : undefined);
    },
  };
}

/**
 * Observe one file: missing, unreadable, or its size and (when the size is right) its SHA-256.
 * Abort errors propagate; every other read failure is an observation.
 */
export async function observeFile(
  abs: string,
  expectedSize: number,
  opts: { throttle: Throttle; signal?: AbortSignal | undefined; onBytes?: (n: number) => void },
): Promise<FileObservation> {
  let size: number;
  try {
    size = (await stat(abs)).size;
  } catch (e) {
    const code = errnoCode(e);
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? { kind: 'missing' }
      : { kind: 'unreadable', error: code ?? String(e) };
  }
  if (size !== expectedSize) return { kind: 'read', size };
  try {
    const r = await hashFileWithSize(abs, {
      signal: opts.signal,
      onBytes: opts.onBytes,
      chunkBytes: CHUNK,
      // Charge what this read will return (small files must not pay for a whole chunk).
      beforeRead: (max, offset) => opts.throttle.take(Math.min(max, Math.max(0, size - offset)), opts.signal),
    });
    return { kind: 'read', size, sha256: r.sha256 };
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    return { kind: 'unreadable', error: errnoCode(e) ?? String(e) };
  }
}
