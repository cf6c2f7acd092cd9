/**
 * The pure half of a camera's chroot: what an FTP client names (relative to its working folder,
 * or absolute, with `/` or `\`) → a normalised path inside its area, `/` being the area itself.
 * `..` at the top stays at the top (as in a chroot), so no name can climb out; the file-system
 * half (area-fs.ts) then refuses symbolic links on the way, which this cannot see.
 */

/** Longest name a client may send, and longest path component (most file systems: 255 bytes). */
const MAX_NAME = 1024;
const MAX_COMPONENT = 255;

/** The area path (`/` or `/a/b`, never ending in `/`) of `name` seen from `cwd`, or undefined. */
export function areaPath(cwd: string, name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME) return undefined;
  // NUL ends a path for the kernel, other control characters have no business in a camera's names.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return undefined;
  // Some cameras (and Windows clients) send backslashes: read them as separators, never as names.
  const p = name.replace(/\\/g, '/');
  const joined = p.startsWith('/') ? p : `${cwd}/${p}`;
  const parts: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      parts.pop();
      continue;
    }
    if (Buffer.byteLength(seg) > MAX_COMPONENT) return undefined;
    parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** The components of an area path (`/` → none). */
export function areaParts(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** The folder holding an area path (`/a/b` → `/a`, `/a` → `/`). */
export function areaParent(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * Uploads accepted lately, area path → size and time, the oldest forgotten first. The bytes left
 * the area (the library took them), but some cameras check SIZE or LIST after STOR and retry (or
 * mark the picture failed) when the file is not there.
 */
export class RecentUploads {
  private readonly entries = new Map<string, { size: number; at: Date }>();

  constructor(private readonly max = 2000) {}

  add(path: string, size: number, at: Date): void {
    this.entries.delete(path);
    this.entries.set(path, { size, at });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  get(path: string): { size: number; at: Date } | undefined {
    return this.entries.get(path);
  }

  /** The names of uploads directly in `folder`, with their size and time. */
  in(folder: string): { name: string; size: number; at: Date }[] {
    const out: { name: string; size: number; at: Date }[] = [];
    for (const [path, e] of this.entries)
      if (areaParent(path) === folder) out.push({ name: path.slice(path.lastIndexOf('/') + 1), ...e });
    return out;
  }
}
