/**
 * Card fingerprints: a stable id for a memory card so it can be mapped to a monitor.
 *
 * In order of preference:
 * 1. `fs-uuid`   the filesystem UUID, when the card root is the mount point of a block device;
 * 2. `id-file`   an id stored in `<card>/.outpost-card.json`, written there when the card is writable;
 * 3. `file-list` a hash of the oldest media files on the card (read-only card without a UUID).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile, readdir, readlink, realpath, rename, stat } from 'node:fs/promises';
import { childPath, mayHaveLostBytes, readableName, readableNameOfText } from '../core/file-names.js';
import { join, resolve } from 'node:path';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import { OutpostError, errnoCode } from '../core/errors.js';
import { SKIP_DIRS, mediaTypeOf } from '../core/media-types.js';
import { parseMountInfo } from '../core/mountinfo.js';

export interface CardFingerprint {
  /** `uuid:<fs uuid>`, `idf:<uuid v4>` or `list:<16 hex>`. */
  id: string;
  kind: 'fs-uuid' | 'id-file' | 'file-list';
  /** Filesystem label, when the card is a labelled block device. */
  label?: string;
  fsUuid?: string;
  /** Block device (`/dev/sdb1`), when the card root is a mount point of one. */
  device?: string;
  /** Set when the card root is itself a mount point. */
  mountPoint?: string;
  fsType?: string;
}

export interface FingerprintDeps {
  runner: ProcessRunner;
  readMountInfo: () => Promise<string>;
  /** Where udev keeps `by-uuid/` and `by-label/`; default `/dev/disk`. For tests. */
  devDiskDir?: string;
  /** Id for a new id file; default `crypto.randomUUID`. For deterministic tests. */
  newId?: () => string;
  /** Clock for `createdAt` and corrupt-file names; default `new Date()`. */
  now?: () => Date;
}

export interface FingerprintOptions {
  /** Write `.outpost-card.json` when there is no usable one (default true). With false the card is never written. */
  writeIdFile?: boolean;
}

export const ID_FILE_NAME = '.outpost-card.json';
/** How many of the first media files (by path) the file-list id covers. */
export const FILE_LIST_COUNT = 64;
const TOOL_TIMEOUT_MS = 15_000;

const UUID_V4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface IdFile {
  id: string;
  createdAt: string;
}

/** Parse the id file; `undefined` when it is not a valid one. Unknown extra keys are allowed. */
export function parseIdFile(text: string): IdFile | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const { id, createdAt } = v as Record<string, unknown>;
  if (typeof id !== 'string' || !UUID_V4_RE.test(id)) return undefined;
  if (typeof createdAt !== 'string' || !ISO_RE.test(createdAt) || Number.isNaN(Date.parse(createdAt))) {
    return undefined;
  }
  return { id: id.toLowerCase(), createdAt };
}

/**
 * Decode `\xHH` escapes as used by lsblk `-P` output and udev's by-label names. The result is a
 * readable name (src/core/file-names.ts): a label that is not UTF-8 or holds control characters
 * is kept losslessly, escaped, never stored as broken text.
 */
function decodeHexEscapes(s: string): string {
  if (!s.includes('\\x')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length;) {
    const m = /^\\x([0-9a-fA-F]{2})/.exec(s.slice(i, i + 4));
    if (m?.[1]) {
      bytes.push(parseInt(m[1], 16));
      i += 4;
    } else {
      const cp = s.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return readableName(Buffer.from(bytes));
}

/** Parse `lsblk -P` output (`KEY="value" ...`, one device per line). Returns the first line's pairs. */
export function parseLsblkPairs(text: string): Record<string, string> {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Za-z0-9_:%-]+)="((?:[^"\\]|\\.)*)"/g)) {
    const [, k, v] = m;
    if (k !== undefined && v !== undefined) out[k] = decodeHexEscapes(v);
  }
  return out;
}

/** Parse `blkid -o export` output (`KEY=value` lines, shell-style backslash escapes). */
export function parseBlkidExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq).trim();
    if (k in out) break; // a second device started; keep the first
    out[k] = readableNameOfText(line.slice(eq + 1).replace(/\\(.)/g, '$1'));
  }
  return out;
}

