import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import {
  COMPANION_EXTENSIONS,
  SKIP_DIRS,
  extensionOf,
  mediaTypeByExt,
  stemOf,
  type MediaType,
} from '../core/media-types.js';
import { errnoCode } from '../core/errors.js';
import { childPath, mayHaveLostBytes, readableName, readableNameOfText } from '../core/file-names.js';
import type { WarningCode } from '../core/warnings.js';

export interface CardFileRef {
  /**
   * Path relative to the card root, with forward slashes, each name in its readable form
   * (src/core/file-names.ts): the plain name, or the escaped one for names that are not text.
   */
  relPath: string;
  /** For fs calls: text, or the exact bytes when a name on the way is not valid UTF-8. */
  absPath: string | Buffer;
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
  /** SPECIAL_FILE: a FIFO, device node or socket, never opened. */
  code: Extract<WarningCode, 'UNREADABLE' | 'ZERO_BYTES' | 'SYMLINK' | 'SPECIAL_FILE'>;
  message: string;
}

export interface ScanResult {
  media: CardMedia[];
  problems: ScanProblem[];
  /** Files that are neither media nor companions (left alone). */
  ignored: number;
  /** Media files skipped because `isKnown` said so. */
  known: number;
}

/** Media kinds that win a shared stem, so a WAV or XMP attaches to the photo, not the other way. */
const STEM_OWNER_RANK: Record<MediaType, number> = { photo: 0, video: 1, audio: 2 };

/**
 * Walk a card: media files by extension, companions (THM, XMP, WAV) attached to the media file
 * with the same stem in the same folder (`IMG_1.JPG` + `IMG_1.THM`, or `IMG_1.JPG.xmp`).
 * Trash, OS indexes and thumbnail caches are skipped. Sorted by path for stable order.
 */
export async function scanCard(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const result: ScanResult = { media: [], problems: [], ignored: 0, known: 0 };
  await walk(root, '', result, opts.isKnown);
  return result;
}

export interface ScanOptions {
  /**
   * Files the import ledger already knows (by path, size, mtime) are counted in `known` and not
   * returned: a re-check of a 10,000-file card allocates nothing per known file.
   */
  isKnown?: (relPath: string, size: number, mtimeMs: number) => boolean;
}

/** A folder's entries; `bytes` when Node's decoding of some name lost bytes (not valid UTF-8). */
type FolderEntries = { bytes: false; entries: Dirent[] } | { bytes: true; entries: Dirent<Buffer>[] };

function readFolder(dir: string | Buffer): FolderEntries {
  if (typeof dir === 'string') {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (!entries.some((e) => mayHaveLostBytes(e.name))) return { bytes: false, entries };
  }
  return { bytes: true, entries: readdirSync(dir, { encoding: 'buffer', withFileTypes: true }) };
}

/** What a FIFO, device node or socket is called in a warning. */
function specialKind(e: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (e.isFIFO()) return 'a FIFO (named pipe)';
  if (e.isCharacterDevice()) return 'a character device node';
  if (e.isBlockDevice()) return 'a block device node';
  return 'a socket';
}

const specialProblem = (path: string, kind: string): ScanProblem => ({
  path,
  code: 'SPECIAL_FILE',
  message: `${kind}, not a file: never opened, nothing copied`,
});

/**
 * One folder: `dirAbs` is text while every name above is valid UTF-8, else bytes; `rel` is the
 * readable card-relative path (src/core/file-names.ts).
 */
