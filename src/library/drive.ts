import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { OutpostError, errnoCode } from '../core/errors.js';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import { DRIVE_FORMAT_VERSION, driveLayout, type DriveLayout } from './layout.js';
import { openCatalog } from './catalog/open.js';

const markerSchema = z.object({
  format: z.literal('outpost-drive'),
  version: z.number().int(),
  id: z.string().min(1),
  label: z.string(),
  createdAt: z.string(),
});
export type DriveMarker = z.infer<typeof markerSchema>;

export interface Drive {
  layout: DriveLayout;
  marker: DriveMarker;
}

/**
 * `.outpost/` holds the catalogue (password and session hashes): owner-only where the file system
 * keeps modes. A drive made before this rule is fixed when it is opened. Best effort: FAT, exFAT
 * and NTFS have no Unix modes (chmod fails or is ignored), a read-only mount cannot change.
 */
export const OUTPOST_DIR_MODE = 0o700;

async function restrictOutpostDir(layout: DriveLayout): Promise<void> {
  await chmod(layout.outpostDir, OUTPOST_DIR_MODE).catch(() => undefined);
}

/** Make `dir` a library drive: marker, catalogue (migrated), derived/, tmp/, library/. */
export async function initDrive(dir: string, opts: { label?: string; now: Date }): Promise<Drive> {
  const layout = driveLayout(dir);
  const existing = await readMarker(layout).catch(() => undefined);
  if (existing)
    throw new OutpostError('LIBRARY_EXISTS', `${dir} is already library drive "${existing.label}"`);
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new OutpostError('USAGE', `${dir} is not a directory`);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
  await mkdir(layout.outpostDir, { recursive: true, mode: OUTPOST_DIR_MODE });
  await restrictOutpostDir(layout);
  for (const d of [layout.libraryDir, layout.derivedDir, layout.tmpDir]) await mkdir(d, { recursive: true });
  const cat = await openCatalog(layout.catalog);
  await cat.close();
  const marker: DriveMarker = {
    format: 'outpost-drive',
    version: DRIVE_FORMAT_VERSION,
    id: randomUUID(),
    label: opts.label ?? 'outpost',
    createdAt: opts.now.toISOString(),
  };
  // The marker is written last: a drive is only "a library" once everything else exists.
  await writeFileAtomic(layout.marker, JSON.stringify(marker, null, 2) + '\n');
  return { layout, marker };
}

async function readMarker(layout: DriveLayout): Promise<DriveMarker> {
  const text = await readFile(layout.marker, 'utf8');
  const parsed = markerSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new OutpostError('NOT_A_LIBRARY', `${layout.marker} is damaged`);
  return parsed.data;
}

/** Open an existing library drive; clear errors when it is not one. */
export async function openDrive(dir: string): Promise<Drive> {
  const layout = driveLayout(dir);
  let marker: DriveMarker;
  try {
    marker = await readMarker(layout);
  } catch (e) {
    if (e instanceof OutpostError) throw e;
    if (errnoCode(e) === 'ENOENT')
      throw new OutpostError(
        'NOT_A_LIBRARY',
        `${dir} is not an Outpost library drive (no outpost-drive.json)`,
      );
    throw new OutpostError('NOT_A_LIBRARY', `cannot read ${layout.marker}: ${(e as Error).message}`);
  }
  if (marker.version > DRIVE_FORMAT_VERSION)
    throw new OutpostError('LIBRARY_VERSION', `drive format ${marker.version} is newer than this Outpost`);
  for (const d of [layout.libraryDir, layout.derivedDir, layout.tmpDir]) await mkdir(d, { recursive: true });
  await restrictOutpostDir(layout);
  return { layout, marker };
}
