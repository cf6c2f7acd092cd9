/**
 * Real mounts for integration tests and benchmarks (root only): ext4 images on loop devices,
 * fixed-size tmpfs ("drive full"), bind mounts, lazy unmounts ("card pulled while files are open").
 *
 * Everything made here is registered and undone by {@link cleanupMounts}. Call
 * {@link registerMountCleanup} once at the top of a test file; a process `exit` hook also unmounts
 * whatever is left, so a crashed test does not leave mounts behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after } from 'node:test';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { encoding: 'utf8' });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`, { cause: e });
  }
}

// --- registry ------------------------------------------------------------------------------------

/** Mount points made by the kit, in mount order (undone in reverse). */
const mounted: string[] = [];
const tempDirs: string[] = [];

function forget(mountPoint: string): void {
  const i = mounted.lastIndexOf(mountPoint);
  if (i >= 0) mounted.splice(i, 1);
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points (and sources) currently in this process's mount table. Kit-local on purpose. */
function mountTable(text: string): Array<{ mountPoint: string; source: string }> {
  const out: Array<{ mountPoint: string; source: string }> = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f[4] === undefined) continue;
    out.push({ mountPoint: unescapeOctal(f[4]), source: unescapeOctal(f[sep + 2] ?? '') });
  }
  return out;
}

function isMountedSync(mountPoint: string): boolean {
  return mountTable(readFileSync('/proc/self/mountinfo', 'utf8')).some((m) => m.mountPoint === mountPoint);
}

function mountsBelowSync(dir: string): string[] {
  return mountTable(readFileSync('/proc/self/mountinfo', 'utf8'))
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** Unmount; when busy, detach lazily. Never throws for "not mounted". */
function unmountSync(mountPoint: string): void {
  // A mount point can hold stacked mounts; peel them all.
  for (let i = 0; i < 16 && isMountedSync(mountPoint); i++) {
    try {
      execFileSync('umount', [mountPoint], { stdio: 'ignore' });
    } catch {
      try {
        execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
      } catch {
        /* give up on this one; reported by the check below */
      }
    }
  }
}

/**
 * Undo everything the kit made: unmount (lazily if busy) in reverse order, then remove the temp
 * dirs, but only once nothing is mounted below them (a recursive rm through a bind mount would
 * delete the files it exposes).
 */
export async function cleanupMounts(): Promise<void> {
  while (mounted.length > 0) {
    const mp = mounted.pop();
    if (mp !== undefined) unmountSync(mp);
  }
  while (tempDirs.length > 0) {
    const dir = tempDirs.pop();
    if (dir === undefined) continue;
    for (const mp of mountsBelowSync(dir).reverse()) unmountSync(mp);
    const left = mountsBelowSync(dir);
    if (left.length > 0) throw new Error(`test kit: still mounted, not removing ${dir}: ${left.join(', ')}`);
    await rm(dir, { recursive: true, force: true });
  }
}

let cleanupRegistered = false;
/** Call once at the top level of a test file: runs {@link cleanupMounts} after its tests. */
export function registerMountCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  after(cleanupMounts);
}

process.on('exit', () => {
  for (const mp of [...mounted].reverse()) unmountSync(mp);
  for (const dir of tempDirs) for (const mp of mountsBelowSync(dir).reverse()) unmountSync(mp);
});

// --- helpers -------------------------------------------------------------------------------------

/** A fresh temp directory, removed by {@link cleanupMounts}. Canonical path (no symlinks). */
export async function makeTempDir(prefix = 'outpost-kit-'): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  tempDirs.push(dir);
  return dir;
}

