import { link, mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OutpostError, driveError, errnoCode } from '../core/errors.js';
import { fsyncDir } from '../adapters/fs-atomic.js';
import { hashFile } from './copy.js';

/**
 * Move a finished temporary copy to its final place without ever overwriting: a hard link
 * fails if the target exists (atomic no-clobber), then the temporary name is dropped.
 * Filesystems without hard links (exFAT via FUSE) fall back to check-then-rename under the
 * library lock. Returns 'adopted' when identical bytes were already there.
 */
export async function placeNoClobber(
  tmpPath: string,
  target: string,
  sha256: string,
): Promise<'placed' | 'adopted'> {
  const dir = dirname(target);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw driveError(e, dir);
  }
  try {
    await link(tmpPath, target);
    await unlink(tmpPath);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EEXIST') return adoptExisting(tmpPath, target, sha256);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV')
      throw driveError(e, target);
    const exists = await stat(target).then(
      () => true,
      () => false,
    );
    if (exists) return adoptExisting(tmpPath, target, sha256);
    try {
      await rename(tmpPath, target);
    } catch (e2) {
      throw driveError(e2, target);
    }
  }
  await fsyncDir(dir);
  return 'placed';
}

async function adoptExisting(tmpPath: string, target: string, sha256: string): Promise<'adopted'> {
  const existing = await hashFile(target);
  await rm(tmpPath, { force: true });
  if (existing !== sha256)
    throw new OutpostError(
      'PLACE_CONFLICT',
      `${target} exists with different content; refusing to overwrite`,
    );
  return 'adopted';
}

export function absolute(root: string, rel: string): string {
  return join(root, rel);
}
