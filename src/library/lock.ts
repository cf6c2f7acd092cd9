import { hostname } from 'node:os';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { OutpostError, errnoCode } from '../core/errors.js';
import { holdExclusiveFile, type ExclusiveFile } from './catalog/exclusive-file.js';

export interface LibraryLock {
  /** True when the previous holder did not release (it was killed): a deeper clean-up is due. */
  readonly previousRunDied: boolean;
  release(): Promise<void>;
}

/**
 * One writer per library, with an OS-level lock: an exclusive SQLite transaction on
 * `.outpost/lock.db` (fcntl byte-range locks). The kernel drops it when the holder dies, so
 * `kill -9` never leaves a library stuck, and two processes can never both hold it (no
 * pid-file races). `<lock>.json` names the holder for the error message and marks a run in
 * progress: when it is still there on acquire, the previous run was killed.
 */
export async function acquireLibraryLock(lockFile: string, purpose: string): Promise<LibraryLock> {
  const infoFile = `${lockFile}.json`;
  let held: ExclusiveFile;
  try {
    held = holdExclusiveFile(`${lockFile}.db`);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      let holder: { pid?: number; purpose?: string } = {};
      try {
        holder = JSON.parse(await readFile(infoFile, 'utf8')) as typeof holder;
      } catch {
        // The holder may not have written its note yet.
      }
      throw new OutpostError(
        'LIBRARY_LOCKED',
        `library is busy: ${holder.purpose ?? 'another outpost process'}${holder.pid ? ` by pid ${holder.pid}` : ''}`,
      );
    }
    if (
      code === 'SQLITE_FULL' ||
      code === 'ENOSPC' ||
      code === 'SQLITE_CANTOPEN' ||
      code === 'SQLITE_READONLY'
    )
      throw new OutpostError(
        code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' ? 'DRIVE_WRITE_ERROR' : 'DRIVE_FULL',
        `cannot lock the library (${code})`,
        { cause: e },
      );
    throw e;
  }
  let previousRunDied = false;
  try {
    await readFile(infoFile);
    previousRunDied = true;
  } catch {
    // no note: the last holder released cleanly
  }
  try {
    await writeFile(
      infoFile,
      JSON.stringify({ pid: process.pid, host: hostname(), purpose, at: new Date().toISOString() }),
    );
  } catch {
    // Only a courtesy for the "busy" message (a full drive must not stop the lock itself).
  }
  return {
    previousRunDied,
    release: async () => {
      await rm(infoFile, { force: true });
      held.release();
    },
  };
}
