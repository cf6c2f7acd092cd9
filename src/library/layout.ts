import { join } from 'node:path';
import { shardOf, type ContentId } from '../core/content-id.js';

/** Where everything lives on a library drive (ARCHITECTURE.md "The library on a drive"). Pure. */
export const DRIVE_MARKER = 'outpost-drive.json';
export const DRIVE_FORMAT_VERSION = 1;

export interface DriveLayout {
  root: string;
  marker: string;
  libraryDir: string;
  outpostDir: string;
  catalog: string;
  derivedDir: string;
  tmpDir: string;
  lockFile: string;
}

export function driveLayout(root: string): DriveLayout {
  const outpostDir = join(root, '.outpost');
  return {
    root,
    marker: join(root, DRIVE_MARKER),
    libraryDir: join(root, 'library'),
    outpostDir,
    catalog: join(outpostDir, 'catalog.sqlite'),
    derivedDir: join(outpostDir, 'derived'),
    tmpDir: join(outpostDir, 'tmp'),
    lockFile: join(outpostDir, 'lock'),
  };
}

export type Rendition = 'thumb' | 'preview' | 'poster';
const RENDITION_FILE: Record<Rendition, string> = {
  thumb: 'thumb.webp',
  preview: 'preview.jpg',
  poster: 'poster.jpg',
};

/** Path of a derivative relative to the drive root. */
export function derivedRelPath(id: ContentId, r: Rendition): string {
  return join('.outpost', 'derived', shardOf(id), `${id}-${RENDITION_FILE[r]}`);
}

/** Path of an original relative to the drive root: `library/<MONITOR>/<YYYY-MM-DD>/<name>`. */
export function originalRelPath(monitor: string, dateFolder: string, name: string): string {
  return join('library', monitor, dateFolder, name);
}
