/** Opening what bytes come from (a card, a partner drive, a file on this drive) safely. */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { readablePath } from '../../core/file-names.js';

/** Errno codes that mean the source medium went away or failed, not the library drive. */
const SOURCE_GONE = new Set(['ENOENT', 'ENODEV', 'ENXIO', 'EIO', 'ESTALE', 'ENOTCONN']);

/** Raised when reading the source fails; `maybeGone` tells the caller to check whether the card is still there. */
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
