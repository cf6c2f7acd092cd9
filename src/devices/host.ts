/**
 * The side effects of device management, behind one interface so the manager can be tested with
 * a fake: reading `/sys/block` and the mount table, `blkid`, `mount`/`umount`, `sync`, mkfs,
 * finding who keeps a mount busy, and powering a USB device down.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, readdir, readlink, realpath, rmdir, stat, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { processHasCapability } from '../adapters/capabilities.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { OutpostError } from '../core/errors.js';
import type { RawBlockDevice, RawPartition } from './block.js';
import { parseBlkid, volumeProbe, type MountCaps, type MountPlan, type VolumeProbe } from './volumes.js';

/** One line of `/proc/self/mountinfo`, the fields device management needs. */
export interface MountLine {
  majorMinor: string;
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-mount options (`ro`, `rw`, `nosuid`...). */
  options: string[];
}

/** Who keeps a mount busy: a process with a file, its working directory or a mapping inside it. */
export interface Holder {
  pid: number;
  command: string;
  /** For the station's own process: what it has open there (a bug to report, with the log). */
  files?: string[];
}

export type UnmountResult = { ok: true } | { ok: false; busy: boolean; message: string };

export interface DeviceHost {
  /**
   * Root, or the service user with CAP_SYS_ADMIN (packaging/systemd/outpost.service), can mount;
   * anyone else gets DEVICES_NOT_MANAGED from the manager.
   */
  canMount(): boolean;
  readBlockDevices(): Promise<RawBlockDevice[]>;
  readMounts(): Promise<MountLine[]>;
  /** `blkid -p`: what is on the node, read from the device itself (no cache, no udev). */
  probe(dev: string): Promise<VolumeProbe>;
  capabilities(): Promise<MountCaps>;
  /** Run a mount plan; throws MOUNT_FAILED with what the tool said. */
  mount(plan: MountPlan): Promise<void>;
  makeDir(path: string): Promise<void>;
  /** Remove an (empty) mount directory; false when it is not there or not empty. */
  removeDir(path: string): Promise<boolean>;
  /** Flush one filesystem's dirty data (`sync -f`). */
  sync(mountPoint: string): Promise<void>;
  unmount(mountPoint: string): Promise<UnmountResult>;
  /** Detach at once even if busy (`umount -l`): for a device that is already gone. */
  lazyUnmount(mountPoint: string): Promise<void>;
  /** Write out the device's own buffers after an unmount (`blockdev --flushbufs`). */
  flushDevice(dev: string): Promise<void>;
  holders(mountPoint: string): Promise<Holder[]>;
  /** Make an empty card reader notice a card: kernel media polling on, and a look at the device. */
  wakeReader(name: string): Promise<void>;
  /** Power a USB device down (its `remove` attribute); false when it is not USB. */
  powerOff(name: string): Promise<boolean>;
  run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }>;
}

const TOOL_TIMEOUT_MS = 30_000;

async function text(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function unescapeOctal(s: string): string {
  return s.includes('\\')
    ? s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)))
    : s;
}

/** The fields of `/proc/self/mountinfo` this module needs (the full parser is core/mountinfo). */
export function parseMountLines(mountinfo: string): MountLine[] {
  const out: MountLine[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 3 || !/^\d+:\d+$/.test(f[2] ?? '')) continue;
    out.push({
      majorMinor: f[2]!,
      mountPoint: unescapeOctal(f[4] ?? ''),
      options: (f[5] ?? '').split(',').filter(Boolean),
      fsType: unescapeOctal(f[sep + 1] ?? ''),
      source: unescapeOctal(f[sep + 2] ?? ''),
    });
  }
  return out;
}

