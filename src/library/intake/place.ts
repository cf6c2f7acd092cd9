/**
 * Putting bytes at their place in the library without ever overwriting: a hard link fails when
 * the target exists (atomic no-clobber). Filesystems without hard links (exFAT via FUSE) fall
 * back to check-then-rename, safe under the library lock.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fsyncDir } from '../../adapters/fs-atomic.js';
import { OutpostError, driveError, errnoCode } from '../../core/errors.js';
import { hashFile } from './hash.js';

export interface PlaceOptions {
  /** How the target's folder is fsynced (a DirSyncer batches them); default: one fsync now. */
  syncDir?: ((dir: string) => Promise<void>) | undefined;
}

/** Errors of link(2) that mean "this filesystem has no hard links", not a real failure. */
function noHardLinks(code: string | undefined): boolean {
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV';
}

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * Move a finished, durable temporary copy to its final place without ever overwriting, then drop
 * the temporary name and fsync the folder. Returns 'adopted' when identical bytes were already
 * there; throws PLACE_CONFLICT when other bytes are (the temporary copy is removed either way).
 */
export async function placeNoClobber(
  tmpPath: string,
  target: string,
  sha256: string,
  opts: PlaceOptions = {},
): Promise<'placed' | 'adopted'> {
  const r = await linkNoClobber(tmpPath, target, { sha256, move: true, ...opts });
  return r === 'linked' ? 'placed' : 'adopted';
}

/**
 * Hard-link `from` at `to`, never replacing another file. An existing `to` is fine when it holds
 * the same bytes (`sha256`) or is the very same file (`sameInode`); otherwise PLACE_CONFLICT.
 * With `move`, `from` is removed afterwards (and where there are no hard links it is renamed).
 * Without `move`, a filesystem without hard links still gets the file by rename (the caller's
 * source is then gone, which its journal must allow: the recorder's segment files) unless
 * `rename` is false, when that is an error (a move that must keep the old name until it commits).
 * The folder is fsynced unless `syncDir` is false (the caller syncs it once for many links).
 */
export async function linkNoClobber(
  from: string,
  to: string,
  opts: {
    sha256?: string | undefined;
    sameInode?: boolean | undefined;
    move?: boolean | undefined;
    rename?: boolean | undefined;
    syncDir?: ((dir: string) => Promise<void>) | false | undefined;
  },
): Promise<'linked' | 'adopted'> {
  const dir = dirname(to);
  const syncDir = opts.syncDir === false ? undefined : (opts.syncDir ?? fsyncDir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw driveError(e, dir);
  }
  try {
    await link(from, to);
    if (opts.move) await unlink(from);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EEXIST') return adoptExisting(from, to, opts);
    if (!noHardLinks(code) || opts.rename === false) throw driveError(e, to);
    if (await exists(to)) return adoptExisting(from, to, opts);
    try {
      await rename(from, to);
    } catch (e2) {
      throw driveError(e2, to);
    }
  }
  if (syncDir) await syncDir(dir);
  return 'linked';
}

async function adoptExisting(
  from: string,
  to: string,
  opts: { sha256?: string | undefined; sameInode?: boolean | undefined; move?: boolean | undefined },
): Promise<'adopted'> {
  let same = false;
  if (opts.sameInode) {
    const [a, b] = await Promise.all([stat(from), stat(to)]);
    same = a.ino === b.ino && a.dev === b.dev;
  }
  if (!same && opts.sha256 !== undefined) same = (await hashFile(to)) === opts.sha256;
  if (opts.move) await rm(from, { force: true });
  if (!same)
    throw new OutpostError(
      'PLACE_CONFLICT',
      `${to} already exists with different content; refusing to overwrite`,
    );
  return 'adopted';
}

/**
 * Put `body` at `target`, replacing what is there, atomically: a temporary file in `tmpDir` (the
 * drive's `.outpost/tmp`, which recovery empties), fsync, rename, folder fsync. For files that are
 * rewritten (sidecars); originals are never replaced (placeNoClobber). Only for callers holding
 * the library lock: recovery empties tmp when a run starts.
 */
export async function replaceWith(tmpDir: string, target: string, body: Buffer): Promise<void> {
  const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.part${extname(target)}`);
  try {
    await mkdir(tmpDir, { recursive: true });
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw driveError(e, target);
  }
  await fsyncDir(dirname(target));
}
