import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../adapters/fs-atomic.js';
import type { Attributes } from '../../core/attributes.js';
import { errnoCode } from '../../core/errors.js';
import { companionName } from '../../core/naming.js';
import { recordSidecarCompanion } from '../catalog/items.js';
import type { Catalog } from '../catalog/open.js';
import type { ItemRow } from '../catalog/schema.js';
import { replaceWith } from '../intake/index.js';
import { buildXmp } from './xmp.js';

/** Where an item's sidecar lives, relative to the drive root: `<original path>.xmp`. */
export function sidecarRelPath(item: Pick<ItemRow, 'path'>): string {
  return companionName(item.path, 'xmp');
}

export interface SidecarWritten {
  /** Relative to the drive root. */
  path: string;
  sha256: string;
  size: number;
}

/**
 * Rewrite an item's XMP sidecar with `attrs`, keeping whatever else an existing sidecar holds
 * (a camera's or Lightroom's properties), atomically (temporary file, fsync, rename), and
 * record it as the item's `xmp` companion (hash and size of the new bytes) so `fsck --hash`
 * stays clean. Not serialised: callers editing the same item concurrently use
 * `withSidecarLock` (see attributes.ts).
 */
export async function writeSidecar(
  cat: Catalog,
  driveRoot: string,
  item: ItemRow,
  attrs: Attributes,
): Promise<SidecarWritten> {
  const rel = sidecarRelPath(item);
  const abs = join(driveRoot, rel);
  const existing = await readFile(abs, 'utf8').catch((e: unknown) => {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  });
  const body = Buffer.from(
    buildXmp(
      {
        ...attrs,
        capturedAt: item.captured_at,
        originalName: item.original_name,
        correctedTime: item.camera_captured_at !== null,
      },
      existing,
    ),
    'utf8',
  );
  return storeSidecar(cat, driveRoot, item, body);
}

/**
 * Put `body` in place as an item's sidecar (temporary file, fsync, rename, folder fsync) and
 * record it as the item's `xmp` companion. The one way a sidecar is written (edits, the mirror).
 * The temporary file goes beside the sidecar, or into `tmpDir` (the drive's `.outpost/tmp`, where
 * a killed run leaves nothing in library/) for callers that hold the library lock.
 */
export async function storeSidecar(
  cat: Catalog,
  driveRoot: string,
  item: Pick<ItemRow, 'id' | 'path'>,
  body: Buffer,
  opts: { tmpDir?: string } = {},
): Promise<SidecarWritten> {
  const rel = sidecarRelPath(item);
  const abs = join(driveRoot, rel);
  await (opts.tmpDir ? replaceWith(opts.tmpDir, abs, body) : writeFileAtomic(abs, body));
  const written = { path: rel, sha256: createHash('sha256').update(body).digest('hex'), size: body.length };
  await recordSidecarCompanion(cat, item.id, written);
  return written;
}

const queues = new Map<string, Promise<unknown>>();

/**
 * Run `fn` after every earlier `fn` for the same key has finished (in this process). Sidecar
 * writes for one item go through it so the last write always carries the latest catalogue state.
 */
export async function withSidecarLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  try {
    return await run;
  } finally {
    if (queues.get(key) === tail) queues.delete(key);
  }
}
