/**
 * Pure helpers over the Linux `/proc/<pid>/mountinfo` format (see proc(5)):
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2) (3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 *
 * (7) is zero or more optional fields ended by the single `-` separator (8). Path-like fields
 * have space, tab, newline and backslash escaped as 3-digit octal (`\040` ...).
 */
import { posix } from 'node:path';

export interface MountEntry {
  /** Unique id of the mount; the kernel reuses ids after an unmount. */
  mountId: number;
  parentId: number;
  /** `major:minor` of the device (`0:NN` for virtual filesystems). */
  majorMinor: string;
  /** The directory of the filesystem that forms the root of this mount (`/` unless a bind of a subtree). */
  root: string;
  /** Where it is mounted, relative to the process's root. */
  mountPoint: string;
  /** Per-mount options (`rw`, `relatime`, ...). */
  options: string[];
  /** Optional fields such as `shared:1`, `master:2`, `propagate_from:3`, `unbindable`. */
  optionalFields: string[];
  /** `ext4`, `vfat`, `fuse.sshfs`, ... */
  fsType: string;
  /** Filesystem-specific source: `/dev/sda1`, `tmpfs`, `server:/export`, ... */
  source: string;
  /** Per-superblock options. */
  superOptions: string[];
}

/**
 * Decode the kernel's octal escapes. The kernel only escapes ASCII bytes (space, tab, newline,
 * backslash), so mapping each escape to one UTF-16 code unit is exact; other bytes come through raw.
 */
export function unescapeMountField(s: string): string {
  return s.includes('\\')
    ? s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)))
    : s;
}

function splitOptions(s: string | undefined): string[] {
  return s ? s.split(',').filter((o) => o.length > 0) : [];
}

/** Parse one mountinfo line; `undefined` when it is not a well-formed entry. */
export function parseMountInfoLine(line: string): MountEntry | undefined {
  // Fields are separated by single spaces; escaping guarantees no field contains a raw space.
  const f = line.split(' ');
  if (f.length < 10) return undefined;
  // The separator is the first lone `-` after the six fixed fields; optional fields look like
  // `tag[:value]` and are never exactly `-`.
  const sep = f.indexOf('-', 6);
  if (sep < 0 || f.length < sep + 3) return undefined;
  const mountId = Number(f[0]);
  const parentId = Number(f[1]);
  const majorMinor = f[2] ?? '';
  if (!Number.isInteger(mountId) || !Number.isInteger(parentId) || !/^\d+:\d+$/.test(majorMinor)) {
    return undefined;
  }
  return {
    mountId,
    parentId,
    majorMinor,
    root: unescapeMountField(f[3] ?? ''),
    mountPoint: unescapeMountField(f[4] ?? ''),
    options: splitOptions(f[5]),
    optionalFields: f.slice(6, sep).filter((o) => o.length > 0),
    fsType: unescapeMountField(f[sep + 1] ?? ''),
    source: unescapeMountField(f[sep + 2] ?? ''),
    // Anything after the super options would be a future kernel addition; ignore it.
    superOptions: splitOptions(f[sep + 3]),
  };
}

/** Parse the whole of `/proc/self/mountinfo`. Malformed lines are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const e = parseMountInfoLine(line);
    if (e) out.push(e);
  }
  return out;
}

/** Normalise an absolute path: collapse `//`, `.`, `..` and drop a trailing slash (except for `/`). */
function normAbs(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** True when `path` is `base` or inside it, comparing whole path segments (`/media2` is not in `/media`). */
export function isSameOrBelow(path: string, base: string): boolean {
  const p = normAbs(path);
  const b = normAbs(base);
  if (p === b) return true;
  return b === '/' ? p.startsWith('/') : p.startsWith(`${b}/`);
}

/** True when `path` is strictly inside `base` (segment aware). */
export function isStrictlyBelow(path: string, base: string): boolean {
  return normAbs(path) !== normAbs(base) && isSameOrBelow(path, base);
}

/**
 * Entries mounted strictly below one of `roots` (a mount on a root itself is not "under" it).
 * Roots are compared as given: pass canonical paths (mountinfo holds resolved paths, no symlinks).
 */
export function mountsUnder(entries: readonly MountEntry[], roots: readonly string[]): MountEntry[] {
  const rs = roots.filter((r) => r.startsWith('/'));
  return entries.filter((e) => rs.some((r) => isStrictlyBelow(e.mountPoint, r)));
}

/**
 * Identity of a mount across two readings. The kernel reuses mount ids as soon as a mount goes
 * away (unmount + mount at the same place often gets the same id), so the device is part of the
 * key too: a different card mounted at the same place between two polls is still seen as a change.
 */
export function mountKey(e: MountEntry): string {
  return `${e.mountId}\u0000${e.majorMinor}\u0000${e.mountPoint}`;
}

/** Mounts that appeared and disappeared between two readings, each in the order of its reading. */
export function diffMounts(
  before: readonly MountEntry[],
  after: readonly MountEntry[],
): { added: MountEntry[]; removed: MountEntry[] } {
  const beforeKeys = new Set(before.map(mountKey));
  const afterKeys = new Set(after.map(mountKey));
  return {
    added: after.filter((e) => !beforeKeys.has(mountKey(e))),
    removed: before.filter((e) => !afterKeys.has(mountKey(e))),
  };
}

/**
 * The mount an absolute path lives on: the entry whose mount point is the longest segment-aware
 * prefix of `path`. When several mounts share that mount point the last one listed wins (it is
 * mounted over the others, so it is the one visible). `path` should be canonical (realpath).
 */
export function mountOf(entries: readonly MountEntry[], path: string): MountEntry | undefined {
  if (!path.startsWith('/')) return undefined;
  let best: MountEntry | undefined;
  let bestLen = -1;
  for (const e of entries) {
    if (!e.mountPoint.startsWith('/') || !isSameOrBelow(path, e.mountPoint)) continue;
    const len = normAbs(e.mountPoint).length;
    if (len >= bestLen) {
      best = e;
      bestLen = len;
    }
  }
  return best;
}
