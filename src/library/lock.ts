import { hostname } from 'node:os';
import { open, readFile, rm } from 'node:fs/promises';
import { OutpostError, errnoCode } from '../core/errors.js';

export interface LibraryLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

/**
 * One writer per library: a lock file holding pid and host. A lock left by a killed process
 * (pid gone) is taken over, so `kill -9` never leaves a library stuck.
 */
export async function acquireLibraryLock(lockFile: string, purpose: string): Promise<LibraryLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(lockFile, 'wx');
      await fh.writeFile(
        JSON.stringify({ pid: process.pid, host: hostname(), purpose, at: new Date().toISOString() }),
      );
      await fh.sync();
      await fh.close();
      return {
        release: async () => {
          await rm(lockFile, { force: true });
        },
      };
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    let holder: { pid?: number; host?: string; purpose?: string } = {};
    try {
      holder = JSON.parse(await readFile(lockFile, 'utf8')) as typeof holder;
    } catch {
      // Empty or torn lock file: its writer died between create and write.
    }
    const sameHost = holder.host === undefined || holder.host === hostname();
    if (holder.pid && sameHost && holder.pid !== process.pid && alive(holder.pid))
      throw new OutpostError(
        'LIBRARY_LOCKED',
        `library is busy: ${holder.purpose ?? 'work'} by pid ${holder.pid}`,
      );
    await rm(lockFile, { force: true });
  }
  throw new OutpostError('LIBRARY_LOCKED', `could not take the library lock ${lockFile}`);
}
