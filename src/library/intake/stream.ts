/**
 * The one read loop under every hash and copy: reads run ahead into a small ring of buffers
 * while earlier chunks are hashed (on a worker) and written (in order), so the source, the CPU
 * and the destination all work at once. Nothing awaits per chunk except a free buffer.
 *
 * Memory is bounded: SLOTS × chunk per file in flight, from rings reused across files.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Hasher } from './hash-pool.js';

/** 2 MiB reads: large enough that syscalls and worker messages cost nothing next to SHA-256. */
export const CHUNK = 2 * 1024 * 1024;
/** Chunks in flight per file: one being read, the others hashing or being written. */
const SLOTS = 4;
/** Waits on the hasher before a copy counts as faster than one core hashes. */
const HASH_BOUND_WAITS = 4;
/** Rings kept for reuse (each SLOTS × CHUNK of shared memory). */
const SPARE_RINGS = 4;

export interface StreamOptions {
  signal?: AbortSignal | undefined;
  /** Bytes hashed (and written, when copying), chunk by chunk. */
  onBytes?: ((n: number) => void) | undefined;
  /** Awaited before each read with the most it may return and where it reads (the scrub's throttle). */
  beforeRead?: ((max: number, offset: number) => Promise<void>) | undefined;
  /** Smaller reads (a throttled scrub should not gulp 2 MiB at a time). */
  chunkBytes?: number | undefined;
  /**
   * Called once when the reads keep getting a full ring ahead of the hashing (not of the writes: a
   * slow destination is no reason to read more at once): the source is faster than this file's
   * hasher, so another file may start (on another core).
   */
  onSaturated?: (() => void) | undefined;
}

const spare = new Map<number, Buffer[][]>();

function takeRing(chunk: number): Buffer[] {
  const ring = spare.get(chunk)?.pop();
  if (ring) return ring;
  // Shared memory: the hash worker reads the same bytes, nothing is copied to it.
  const sab = new SharedArrayBuffer(chunk * SLOTS);
  return Array.from({ length: SLOTS }, (_, i) => Buffer.from(sab, i * chunk, chunk));
}

function giveRing(chunk: number, ring: Buffer[]): void {
  const list = spare.get(chunk) ?? [];
  if (list.length < SPARE_RINGS) list.push(ring);
  spare.set(chunk, list);
}

/**
 * Read `input` from its position to the end, hash every byte and, with `write`, write them in
 * order. Resolves with the byte count once every chunk is hashed and written; on any failure,
 * waits for what is in flight to settle (the caller may then close the files) and rejects with
 * the first error. `readError` turns a read failure into the caller's error.
 */
export async function pump(
  input: FileHandle,
  hasher: Hasher,
  readError: (e: unknown) => Error,
  write: ((chunk: Buffer) => Promise<void>) | undefined,
  opts: StreamOptions = {},
): Promise<number> {
  const chunk = opts.chunkBytes ?? CHUNK;
  const ring = takeRing(chunk);
  const free = ring.map((_, i) => SLOTS - 1 - i);
  let wake: (() => void) | undefined;
  const waitForSlot = (): Promise<void> => new Promise<void>((r) => (wake = r));
  let failure: { error: unknown } | undefined;
  let outstanding = 0;
  let writing: Promise<void> = Promise.resolve();
  let bytes = 0;
  /** Chunks read and not hashed yet; times the reads waited on a hash backlog. */
  let hashing = 0;
  let hashBound = 0;
  let offset = 0;
  try {
    for (;;) {
      while (free.length === 0 && !failure) {
        // Several waits, not one: a hash worker that is just starting up is not a slow hasher.
        if (hashing >= SLOTS - 1 && ++hashBound === HASH_BOUND_WAITS) opts.onSaturated?.();
        await waitForSlot();
      }
      if (failure) break;
      opts.signal?.throwIfAborted();
      const i = free.pop()!;
      const buf = ring[i]!;
      let n: number;
      try {
        await opts.beforeRead?.(chunk, offset);
        n = (await input.read(buf, 0, chunk, null)).bytesRead;
        offset += n;
      } catch (e) {
        free.push(i);
        throw opts.signal?.aborted ? e : readError(e);
      }
      if (n === 0) {
        free.push(i);
        break;
      }
      const view = buf.subarray(0, n);
      outstanding++;
      hashing++;
      const hashed = hasher.update(view).finally(() => hashing--);
      // Writes chain in file order; after a failed write the rest of the chain never runs.
      const parts = write ? [hashed, (writing = writing.then(() => write(view)))] : [hashed];
      // allSettled: the buffer is free only when both the hash and the write are done with it.
      const done = Promise.allSettled(parts).then((rs) => {
        for (const r of rs) if (r.status === 'rejected') throw r.reason;
      });
      void done
        .then(
          () => {
            bytes += n;
            opts.onBytes?.(n);
          },
          (e: unknown) => {
            failure ??= { error: e };
          },
        )
        .finally(() => {
          outstanding--;
          free.push(i);
          const w = wake;
          wake = undefined;
          w?.();
        });
    }
  } finally {
    // Every chunk started must settle before the ring is reused or the files are closed.
    while (outstanding > 0) await waitForSlot();
    giveRing(chunk, ring);
  }
  if (failure) throw failure.error;
  return bytes;
}