export interface FileListEntry {
  /** Path relative to the card root, `/`-separated. */
  path: string;
  size: number;
}

/**
 * The file-list id: `list:` + first 16 hex of SHA-256 over the first {@link FILE_LIST_COUNT}
 * media files by relative path (code-unit order) with their sizes. Cameras append higher-numbered
 * files, so the first ones by path stay the same as the card fills.
 */
export function fileListId(entries: readonly FileListEntry[]): string {
  const chosen = [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .slice(0, FILE_LIST_COUNT)
    .map((e) => [e.path, e.size]);
  return `list:${createHash('sha256').update(JSON.stringify(chosen)).digest('hex').slice(0, 16)}`;
}

/** Whether a directory entry is left out of the file list: dot entries and system/trash folders. */
function skipName(name: string, isDir: boolean): boolean {
  return name.startsWith('.') || (isDir && SKIP_DIRS.has(name.toLowerCase()));
}

/**
 * Every media file on the card, unsorted: readable relative path (src/core/file-names.ts) and
 * the path to stat it by (bytes for names that are not UTF-8). Symlinks are not followed.
 */
async function listMediaFiles(root: string): Promise<{ path: string; abs: string | Buffer }[]> {
  const out: { path: string; abs: string | Buffer }[] = [];
  const walk = async (dir: string | Buffer, rel: string): Promise<void> => {
    const text = typeof dir === 'string' ? await readdir(dir, { withFileTypes: true }) : undefined;
    const ents =
      text && !text.some((d) => mayHaveLostBytes(d.name))
        ? text
        : await readdir(dir, { encoding: 'buffer', withFileTypes: true });
    for (const d of ents) {
      const name = typeof d.name === 'string' ? readableNameOfText(d.name) : readableName(d.name);
      if (skipName(name, d.isDirectory())) continue;
      const r = rel ? `${rel}/${name}` : name;
      if (d.isDirectory()) await walk(childPath(dir, d.name), r);
      else if (d.isFile() && mediaTypeOf(name)) out.push({ path: r, abs: childPath(dir, d.name) });
    }
  };
  await walk(root, '');
  return out;
}

async function fileListFingerprint(root: string): Promise<CardFingerprint> {
  const all = await listMediaFiles(root);
  all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const entries: FileListEntry[] = [];
  for (const f of all.slice(0, FILE_LIST_COUNT))
    entries.push({ path: f.path, size: (await stat(f.abs)).size });
  return { id: fileListId(entries), kind: 'file-list' };
}

/** Find the entry in a udev `by-*` directory whose symlink resolves to `device`. */
async function udevNameFor(dir: string, device: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    try {
      const target = resolve(dir, await readlink(join(dir, name)));
      if (target === device || (await realpath(target)) === device) return decodeHexEscapes(name);
    } catch {
      /* dangling link: skip */
    }
  }
  return undefined;
}

async function blockIdentity(
  device: string,
  deps: FingerprintDeps,
): Promise<{ uuid?: string; label?: string }> {
  const realDev = await realpath(device).catch(() => device);
  const devDisk = deps.devDiskDir ?? '/dev/disk';
  const byUuid = await udevNameFor(join(devDisk, 'by-uuid'), realDev);
  if (byUuid) return { uuid: byUuid, label: await udevNameFor(join(devDisk, 'by-label'), realDev) };
  // Without udev (containers, minimal images) lsblk has nothing cached; blkid probes the device.
  const attempts: Array<[string, string[], (t: string) => Record<string, string>]> = [
    ['lsblk', ['-P', '-n', '-o', 'UUID,LABEL', realDev], parseLsblkPairs],
    ['blkid', ['-c', '/dev/null', '-o', 'export', realDev], parseBlkidExport],
  ];
  for (const [cmd, args, parse] of attempts) {
    try {
      const r = await deps.runner.run(cmd, args, { timeoutMs: TOOL_TIMEOUT_MS });
      if (r.code !== 0) continue;
      const kv = parse(r.stdout.toString('utf8'));
      if (kv.UUID) return { uuid: kv.UUID, label: kv.LABEL || undefined };
    } catch {
      /* tool missing or failed: try the next way */
    }
  }
  return {};
}