async function walk(
  dirAbs: string | Buffer,
  rel: string,
  out: ScanResult,
  isKnown: ScanOptions['isKnown'],
): Promise<void> {
  let folder: FolderEntries;
  try {
    folder = readFolder(dirAbs);
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
  // Synchronous stats, one folder at a time: several times faster than a promise per file on
  // a 10,000-file card; the yield between folders keeps the station's event loop responsive.
  const files: FolderFile[] = [];
  const subdirs: { name: string; abs: string | Buffer }[] = [];
  const prefix = rel ? `${rel}/` : '';
  for (const e of folder.entries) {
    // Names that are not valid UTF-8 (or hold control characters) get their lossless readable
    // form; the file is still opened by its exact bytes.
    const name = folder.bytes ? readableName(e.name as Buffer) : readableNameOfText(e.name as string);
    if (e.isDirectory()) {
      if (!name.startsWith('.') && !SKIP_DIRS.has(name.toLowerCase()))
        subdirs.push({ name, abs: childPath(dirAbs, e.name) });
      continue;
    }
    // FIFOs and device nodes are never opened (a read could block forever or never end), but
    // the user hears about them: whatever the name promises, nothing of it was copied.
    if (e.isFIFO() || e.isCharacterDevice() || e.isBlockDevice() || e.isSocket()) {
      out.problems.push(specialProblem(prefix + name, specialKind(e)));
      continue;
    }
    const ext = extensionOf(name);
    const type = mediaTypeByExt(ext);
    // Camera cards (FAT, exFAT) have no links; elsewhere a link could point anywhere (a device,
    // /dev/zero, another disk): never follow one.
    if (e.isSymbolicLink()) {
      if (type || COMPANION_EXTENSIONS.has(ext))
        out.problems.push({
          path: prefix + name,
          code: 'SYMLINK',
          message: 'symbolic link not followed; copy the file itself onto the card',
        });
      continue;
    }
    if (!type && !COMPANION_EXTENSIONS.has(ext)) {
      out.ignored++;
      continue;
    }
    const relPath = prefix + name;
    // String concatenation, not path.join: no normalisation needed, measurably cheaper per file.
    const absPath = childPath(dirAbs, e.name);
    try {
      // lstat, and the type checked again: file systems that list no types (DT_UNKNOWN) land here
      // with links, folders and FIFOs too.
      const st = lstatSync(absPath);
      if (st.isFile())
        files.push({ relPath, absPath, size: st.size, mtimeMs: Math.trunc(st.mtimeMs), name, ext, type });
      else if (st.isDirectory()) subdirs.push({ name, abs: absPath });
      else if (st.isSymbolicLink())
        out.problems.push({
          path: relPath,
          code: 'SYMLINK',
          message: 'symbolic link not followed; copy the file itself onto the card',
        });
      else out.problems.push(specialProblem(relPath, specialKind(st)));
    } catch (err) {
      out.problems.push({
        path: relPath,
        code: 'UNREADABLE',
        message: `cannot stat (${errnoCode(err) ?? err})`,
      });
    }
  }
  groupFolder(files, out, isKnown);
  await new Promise<void>((r) => setImmediate(r));
  subdirs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of subdirs) await walk(d.abs, prefix + d.name, out, isKnown);
}

function baseName(relPath: string): string {
  return relPath.slice(relPath.lastIndexOf('/') + 1);
}

const byRelPath = (a: CardFileRef, b: CardFileRef): number =>
  a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0;

interface FolderFile extends CardFileRef {
  name: string;
  ext: string;
  type: MediaType | undefined;
}

function groupFolder(files: FolderFile[], out: ScanResult, isKnown: ScanOptions['isKnown']): void {
  files.sort(byRelPath);
  const candidates: CardMedia[] = [];
  const companionFiles: CardFileRef[] = [];
  let companionOnly = 0;
  for (const f of files) {
    if (COMPANION_EXTENSIONS.has(f.ext)) {
      companionFiles.push(f);
      if (!f.type) companionOnly++;
    }
    if (!f.type || f.name.startsWith('._')) continue;
    candidates.push({
      relPath: f.relPath,
      absPath: f.absPath,
      size: f.size,
      mtimeMs: f.mtimeMs,
      type: f.type,
      ext: f.ext,
      companions: [],
    });
  }
  const taken = companionFiles.length ? attachCompanionFiles(candidates, companionFiles) : undefined;
  for (const c of candidates) {
    if (taken?.has(c.relPath)) continue;
    // Known files drop out only now, after companions found their owner: a known photo still
    // owns its WAV memo, which must not come back as an audio item of its own.
    if (isKnown?.(c.relPath, c.size, c.mtimeMs)) {
      out.known++;
      continue;
    }
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
  out.ignored += files.length - candidates.length - companionOnly;
}

/**
 * Attach companions to the media file that owns their stem: `IMG_1.JPG.xmp` belongs to
 * IMG_1.JPG; `IMG_1.THM` to whatever owns stem IMG_1, photos before videos before audio (so a
 * WAV memo joins its photo, not the other way round). Returns the companions' paths.
 */
function attachCompanionFiles(candidates: CardMedia[], companionFiles: CardFileRef[]): Set<string> {
  const byName = new Map<string, CardMedia>();
  const owners = new Map<string, CardMedia>();
  const ranked = [...candidates].sort(
    (a, b) => STEM_OWNER_RANK[a.type] - STEM_OWNER_RANK[b.type] || byRelPath(a, b),
  );
  for (const c of ranked) {
    const name = baseName(c.relPath);
    byName.set(name.toLowerCase(), c);
    const stem = stemOf(name).toLowerCase();
    if (!owners.has(stem)) owners.set(stem, c);
  }
  const taken = new Set<string>();
  for (const f of companionFiles) {
    const name = baseName(f.relPath);
    const ext = extensionOf(name);
    const stem = stemOf(name).toLowerCase();
    const owner = byName.get(stem) ?? owners.get(stem);
    if (!owner || owner.relPath === f.relPath) continue;
    if (owner.companions.some((x) => x.ext === ext)) continue;
    owner.companions.push({ ...f, ext });
    taken.add(f.relPath);
  }
  return taken;
}
