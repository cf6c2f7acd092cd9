/** Hashing a file that is already where it is (verification, rebuild, scrub, uploads). */
import { sharedHashPool, type HashPool } from './hash-pool.js';
import { openRegularFile } from './source.js';
import { pump, type StreamOptions } from './stream.js';

export interface HashOptions extends StreamOptions {
  /** Defaults to the process's pool. */
  pool?: HashPool | undefined;
}

/**
 * SHA-256 (hex) and size of a regular file; anything else (a FIFO, a device) is an error, never
 * a wait. Open and read failures are the file system's errors (errnoCode gives their code).
 */
export async function hashFileWithSize(
  path: string | Buffer,
  opts: HashOptions = {},
): Promise<{ sha256: string; size: number }> {
  const fh = await openRegularFile(path);
  const hasher = (opts.pool ?? sharedHashPool()).hasher();
  try {
    const size = await pump(fh, hasher, (e) => e as Error, undefined, opts);
    return { sha256: await hasher.digest(), size };
  } catch (e) {
    hasher.discard();
    throw e;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** SHA-256 (hex) of a regular file. */
export async function hashFile(path: string | Buffer, opts: HashOptions | AbortSignal = {}): Promise<string> {
  // An AbortSignal alone is accepted: the verification callers only ever pass that.
  const o = opts instanceof AbortSignal ? { signal: opts } : opts;
  return (await hashFileWithSize(path, o)).sha256;
}
