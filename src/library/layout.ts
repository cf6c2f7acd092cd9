import { join } from 'node:path';
import { shardOf, type ContentId } from '../core/content-id.js';
import { OutpostError } from '../core/errors.js';
import { validateMonitor } from '../core/naming.js';

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

export type Rendition = 'thumb' | 'preview' | 'poster' | 'video';
const RENDITION_FILE: Record<Rendition, string> = {
  thumb: 'thumb.webp',
  preview: 'preview.jpg',
  poster: 'poster.jpg',
  video: 'video.mp4',
};
/** Every derivative kind, in the order the mirror and fsck walk them. */
export const RENDITIONS: readonly Rendition[] = ['thumb', 'preview', 'poster', 'video'];

/** Path of a derivative relative to the drive root. */
export function derivedRelPath(id: ContentId, r: Rendition): string {
  return join('.outpost', 'derived', shardOf(id), `${id}-${RENDITION_FILE[r]}`);
}

/** Path of an original relative to the drive root: `library/<MONITOR>/<YYYY-MM-DD>/<name>`. */
export function originalRelPath(monitor: string, dateFolder: string, name: string): string {
  return join('library', monitor, dateFolder, name);
}

/**
 * Path of a fleet session's recording: `library/<group>/<session>/<camera>/<name>`. Each part is
 * checked as a folder name (validateMonitor: no "/", "..", control characters).
 */
export function sessionRelPath(s: { group: string; session: string }, camera: string, name: string): string {
  return join(sessionFolder(s, camera), name);
}

/** The folder of a fleet session camera's recordings: `library/<group>/<session>/<camera>`. */
export function sessionFolder(s: { group: string; session: string }, camera: string): string {
  return join('library', validateMonitor(s.group), validateMonitor(s.session), validateMonitor(camera));
}

/**
 * Whether a catalogue path (relative to the drive root) names a file inside `library/`: relative,
 * `/`-separated, no empty, `.` or `..` parts, no NUL or control characters. Pure. Every path built
 * from catalogue data (ours, a partner drive's, HQ's) passes this before a file is touched.
 */
export function isLibraryRelPath(p: unknown): boolean {
  if (typeof p !== 'string' || p.length > 4096 || !p.startsWith('library/')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(p)) return false;
  const parts = p.split('/');
  return parts.length >= 2 && parts.every((s) => s !== '' && s !== '.' && s !== '..');
}

/** The absolute path of a catalogue path under `root`, or UNSAFE_PATH when it would leave `library/`. */
export function libraryFile(root: string, rel: string): string {
  if (!isLibraryRelPath(rel))
    throw new OutpostError(
      'UNSAFE_PATH',
      `catalogue path ${JSON.stringify(rel.slice(0, 200))} is not inside library/`,
    );
  return join(root, rel);
}
