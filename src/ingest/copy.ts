import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rm, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { driveError, errnoCode } from '../core/errors.js';
import { readablePath } from '../core/file-names.js';

const CHUNK = 4 * 1024 * 1024;

export interface CopyResult {
  tmpPath: string;
  sha256: string;
  bytes: number;
}

/** Errno codes that mean the source medium went away or failed, not the library drive. */
const SOURCE_GONE = new Set(['ENOENT', 'ENODEV', 'ENXIO', 'EIO', 'ESTALE', 'ENOTCONN']);

/** Raised when reading the card fails; `gone` tells the caller to check whether the card is still there. */
export class SourceReadError extends Error {
  /** Readable (src/core/file-names.ts) even when the file was opened by its bytes. */
  readonly path: string;
  constructor(
    path: string | Buffer,
    readonly errno: string | undefined,
    cause: unknown,
  ) {
    const shown = readablePath(path);
    super(`cannot read ${shown}: ${errno ?? String(cause)}`, { cause });
    this.path = shown;
  }
  get maybeGone(): boolean {
    return this.errno !== undefined && SOURCE_GONE.has(this.errno);
  }
}

/**
 * Open a file for reading only if it is a regular file: a device node is never read (/dev/zero
 * never ends), and with O_NONBLOCK a FIFO that took a file's place since the card was scanned
 * opens at once instead of waiting forever for a writer (regular files ignore the flag).
 */
export async function openRegularFile(path: string | Buffer): Promise<FileHandle> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if ((await fh.stat()).isFile()) return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
  await fh.close();
  throw Object.assign(new Error(`${readablePath(path)} is not a regular file`), { code: 'EINVAL' });
}

/**
 * Copy `src` (a path, or its bytes for names that are not UTF-8) into `tmpDir` once, hashing while reading (reads and writes overlap: the next
 * chunk is read while the previous one is written). The copy is fsynced and keeps the source
 * mtime. The caller renames it into place. On any failure the temporary file is removed.
 */
export async function copyAndHash(
  src: string | Buffer,
  tmpDir: string,
  opts: { ext: string; signal?: AbortSignal; onBytes?: (n: number) => void },
): Promise<CopyResult> {
  const tmpPath = join(tmpDir, `${randomBytes(8).toString('hex')}.part.${opts.ext || 'bin'}`);
  const hash = createHash('sha256');
  let input;
  try {
    input = await openRegularFile(src);
  } catch (e) {
    throw new SourceReadError(src, errnoCode(e), e);
  }
  let output;
  try {
    output = await open(tmpPath, 'wx');
  } catch (e) {
    await input.close();
    throw driveError(e, tmpPath);
  }
  let bytes = 0;
  let mtime: Date | undefined;
  let atime: Date | undefined;
  try {
    const st = await input.stat();
    mtime = st.mtime;
    atime = st.atime;
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let i = 0;
    let pending = readChunk(input, bufs[0]!, src);
    for (;;) {
      opts.signal?.throwIfAborted();
      const n = await pending;
      if (n === 0) break;
      const buf = bufs[i]!;
      // Start the write of this chunk and the read of the next on the I/O threads, then hash
      // this chunk on the main thread while both run: hashing overlaps the I/O.
      const writing = writeAll(output, buf, n, tmpPath);
      i = 1 - i;
      pending = readChunk(input, bufs[i]!, src);
      hash.update(buf.subarray(0, n));
      try {
        await writing;
      } catch (e) {
        await pending.catch(() => 0);
        throw e;
      }
      bytes += n;
      opts.onBytes?.(n);
    }
    try {
      await output.sync();
    } catch (e) {
      throw driveError(e, tmpPath);
    }
  } catch (e) {
    await output.close().catch(() => undefined);
    await input.close().catch(() => undefined);
    await rm(tmpPath, { force: true });
    throw e;
  }
  await output.close();
  await input.close();
  if (mtime && atime) await utimes(tmpPath, atime, mtime);
  return { tmpPath, sha256: hash.digest('hex'), bytes };
}

async function readChunk(fh: FileHandle, buf: Buffer, src: string | Buffer): Promise<number> {
  try {
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    return bytesRead;
  } catch (e) {
    throw new SourceReadError(src, errnoCode(e), e);
  }
}

async function writeAll(fh: FileHandle, buf: Buffer, n: number, path: string): Promise<void> {
  let off = 0;
  while (off < n) {
    try {
      const { bytesWritten } = await fh.write(buf, off, n - off);
      off += bytesWritten;
    } catch (e) {
      throw driveError(e, path);
    }
  }
}

/** Hash a whole regular file (verification, rebuild); anything else is an error, never a wait. */
export async function hashFile(path: string | Buffer, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const fh = await openRegularFile(path);
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}
