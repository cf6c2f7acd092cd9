import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { areaParent, areaParts, areaPath, type RecentUploads } from './area-path.js';

/**
 * What a camera sees of the disk: its own area (`<areaDir>/<user>/`) and nothing else, through
 * the few calls ftp-srv makes for PWD, CWD/CDUP, MKD, LIST/NLST and SIZE (uploads go through the
 * server's own STOR, never through here). Every name goes through {@link areaPath} (no `..` or
 * absolute path leaves the area), and every folder on the way is checked with lstat: a symbolic
 * link someone placed in the area is never followed. (A link swapped in between the check and
 * the use could still be followed by MKD; only the station's own user can write there.)
 *
 * Errors carry short messages of their own: ftp-srv sends `err.message` to the client, and Node's
 * messages would tell it the real path on the station.
 */
export class AreaFs {
  private cwd = '/';

  constructor(
    /** The area's real path (realpath'd, created). */
    readonly root: string,
    private readonly recent: RecentUploads,
  ) {}

  currentDirectory(): string {
    return this.cwd;
  }

  /** The area path of a client's name, or a refusal. */
  resolve(name: string | null | undefined): string {
    const p = typeof name === 'string' ? areaPath(this.cwd, name) : undefined;
    if (p === undefined) throw new AreaError('Invalid path');
    return p;
  }

  /** The real path of an area path. */
  real(path: string): string {
    return join(this.root, ...areaParts(path));
  }

  /**
   * Walk an area path from the top, each step a real folder (not a link); with `create`, missing
   * folders are made. The last folder's stats.
   */
  async folder(path: string, create = false): Promise<Stats> {
    let real = this.root;
    let st = await lstat(real);
    for (const part of areaParts(path)) {
      real = join(real, part);
      try {
        st = await lstat(real);
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT' || !create) throw new AreaError('No such directory');
        try {
          await mkdir(real, { mode: 0o755 });
        } catch (e2) {
          if (errnoCode(e2) !== 'EEXIST') throw new AreaError('Cannot create directory');
        }
        st = await lstat(real);
      }
      if (!st.isDirectory()) throw new AreaError(st.isFile() ? 'Not a directory' : 'No such directory');
    }
    return st;
  }

  /** A file or folder's stats (LIST of one name, SIZE): an upload remembered, or what is there. */
  async get(name: string | null | undefined): Promise<EntryStat> {
    const path = this.resolve(name);
    const label = path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
    const seen = this.recent.get(path);
    if (seen) return fileStat(label, seen.size, seen.at);
    if (path === '/') return named(await this.folder('/'), label);
    await this.folder(areaParent(path));
    let st: Stats;
    try {
      st = await lstat(this.real(path));
    } catch {
      throw new AreaError('No such file or directory');
    }
    if (!st.isFile() && !st.isDirectory()) throw new AreaError('No such file or directory');
    return named(st, label);
  }

  /** A folder's real entries (files and folders; links and devices left out) and the uploads remembered in it. */
  async list(name: string | null | undefined = '.'): Promise<EntryStat[]> {
    const path = this.resolve(name ?? '.');
    await this.folder(path);
    const real = this.real(path);
    const out = new Map<string, EntryStat>();
    for (const e of await readdir(real, { withFileTypes: true })) {
      if (!e.isFile() && !e.isDirectory()) continue;
      try {
        out.set(e.name, named(await lstat(join(real, e.name)), e.name));
      } catch {
        // Gone since readdir: leave it out.
      }
    }
    for (const u of this.recent.in(path))
      if (!out.has(u.name)) out.set(u.name, fileStat(u.name, u.size, u.at));
    return [...out.values()];
  }

  async chdir(name: string | null | undefined = '.'): Promise<string> {
    const path = this.resolve(name ?? '.');
    await this.folder(path);
    this.cwd = path;
    return path;
  }

  /** MKD: the folders are made (the missing ones of the path), real folders in the area. */
  async mkdir(name: string | null | undefined): Promise<string> {
    const path = this.resolve(name);
    await this.folder(path, true);
    return path;
  }

  /**
   * Where a STOR of `name` goes: its area path, once its folder is known to exist (cameras MKD
   * first, as every FTP server wants) and the name is not a folder or a link.
   */
  async storeTarget(name: string | null | undefined): Promise<string> {
    const path = this.resolve(name);
    if (path === '/') throw new AreaError('Invalid file name');
    await this.folder(areaParent(path));
    try {
      const st = await lstat(this.real(path));
      if (!st.isFile()) throw new AreaError('Not a plain file name');
    } catch (e) {
      if (e instanceof AreaError) throw e;
    }
    return path;
  }

  // The rest of ftp-srv's FileSystem: refused here too, should a command ever reach them.
  write(): never {
    throw new AreaError('Not allowed');
  }
  read(): never {
    throw new AreaError('Not allowed');
  }
  delete(): never {
    throw new AreaError('Not allowed');
  }
  rename(): never {
    throw new AreaError('Not allowed');
  }
  chmod(): never {
    throw new AreaError('Not allowed');
  }
}

/** A refusal whose message is fit for the FTP client. */
export class AreaError extends Error {
  override readonly name = 'AreaError';
}

/** What ftp-srv's LIST formatter and SIZE read of an entry. */
export interface EntryStat {
  name: string;
  size: number;
  mtime: Date;
  mode: number;
  uid: number;
  gid: number;
  isDirectory(): boolean;
}

function named(st: Stats, name: string): EntryStat {
  const dir = st.isDirectory();
  return {
    name,
    size: st.size,
    mtime: st.mtime,
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    isDirectory: () => dir,
  };
}

function fileStat(name: string, size: number, at: Date): EntryStat {
  return { name, size, mtime: at, mode: 0o100644, uid: 0, gid: 0, isDirectory: () => false };
}
