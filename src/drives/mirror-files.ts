/**
 * The file side of the mirror: every write goes to the receiving drive's `.outpost/tmp` first
 * (same filesystem), is fsynced and checked, and only then linked or renamed into place, so
 * `library/` never holds half a file. Originals are placed without clobbering (the library
 * intake's placeNoClobber); derivatives and sidecars replace atomically.
 */
import { mkdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir } from '../adapters/fs-atomic.js';
import { isContentId } from '../core/content-id.js';
import { OutpostError, driveError, errnoCode } from '../core/errors.js';
import { companionName } from '../core/naming.js';
import {
  SourceReadError,
  copyHashed,
  placeNoClobber,
  stageCopy,
  type CopyResult,
  type StagedCopy,
} from '../library/intake/index.js';
import { attributesOf } from '../library/attributes.js';
import type { Catalog } from '../library/catalog/open.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { derivedRelPath, libraryFile, type DriveLayout } from '../library/layout.js';
import { sidecarRelPath, storeSidecar } from '../library/sidecar/write.js';
import { buildXmp } from '../library/sidecar/xmp.js';
import { RENDITIONS } from './mirror-plan.js';

/** The sending drive cannot give the bytes (missing, or not what the catalogue says). */
export class SourceProblem extends Error {
  constructor(
    readonly code: 'SOURCE_MISSING' | 'SOURCE_CORRUPT',
    message: string,
  ) {
    super(message);
  }
}

export async function ensureSpace(root: string, need: number, reserve: number): Promise<void> {
  const s = await statfs(root);
  const free = s.bavail * s.bsize;
  if (free < need + reserve)
    throw new OutpostError(
      'DRIVE_FULL',
      `drive ${root} is full: ${Math.round(free / 1e6)} MB free, the mirror needs ${Math.round((need + reserve) / 1e6)} MB more`,
      { hint: 'Free space on that drive (or use a bigger one) and mirror again; the pass resumes.' },
    );
}

type TmpCopyOptions = {
  signal?: AbortSignal | undefined;
  onBytes?: (n: number) => void;
  onSaturated?: () => void;
};

/** Copy `src` into the receiving drive's tmp, hashing and fsyncing; the bytes must have `sha256`. */
export async function copyToTmp(
  src: string,
  dst: DriveLayout,
  sha256: string | undefined,
  ext: string,
  opts: TmpCopyOptions,
): Promise<{ tmpPath: string; bytes: number; sha256: string }> {
  return checked(
    src,
    sha256,
    () => copyHashed(src, dst.tmpDir, { ext, ...opts }),
    (r) => rm(r.tmpPath, { force: true }),
  );
}

/**
 * {@link copyToTmp} without the fsync: the copy's `durable()` must be awaited before it is
 * placed (and `discard()` called when it is not), so the disk writes it back while the next file
 * is read.
 */
export async function stageToTmp(
  src: string,
  dst: DriveLayout,
  sha256: string,
  ext: string,
  opts: TmpCopyOptions,
): Promise<StagedCopy> {
  return checked(
    src,
    sha256,
    () => stageCopy(src, dst.tmpDir, { ext, ...opts }),
    (r) => r.discard(),
  );
}

async function checked<T extends CopyResult>(
  src: string,
  sha256: string | undefined,
  copy: () => Promise<T>,
  drop: (r: T) => Promise<void>,
): Promise<T> {
  let res;
  try {
    res = await copy();
  } catch (e) {
    if (e instanceof SourceReadError) {
      if (e.errno === 'ENOENT') throw new SourceProblem('SOURCE_MISSING', `${src} is missing`);
      throw new OutpostError('DRIVE_WRITE_ERROR', `cannot read ${src}: ${e.errno ?? e.message}`, {
        cause: e,
        hint: 'The sending drive failed a read; check its cable and health (dmesg), then mirror again.',
      });
    }
    throw e;
  }
  if (sha256 !== undefined && res.sha256 !== sha256) {
    await drop(res);
    throw new SourceProblem(
      'SOURCE_CORRUPT',
      `${src} does not match its catalogue hash (${res.sha256.slice(0, 12)}… ≠ ${sha256.slice(0, 12)}…)`,
    );
  }
  return res;
}

/** Place an original or companion copied by {@link copyToTmp}: never overwrites. */
export async function placeCopy(tmpPath: string, target: string, sha256: string): Promise<void> {
  try {
    await placeNoClobber(tmpPath, target, sha256);
  } finally {
    await rm(tmpPath, { force: true });
  }
}

/** Copy a derivative; false when the sender does not have it after all. */
export async function copyDerivative(
  srcRoot: string,
  dst: DriveLayout,
  rel: string,
  signal: AbortSignal | undefined,
): Promise<number | false> {
  let res;
  try {
    res = await copyToTmp(join(srcRoot, rel), dst, undefined, 'bin', { signal });
  } catch (e) {
    if (e instanceof SourceProblem) return false;
    throw e;
  }
  const target = join(dst.root, rel);
  try {
    await mkdir(dirname(target), { recursive: true });
    await rename(res.tmpPath, target);
  } catch (e) {
    await rm(res.tmpPath, { force: true });
    throw driveError(e, target);
  }
  await fsyncDir(dirname(target));
  return res.bytes;
}

/** Remove a deleted item's files from a drive; true when the original was there. */
export async function purgeItemFiles(root: string, row: ItemRow, companionPaths: string[]): Promise<boolean> {
  // Paths and ids from the catalogue: a row that leads outside library/ removes nothing (UNSAFE_PATH).
  if (!isContentId(row.id))
    throw new OutpostError(
      'UNSAFE_PATH',
      `item id ${JSON.stringify(row.id.slice(0, 80))} is not a content id`,
    );
  const abs = libraryFile(root, row.path);
  companionPaths.forEach((p) => libraryFile(root, p));
  const had = await stat(abs).then(
    () => true,
    () => false,
  );
  const paths = [
    ...companionPaths.map((p) => join(root, p)),
    companionName(abs, 'xmp'),
    abs,
    ...RENDITIONS.map((r) => join(root, derivedRelPath(row.id, r))),
  ];
  for (const p of paths)
    await rm(p, { force: true }).catch((e: unknown) => {
      if (errnoCode(e) !== 'ENOENT') throw driveError(e, p);
    });
  await fsyncDir(dirname(abs)).catch(() => undefined);
  return had;
}

/** Sidecar text for an item from its catalogue row, keeping the other properties of `base`. */
export function sidecarBody(row: ItemRow, base: string | undefined): Buffer {
  return Buffer.from(
    buildXmp(
      {
        ...attributesOf(row),
        capturedAt: row.captured_at,
        originalName: row.original_name,
        correctedTime: row.camera_captured_at !== null,
      },
      base,
    ),
    'utf8',
  );
}

export async function readSidecar(root: string, row: ItemRow): Promise<string | undefined> {
  return readFile(join(root, sidecarRelPath(row)), 'utf8').catch((e: unknown) => {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  });
}

/** Replace an item's sidecar with `body` through tmp + fsync + rename; record the companion. */
export async function writeSidecarBytes(
  cat: Catalog,
  layout: DriveLayout,
  row: ItemRow,
  body: Buffer,
): Promise<void> {
  try {
    await storeSidecar(cat, layout.root, row, body, { tmpDir: layout.tmpDir });
  } catch (e) {
    throw driveError(e, join(layout.root, sidecarRelPath(row)));
  }
}
