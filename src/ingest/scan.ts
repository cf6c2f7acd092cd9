import { opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  COMPANION_EXTENSIONS,
  SKIP_DIRS,
  extensionOf,
  mediaTypeOf,
  stemOf,
  type MediaType,
} from '../core/media-types.js';
import { errnoCode } from '../core/errors.js';

export interface CardFileRef {
  /** Path relative to the card root, with forward slashes. */
  relPath: string;
  absPath: string;
  size: number;
  mtimeMs: number;
}

export interface CardMedia extends CardFileRef {
  type: MediaType;
  ext: string;
  companions: (CardFileRef & { ext: string })[];
}

export interface ScanProblem {
  path: string;
  code: 'UNREADABLE' | 'ZERO_BYTES';
  message: string;
}

export interface ScanResult {
  media: CardMedia[];
  problems: ScanProblem[];
  /** Files that are neither media nor companions (left alone). */
  ignored: number;
}

/** Media kinds that win a shared stem, so a WAV or XMP attaches to the photo, not the other way. */
const STEM_OWNER_RANK: Record<MediaType, number> = { photo: 0, video: 1, audio: 2 };

/**
 * Walk a card: media files by extension, companions (THM, XMP, WAV) attached to the media file
 * with the same stem in the same folder (`IMG_1.JPG` + `IMG_1.THM`, or `IMG_1.JPG.xmp`).
 * Trash, OS indexes and thumbnail caches are skipped. Sorted by path for stable order.
 */
export async function scanCard(root: string): Promise<ScanResult> {
  const result: ScanResult = { media: [], problems: [], ignored: 0 };
  await walk(root, '', result);
  result.media.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  return result;
}

async function walk(root: string, rel: string, out: ScanResult): Promise<void> {
  const dirAbs = rel ? join(root, rel) : root;
  const names: { name: string; isDir: boolean }[] = [];
  try {
    const dir = await opendir(dirAbs);
    for await (const d of dir) names.push({ name: d.name, isDir: d.isDirectory() });
  } catch (e) {
    // The root itself failing is the caller's business (card removed); a subfolder is a problem to report.
    if (!rel) throw e;
    out.problems.push({
      path: rel,
      code: 'UNREADABLE',
      message: `folder cannot be read (${errnoCode(e) ?? e})`,
    });
    return;
  }
  const files: CardFileRef[] = [];
  await Promise.all(
    names.map(async ({ name, isDir }) => {
      const relPath = rel ? `${rel}/${name}` : name;
      if (isDir) return;
      try {
        const s = await stat(join(root, relPath));
        if (s.isFile())
          files.push({ relPath, absPath: join(root, relPath), size: s.size, mtimeMs: Math.trunc(s.mtimeMs) });
      } catch (e) {
        if (mediaTypeOf(name))
          out.problems.push({
            path: relPath,
            code: 'UNREADABLE',
            message: `cannot stat (${errnoCode(e) ?? e})`,
          });
      }
    }),
  );
  groupFolder(files, out);
  for (const { name, isDir } of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!isDir || name.startsWith('.') || SKIP_DIRS.has(name.toLowerCase())) continue;
    await walk(root, rel ? `${rel}/${name}` : name, out);
  }
}

function baseName(relPath: string): string {
  return relPath.slice(relPath.lastIndexOf('/') + 1);
}

function groupFolder(files: CardFileRef[], out: ScanResult): void {
  const owners = new Map<string, CardMedia>();
  const byName = new Map<string, CardMedia>();
  const candidates: CardMedia[] = [];
  for (const f of files) {
    const name = baseName(f.relPath);
    const type = mediaTypeOf(name);
    if (!type || name.startsWith('._')) continue;
    candidates.push({ ...f, type, ext: extensionOf(name), companions: [] });
  }
  candidates.sort(
    (a, b) => STEM_OWNER_RANK[a.type] - STEM_OWNER_RANK[b.type] || (a.relPath < b.relPath ? -1 : 1),
  );
  const companionsTaken = new Set<string>();
  for (const c of candidates) {
    const name = baseName(c.relPath);
    byName.set(name.toLowerCase(), c);
    const stem = stemOf(name).toLowerCase();
    if (!owners.has(stem)) owners.set(stem, c);
  }
  for (const f of files) {
    const name = baseName(f.relPath);
    const ext = extensionOf(name);
    if (!COMPANION_EXTENSIONS.has(ext)) continue;
    // `IMG_1.JPG.xmp` belongs to IMG_1.JPG; `IMG_1.THM` to whatever owns stem IMG_1.
    const owner = byName.get(stemOf(name).toLowerCase()) ?? owners.get(stemOf(name).toLowerCase());
    if (!owner || owner.relPath === f.relPath) continue;
    if (owner.companions.some((x) => x.ext === ext)) continue;
    owner.companions.push({ ...f, ext });
    companionsTaken.add(f.relPath);
  }
  for (const c of candidates) {
    if (companionsTaken.has(c.relPath)) continue;
    if (c.size === 0) {
      out.problems.push({
        path: c.relPath,
        code: 'ZERO_BYTES',
        message: 'file is empty (0 bytes): nothing to copy',
      });
      continue;
    }
    out.media.push(c);
  }
  out.ignored +=
    files.length - candidates.length - [...files].filter((f) => companionsTaken.has(f.relPath)).length;
}
