/**
 * Copy a source file into a drive's `.outpost/tmp`, hashing while streaming (stream.ts: reads,
 * SHA-256 on a worker and writes overlap). The copy keeps the source's mtime. It is made durable
 * (fsync) either at once (copyHashed) or later, in a batch with other files, by the caller
 * (stageCopy → durable()): no file is ever placed before its bytes are on the disk.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { driveError, errnoCode } from '../../core/errors.js';
import { sharedHashPool, type HashPool } from './hash-pool.js';
import { hashFileWithSize } from './hash.js';
import { linkNoClobber } from './place.js';
import { SourceReadError, openRegularFile } from './source.js';
import { pump, type StreamOptions } from './stream.js';

export interface CopyResult {
  tmpPath: string;
  sha256: string;
  bytes: number;
}

/** A copy in tmp whose bytes may not be on the disk yet: exactly one of durable() or discard() follows. */
export interface StagedCopy extends CopyResult {
  /** fsync the copy (a failure is the drive's: DRIVE_FULL / DRIVE_WRITE_ERROR). Idempotent. */
  durable(): Promise<void>;
  /** Close and remove the copy (it failed, or is not wanted). Idempotent; never throws. */
  discard(): Promise<void>;
  /**
   * How it is put at `target` (absolute, never clobbering; the folder is handed to `syncDir`).
   * Absent: a copy in tmp, moved there by placeNoClobber.
   */
  place?(target: string, syncDir: (dir: string) => Promise<void>): Promise<'placed' | 'adopted'>;
  /** Undo place() when the item rolls back. Absent: the placed file is removed. */
  takeBack?(target: string): Promise<void>;
  /** Once the item is committed (a file on the drive removes its old name). */
  consumed?(): Promise<void>;
}

export interface CopyOptions extends StreamOptions {
  /** Extension of the temporary name (`<random>.part.<ext>`), for tools that look at it. */
  ext: string;
  pool?: HashPool | undefined;
}

/**
 * Copy `src` (a path, or its bytes for names that are not UTF-8) into `tmpDir`, hashing; the
 * copy stays open until the caller makes it durable or discards it. On any failure nothing is
 * left behind. Read failures are SourceReadErrors; write failures are the drive's.
 */
export async function stageCopy(
  src: string | Buffer,
  tmpDir: string,
  opts: CopyOptions,
): Promise<StagedCopy> {
  const tmpPath = join(tmpDir, `${randomBytes(8).toString('hex')}.part.${opts.ext || 'bin'}`);
  let input: FileHandle;
  try {
    input = await openRegularFile(src);
  } catch (e) {
    throw new SourceReadError(src, errnoCode(e), e);
  }
  let output: FileHandle;
  try {
    output = await open(tmpPath, 'wx');
  } catch (e) {
    await input.close();
    throw driveError(e, tmpPath);
  }
  const hasher = (opts.pool ?? sharedHashPool()).hasher();
  const writeback = new Writeback(output);
  let sha256: string;
  let bytes: number;
  try {
    const st = await input.stat();
    bytes = await pump(
      input,
      hasher,
      (e) => new SourceReadError(src, errnoCode(e), e),
      async (chunk) => {
        await writeAll(output, chunk, tmpPath);
        writeback.wrote(chunk.length);
      },
      opts,
    );
    sha256 = await hasher.digest();
    await output.utimes(st.atime, st.mtime);
  } catch (e) {
    hasher.discard();
    await writeback.settled().catch(() => undefined);
    await output.close().catch(() => undefined);
    await input.close().catch(() => undefined);
    await rm(tmpPath, { force: true });
    throw e;
  }
  await input.close().catch(() => undefined);
  return staged(tmpPath, sha256, bytes, output, writeback);
}

/**
 * A finished file that is already on the library drive (the recorder's segments and motion clips
 * in `.outpost/rec/`), taken in where it is: hashed in place, fsynced (its writer, ffmpeg, never
 * does), hard-linked at its target (not one byte copied; a filesystem without hard links renames
 * it), and only removed once the item is committed. Until then the file is its owner's journal:
 * discard() and a rollback leave it where it was, so the next pass places it again.
 */
