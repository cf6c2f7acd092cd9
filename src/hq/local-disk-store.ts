import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, opendir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDir } from '../adapters/fs-atomic.js';
import { errnoCode } from '../core/errors.js';
import { checkObjectKey, objectNotFound, type ObjectStore } from './object-store.js';

/**
 * Objects as plain files: `<root>/<h[0:2]>/<h>`. A put goes to `<root>/.tmp/` first (hard link
 * when the source is on the same file system, else a copy), is fsynced, then renamed into place:
 * readers see a whole object or none, and a crash leaves only a temporary file behind.
 */
export class LocalDiskStore implements ObjectStore {
  readonly root: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.root = root;
    this.tmpDir = join(root, '.tmp');
  }

  /** Create the directories and clear temporary files a crash left behind. */
  async init(): Promise<this> {
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    return this;
  }

  localPath(sha256: string): string {
    return this.pathOf(sha256);
  }

  private pathOf(sha256: string): string {
    checkObjectKey(sha256);
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  async putFile(sha256: string, srcPath: string): Promise<void> {
    const dest = this.pathOf(sha256);
    if (await this.has(sha256)) return;
    const tmp = join(this.tmpDir, `${sha256}.${randomBytes(6).toString('hex')}`);
    await mkdir(this.tmpDir, { recursive: true });
    try {
      try {
        // A link shares the finished upload's blocks: no second copy of a 10 GB video.
        await link(srcPath, tmp);
      } catch (e) {
        if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK', 'EOPNOTSUPP'].includes(errnoCode(e) ?? '')) throw e;
        await copyFile(srcPath, tmp);
      }
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      const dir = join(this.root, sha256.slice(0, 2));
      await mkdir(dir, { recursive: true });
      await rename(tmp, dest);
      await fsyncDir(dir);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.pathOf(sha256));
      return s.isFile() ? { size: s.size } : undefined;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
      throw e;
    }
  }

  async getStream(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    const path = this.pathOf(sha256);
    // Open first, so a missing object rejects here instead of erroring mid-response.
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') throw objectNotFound(sha256);
      throw e;
    }
    return range ? fh.createReadStream({ start: range.start, end: range.end }) : fh.createReadStream();
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(sha256));
      return true;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  async *list(): AsyncIterable<string> {
    let top;
    try {
      top = await opendir(this.root);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return;
      throw e;
    }
    for await (const shard of top) {
      if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
      for await (const f of await opendir(join(this.root, shard.name)))
        if (f.isFile() && /^[0-9a-f]{64}$/.test(f.name) && f.name.startsWith(shard.name)) yield f.name;
    }
  }
}