/** The real host: sysfs, procfs and util-linux through the process runner. */
export function nodeDeviceHost(runner: ProcessRunner, sysBlock = '/sys/block'): DeviceHost {
  const tool = async (cmd: string, args: string[], timeoutMs = TOOL_TIMEOUT_MS) => {
    const r = await runner.run(cmd, args, { timeoutMs });
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.trim() };
  };

  const readDevice = async (name: string): Promise<RawBlockDevice | undefined> => {
    const dir = join(sysBlock, name);
    const majorMinor = await text(join(dir, 'dev'));
    if (!majorMinor) return undefined;
    const partitions: RawPartition[] = [];
    for (const e of await readdir(dir).catch(() => [] as string[])) {
      if (!e.startsWith(name)) continue;
      const number = Number(await text(join(dir, e, 'partition')));
      if (!Number.isInteger(number) || number <= 0) continue;
      partitions.push({
        name: e,
        number,
        majorMinor: (await text(join(dir, e, 'dev'))) ?? '',
        sizeSectors: Number(await text(join(dir, e, 'size'))) || 0,
      });
    }
    let loop: RawBlockDevice['loop'];
    if (name.startsWith('loop')) {
      const backingFile = await text(join(dir, 'loop', 'backing_file'));
      loop = backingFile
        ? { backingFile, autoclear: (await text(join(dir, 'loop', 'autoclear'))) === '1' }
        : null;
    }
    const diskseq = Number(await text(join(dir, 'diskseq')));
    return {
      name,
      majorMinor,
      sizeSectors: Number(await text(join(dir, 'size'))) || 0,
      removable: (await text(join(dir, 'removable'))) === '1',
      readOnly: (await text(join(dir, 'ro'))) === '1',
      ...(Number.isFinite(diskseq) && diskseq > 0 ? { diskseq } : {}),
      sysPath: await realpath(dir).catch(() => dir),
      ...(loop !== undefined ? { loop } : {}),
      holders: await readdir(join(dir, 'holders')).catch(() => []),
      partitions,
      vendor: await text(join(dir, 'device', 'vendor')),
      model: await text(join(dir, 'device', 'model')),
    };
  };

  let caps: Promise<MountCaps> | undefined;

  return {
    canMount: () => process.getuid?.() === 0 || processHasCapability('CAP_SYS_ADMIN'),

    async readBlockDevices() {
      const names = await readdir(sysBlock).catch(() => [] as string[]);
      const all = await Promise.all(names.map((n) => readDevice(n).catch(() => undefined)));
      return all.filter((d): d is RawBlockDevice => d !== undefined);
    },

    readMounts: async () => parseMountLines(await readFile('/proc/self/mountinfo', 'utf8')),

    async probe(dev) {
      // -p: read the device itself (no cache); exit 2 means nothing was recognised.
      const r = await tool('blkid', ['-p', '-o', 'export', dev]);
      if (r.code !== 0) return {};
      return volumeProbe(parseBlkid(r.stdout));
    },

    capabilities() {
      caps ??= (async () => {
        const kernel = new Set<string>();
        for (const line of ((await text('/proc/filesystems')) ?? '').split('\n')) {
          const name = line.trim().split(/\s+/).at(-1);
          if (name) kernel.add(name);
        }
        // Modules load on first mount: vfat, exfat and ntfs3 are often modules not yet loaded.
        const mods = `/lib/modules/${release()}`;
        for (const f of ['modules.builtin', 'modules.dep']) {
          for (const m of ((await text(join(mods, f))) ?? '').matchAll(/kernel\/fs\/[^:\s]*?\/([\w-]+)\.ko/g))
            if (m[1]) kernel.add(m[1]);
        }
        const fuse = new Set<string>();
        const exists = (p: string) =>
          stat(p).then(
            () => true,
            () => false,
          );
        for (const h of ['exfat-fuse', 'exfat', 'ntfs-3g'])
          if ((await exists(`/sbin/mount.${h}`)) || (await exists(`/usr/sbin/mount.${h}`))) fuse.add(h);
        for (const d of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'])
          if (await exists(join(d, 'fusefat'))) fuse.add('fusefat');
        return { kernel, fuse };
      })();
      return caps;
    },

    async mount(plan) {
      const r = await tool(plan.cmd, plan.args, 60_000);
      if (r.code !== 0)
        throw new OutpostError('MOUNT_FAILED', `${plan.driver}: ${r.stderr || `exit ${r.code}`}`, {
          details: { cmd: plan.cmd, args: plan.args },
        });
    },

    makeDir: async (path) => {
      await mkdir(path, { recursive: true, mode: 0o755 });
    },

    removeDir: (path) =>
      rmdir(path).then(
        () => true,
        () => false,
      ),

    async sync(mountPoint) {
      await tool('sync', ['-f', mountPoint], 120_000);
    },

    async unmount(mountPoint) {
      const r = await tool('umount', [mountPoint], 120_000);
      if (r.code === 0) return { ok: true };
      return { ok: false, busy: /busy/i.test(r.stderr), message: r.stderr || `umount exit ${r.code}` };
    },

    async lazyUnmount(mountPoint) {
      await tool('umount', ['-l', mountPoint]);
    },

    async flushDevice(dev) {
      await tool('blockdev', ['--flushbufs', dev]).catch(() => undefined);
    },

    async holders(mountPoint) {
      const inside = (p: string) => p === mountPoint || p.startsWith(`${mountPoint}/`);
      const out: Holder[] = [];
      const self = String(process.pid);
      for (const pid of await readdir('/proc').catch(() => [] as string[])) {
        if (!/^\d+$/.test(pid)) continue;
        const base = join('/proc', pid);
        const links = ['cwd', 'root', 'exe'].map((l) => join(base, l));
        for (const fd of await readdir(join(base, 'fd')).catch(() => [] as string[]))
          links.push(join(base, 'fd', fd));
        let hit = false;
        const files: string[] = [];
        for (const l of links) {
          const target = await readlink(l).catch(() => '');
          if (target && inside(target.replace(/ \(deleted\)$/, ''))) {
            hit = true;
            if (pid !== self) break;
            files.push(target);
          }
        }
        if (!hit) {
          const maps = (await text(join(base, 'maps'))) ?? '';
          hit = maps.split('\n').some((l) => {
            const i = l.indexOf('/');
            return i >= 0 && inside(l.slice(i));
          });
        }
        if (!hit) continue;
        const command = (await text(join(base, 'comm'))) ?? '?';
        out.push(
          pid === self
            ? { pid: Number(pid), command: `${command} (the station itself)`, files: files.slice(0, 12) }
            : { pid: Number(pid), command },
        );
      }
      return out;
    },

    async wakeReader(name) {
      const poll = join(sysBlock, name, 'events_poll_msecs');
      const v = await text(poll);
      // What udisks does: let the kernel poll the reader for a card every 2 s.
      if (v === '-1' || v === '0') await writeFile(poll, '2000').catch(() => undefined);
      // Opening the device makes the kernel check for a medium now (ENOMEDIUM when empty).
      const h = await open(`/dev/${name}`, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
      await h?.close();
    },

    async powerOff(name) {
      const path = await realpath(join(sysBlock, name)).catch(() => '');
      // …/usb2/2-1/2-1:1.0/host0/… : the USB device is the last `bus-port[.port]` component.
      const parts = path.split('/');
      let usb = -1;
      parts.forEach((p, i) => {
        if (/^\d+-[\d.]+$/.test(p)) usb = i;
      });
      if (usb < 0) return false;
      await writeFile(join(parts.slice(0, usb + 1).join('/'), 'remove'), '1');
      return true;
    },

    async run(cmd, args, timeoutMs) {
      const r = await tool(cmd, args, timeoutMs);
      return { code: r.code, stderr: r.stderr };
    },
  };
}