let canMountCache: Promise<boolean> | undefined;
/** True when this process can mount (root, mount(8) available, not forbidden by a container). */
export function canMount(): Promise<boolean> {
  canMountCache ??= (async () => {
    if (process.getuid?.() !== 0) return false;
    const dir = await mkdtemp(join(tmpdir(), 'outpost-canmount-'));
    try {
      await sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
      unmountSync(dir);
      return true;
    } catch {
      return false;
    } finally {
      unmountSync(dir);
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return canMountCache;
}

/** Message for integration tests that need mounts: CI runs as root, so this must fail, not skip. */
export const CANNOT_MOUNT_MESSAGE =
  'These integration tests need root and working mount/loop devices (CI runs them as root). ' +
  'Run them with sudo, or run only the unit tier: npm run test:unit.';

export interface Ext4ImageOptions {
  sizeMB: number;
  /** Filesystem UUID (`mkfs.ext4 -U`). */
  uuid: string;
  /** Filesystem label, at most 16 bytes (`mkfs.ext4 -L`). */
  label: string;
  /** Files to put in the image, by `/`-separated relative path. */
  files?: Record<string, Buffer | string>;
  /** Or: copy this directory's contents into the image. */
  fromDir?: string;
}

/** Make an ext4 image file already filled with files (`mkfs.ext4 -d`, no mount needed). */
export async function makeExt4Image(opts: Ext4ImageOptions): Promise<{ imagePath: string }> {
  if (opts.files && opts.fromDir) throw new Error('makeExt4Image: give files or fromDir, not both');
  const work = await makeTempDir('outpost-img-');
  const imagePath = join(work, 'card.img');
  const content = opts.fromDir ? resolve(opts.fromDir) : join(work, 'content');
  if (!opts.fromDir) {
    await mkdir(content);
    for (const [rel, data] of Object.entries(opts.files ?? {})) {
      const p = join(content, ...rel.split('/'));
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, data);
    }
  }
  await writeFile(imagePath, '');
  await sh('truncate', ['-s', `${opts.sizeMB}M`, imagePath]);
  await sh('mkfs.ext4', ['-q', '-F', '-U', opts.uuid, '-L', opts.label, '-d', content, imagePath]);
  return { imagePath };
}

export interface Mounted {
  unmount(): Promise<void>;
}

async function attachedDevices(imagePath: string): Promise<string[]> {
  const out = await sh('losetup', ['-j', imagePath]);
  return out
    .split('\n')
    .map((l) => l.split(':')[0]?.trim() ?? '')
    .filter((d) => d.startsWith('/dev/'));
}

/** Loop-mount an image (`mount -o loop`); `device` is the loop device it got. */
export async function loopMount(
  imagePath: string,
  mountPoint: string,
  opts: { readOnly?: boolean } = {},
): Promise<Mounted & { device: string }> {
  const img = resolve(imagePath);
  const mp = resolve(mountPoint);
  await mkdir(mp, { recursive: true });
  await sh('mount', ['-o', opts.readOnly ? 'loop,ro' : 'loop', img, mp]);
  mounted.push(mp);
  // The image may be attached more than once; the mount table says which device is ours.
  const devices = await attachedDevices(img);
  const source = mountTable(await readFile('/proc/self/mountinfo', 'utf8'))
    .filter((m) => m.mountPoint === mp)
    .at(-1)?.source;
  const device = devices.find((d) => d === source) ?? devices[0];
  if (!device) throw new Error(`loopMount: no loop device found for ${img}`);
  return {
    device,
    unmount: async () => {
      if (isMountedSync(mp)) await sh('umount', [mp]);
      forget(mp);
      // `mount -o loop` sets autoclear, but detach explicitly if it is still there.
      if ((await attachedDevices(img)).includes(device)) {
        await sh('losetup', ['-d', device]).catch(() => undefined);
      }
    },
  };
}

/** A tmpfs of a fixed size: writes beyond it fail with ENOSPC, a real "drive full". */
export async function mountTmpfs(mountPoint: string, sizeBytes: number): Promise<Mounted> {
  const mp = resolve(mountPoint);
  await mkdir(mp, { recursive: true });
  await sh('mount', ['-t', 'tmpfs', '-o', `size=${Math.max(1, Math.ceil(sizeBytes))}`, 'tmpfs', mp]);
  mounted.push(mp);
  return {
    unmount: async () => {
      if (isMountedSync(mp)) await sh('umount', [mp]);
      forget(mp);
    },
  };
}

/** Bind-mount `source` at `mountPoint`, optionally read-only (`mount --bind` + `remount,ro,bind`). */
export async function bindMount(
  source: string,
  mountPoint: string,
  opts: { readOnly?: boolean } = {},
): Promise<Mounted> {
  const mp = resolve(mountPoint);
  await mkdir(mp, { recursive: true });
  await sh('mount', ['--bind', resolve(source), mp]);
  mounted.push(mp);
  if (opts.readOnly) await sh('mount', ['-o', 'remount,ro,bind', mp]);
  return {
    unmount: async () => {
      if (isMountedSync(mp)) await sh('umount', [mp]);
      forget(mp);
    },
  };
}

/** Detach a mount at once even with files open on it (`umount -l`): like pulling a card mid-read. */
export async function lazyUnmount(mountPoint: string): Promise<void> {
  const mp = resolve(mountPoint);
  await sh('umount', ['-l', mp]);
  forget(mp);
}

/** Whether something is mounted exactly at `mountPoint`. */
export function isMounted(mountPoint: string): boolean {
  return existsSync(mountPoint) && isMountedSync(resolve(mountPoint));
}