type IdFileState =
  { state: 'valid'; file: IdFile } | { state: 'absent' } | { state: 'corrupt' } | { state: 'unreadable' };

async function readIdFile(path: string): Promise<IdFileState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return errnoCode(e) === 'ENOENT' ? { state: 'absent' } : { state: 'unreadable' };
  }
  const file = parseIdFile(text);
  return file ? { state: 'valid', file } : { state: 'corrupt' };
}

function compactTimestamp(d: Date): string {
  // No colons: cards are FAT/exFAT, which forbid them in names.
  return d.toISOString().replace(/[-:.]/g, '');
}

/**
 * Fingerprint the card whose root directory is `cardRoot`. See the module comment for the rules.
 * Throws `CARD_NOT_FOUND` when `cardRoot` is not a directory, `CARD_READ_ERROR` when the card
 * cannot be listed.
 */
export async function fingerprintCard(
  cardRoot: string,
  deps: FingerprintDeps,
  opts: FingerprintOptions = {},
): Promise<CardFingerprint> {
  const writeIdFile = opts.writeIdFile ?? true;
  let root: string;
  try {
    root = await realpath(cardRoot);
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new OutpostError('CARD_NOT_FOUND', `Card not found: ${cardRoot} is not a directory`, { cause: e });
  }

  // 1. Filesystem UUID, only if the card root is the whole of a block-device filesystem: a folder
  // that merely lives on some disk (e.g. /tmp/card on the root fs) must not take that disk's UUID.
  const entries = parseMountInfo(await deps.readMountInfo());
  const mount = entries.filter((e) => e.mountPoint === root).at(-1); // last one is on top
  let mountFacts: Pick<CardFingerprint, 'device' | 'mountPoint' | 'fsType'> = {};
  if (mount) {
    mountFacts = { mountPoint: mount.mountPoint, fsType: mount.fsType };
    if (mount.source.startsWith('/dev/')) mountFacts.device = mount.source;
    if (mount.source.startsWith('/dev/') && mount.root === '/') {
      const { uuid, label } = await blockIdentity(mount.source, deps);
      if (uuid) {
        const fsUuid = uuid.toLowerCase();
        return {
          id: `uuid:${fsUuid}`,
          kind: 'fs-uuid',
          fsUuid,
          ...(label ? { label } : {}),
          ...mountFacts,
        };
      }
    }
  }

  // 2. Id file.
  const idPath = join(root, ID_FILE_NAME);
  const existing = await readIdFile(idPath);
  if (existing.state === 'valid') {
    return { id: `idf:${existing.file.id}`, kind: 'id-file', ...mountFacts };
  }
  if (writeIdFile && existing.state !== 'unreadable') {
    const now = deps.now?.() ?? new Date();
    const written = await tryWriteIdFile(idPath, existing.state === 'corrupt', now, deps);
    if (written) return { id: `idf:${written.id}`, kind: 'id-file', ...mountFacts };
  }

  // 3. File list.
  try {
    return { ...(await fileListFingerprint(root)), ...mountFacts };
  } catch (e) {
    throw new OutpostError('CARD_READ_ERROR', `Could not list the files on the card at ${root}`, {
      cause: e,
    });
  }
}

/** Write a new id file; `undefined` when the card cannot take it. */
async function tryWriteIdFile(
  idPath: string,
  corrupt: boolean,
  now: Date,
  deps: FingerprintDeps,
): Promise<IdFile | undefined> {
  try {
    if (corrupt) {
      // Never destroy what is on a card: keep the damaged file for a human to look at.
      await rename(idPath, `${idPath}.corrupt-${compactTimestamp(now)}`);
    }
    const file: IdFile = { id: (deps.newId ?? randomUUID)().toLowerCase(), createdAt: now.toISOString() };
    await writeFileAtomic(idPath, `${JSON.stringify(file, null, 2)}\n`);
    // Read back: if another process wrote one at the same moment, agree on what is on the card.
    const back = await readIdFile(idPath);
    return back.state === 'valid' ? back.file : file;
  } catch {
    // Read-only (EROFS, a write-protect switch), full (ENOSPC), not ours (EACCES/EPERM) or failing
    // (EIO): the card can still be identified by its files, and nothing on it was lost.
    return undefined;
  }
}