export async function stageOnDrive(
  path: string,
  opts: { pool?: HashPool | undefined } = {},
): Promise<StagedCopy> {
  const { sha256, size } = await hashFileWithSize(path, { pool: opts.pool });
  // Set when the filesystem has no hard links and the file was renamed to its target.
  let movedTo: string | undefined;
  return {
    tmpPath: path,
    sha256,
    bytes: size,
    async durable() {
      if (movedTo) return;
      let fh: FileHandle | undefined;
      try {
        fh = await open(path, 'r');
        await fh.sync();
      } catch (e) {
        throw driveError(e, path);
      } finally {
        await fh?.close().catch(() => undefined);
      }
    },
    async discard() {},
    async place(target, syncDir) {
      const r = await linkNoClobber(path, target, { sha256, sameInode: true, syncDir });
      if (
        !(await stat(path).then(
          () => true,
          () => false,
        ))
      )
        movedTo = target;
      return r === 'linked' ? 'placed' : 'adopted';
    },
    async takeBack(target) {
      if (movedTo === target) {
        await rename(target, path);
        movedTo = undefined;
      } else await rm(target, { force: true });
    },
    async consumed() {
      await rm(path, { force: true });
    },
  };
}

/** Copy, hash and fsync in one step (the copy is durable when this resolves). */
export async function copyHashed(
  src: string | Buffer,
  tmpDir: string,
  opts: CopyOptions,
): Promise<CopyResult> {
  const s = await stageCopy(src, tmpDir, opts);
  try {
    await s.durable();
  } catch (e) {
    await s.discard();
    throw e;
  }
  return { tmpPath: s.tmpPath, sha256: s.sha256, bytes: s.bytes };
}

/**
 * The written copy, open until it is synced: fsync through the descriptor that wrote it, since a
 * new descriptor opened after a failed writeback may never hear of the error.
 */
function staged(
  tmpPath: string,
  sha256: string,
  bytes: number,
  fh: FileHandle,
  writeback: Writeback,
): StagedCopy {
  let state: 'open' | 'synced' | 'discarded' = 'open';
  let syncing: Promise<void> | undefined;
  return {
    tmpPath,
    sha256,
    bytes,
    durable() {
      if (state === 'discarded') return Promise.reject(new Error(`${tmpPath} was discarded`));
      syncing ??= (async () => {
        try {
          await writeback.settled();
          await fh.sync();
        } catch (e) {
          throw driveError(e, tmpPath);
        }
        state = 'synced';
        await fh.close().catch(() => undefined);
      })();
      return syncing;
    },
    async discard() {
      if (state === 'discarded') return;
      const wasOpen = state === 'open';
      state = 'discarded';
      await syncing?.catch(() => undefined);
      await writeback.settled().catch(() => undefined);
      if (wasOpen) await fh.close().catch(() => undefined);
      await rm(tmpPath, { force: true });
    },
  };
}

/** Bytes written between early writebacks. */
const WRITEBACK_BYTES = 32 * 1024 * 1024;

/**
 * Starts the disk on a copy's bytes while later ones still arrive (a datasync every 32 MiB, one
 * at a time, never awaited by the copy), so the final fsync has little left to wait for and dirty
 * pages never pile up. An error it meets is kept for durable(): the kernel reports a writeback
 * error to a descriptor once, so the final fsync alone might not see it.
 */
class Writeback {
  private since = 0;
  private running: Promise<void> | undefined;
  private error: { e: unknown } | undefined;

  constructor(private readonly fh: FileHandle) {}

  wrote(n: number): void {
    this.since += n;
    if (this.since < WRITEBACK_BYTES || this.running) return;
    this.since = 0;
    this.running = this.fh
      .datasync()
      .catch((e: unknown) => void (this.error ??= { e }))
      .finally(() => (this.running = undefined));
  }

  /** Resolves when no early writeback runs; rejects with the first error one met. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
    if (this.error) throw this.error.e;
  }
}

async function writeAll(fh: FileHandle, buf: Buffer, path: string): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    try {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    } catch (e) {
      throw driveError(e, path);
    }
  }
}
