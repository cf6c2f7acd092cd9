/**
 * The station's own devices: polls `/sys/block` every second, mounts each new volume under the
 * mount root (read-only first, read-write when its role needs it), tells the station, unmounts on
 * request (sync, umount, mount point removed) and cleans up after a device that was pulled while
 * mounted (lazy unmount). Why polling and not udev: docs/devices.md.
 *
 * All side effects go through the {@link DeviceHost}; the decisions are in block.ts and
 * volumes.ts. One medium is probed and mounted at a time (a serial queue); the poll itself never
 * waits for it, so a pulled device is noticed within a poll even while another one is mounting.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../adapters/logger.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import {
  deviceTable,
  diffMedia,
  mountedOutside,
  settled,
  type DeviceFilter,
  type EmptySlot,
  type Medium,
} from './block.js';
import type { DeviceHost, Holder } from './host.js';
import {
  formatTarget,
  isMountable,
  mkfsCommand,
  mountDirName,
  mountPlans,
  volumeNodes,
  type FormatFs,
  type MountPlan,
  type VolumeNode,
  type VolumeProbe,
  type VolumeRole,
} from './volumes.js';

/** A volume the station mounted. */
export interface ManagedVolume {
  /** Node name (`sdb1`) and path (`/dev/sdb1`). */
  name: string;
  dev: string;
  mountPoint: string;
  fsType: string;
  uuid?: string | undefined;
  label?: string | undefined;
  role: VolumeRole;
  /** Mounted read-only (a card, or a filesystem this machine can only read). */
  readOnly: boolean;
  /** `kernel ext4`, `exfat-fuse`, `ntfs-3g`... */
  driver: string;
  medium: Pick<Medium, 'key' | 'name' | 'dev' | 'sizeBytes' | 'description' | 'usb'>;
  state: 'mounted' | 'releasing' | 'released' | 'gone';
}

/** What the web app shows of a medium (a drive or card the station holds). */
export interface MediumView {
  name: string;
  dev: string;
  description?: string | undefined;
  sizeBytes: number;
  usb: boolean;
  volumes: {
    dev: string;
    fsType?: string | undefined;
    label?: string | undefined;
    mountPoint?: string | undefined;
    role?: VolumeRole | undefined;
    state?: ManagedVolume['state'] | undefined;
    problem?: string | undefined;
  }[];
  /** May be formatted (nothing on it holds a file), or why not. */
  format: { ok: true } | { ok: false; reason: string };
}

export type ReleaseResult =
  { ok: true; volume: ManagedVolume } | { ok: false; volume: ManagedVolume; busy: boolean; detail: string };

export interface DeviceManagerOptions {
  host: DeviceHost;
  filter: DeviceFilter;
  mountRoot: string;
  intervalMs: number;
  signal: AbortSignal;
  log: Logger;
  /** What a freshly mounted (read-only) volume is. */
  classify(mountPoint: string): Promise<VolumeRole>;
  /** Whether a role needs a read-write mount (library and empty drives; cards with clean-up). */
  needsWrite(role: VolumeRole): boolean;
  /** A volume is mounted for good; awaited (the next medium waits). */
  onMounted(v: ManagedVolume): void | Promise<void>;
  /**
   * A mounted volume went away without a release (device pulled, card out of the reader,
   * unmounted by someone else). The lazy unmount is done and the mount point removed.
   */
  onPulled(v: ManagedVolume, why: string): void | Promise<void>;
  /** A volume was unmounted by {@link DeviceManager.release} (also for a format). */
  onReleased?(v: ManagedVolume): void;
  /** A medium left (after its volumes were pulled or released): its slot is empty again. */
  onMediumGone?(m: Medium): void;
  /** A volume could not be mounted; told once per medium. */
  onProblem?(p: { dev: string; fsType?: string | undefined; message: string }): void;
  /** Power a USB device down once all its volumes are released. */
  powerOff?: boolean;
  /** Awaited after the abort, before the last unmounts (the station finishing its queue). */
  beforeStop?: () => Promise<unknown>;
}

export interface DeviceManager {
  /** Resolves after the first poll (and the media found then are mounted), or at once when not managing. */
  readonly ready: Promise<void>;
  /** Resolves after the abort, once every volume the station mounted is unmounted. */
  readonly done: Promise<void>;
  volumes(): ManagedVolume[];
  media(): MediumView[];
  empty(): EmptySlot[];
  /** sync, unmount, remove the mount point; a busy mount stays mounted and says who holds it. */
  release(mountPoint: string): Promise<ReleaseResult>;
  /** The work that used a pulled device is over: remove the placeholder mounted in its place. */
  clearPlaceholder(mountPoint: string): Promise<void>;
  /** Format an empty medium (ext4 or exFAT) and mount it again; refuses one with any file on it. */
  format(
    name: string,
    fs: FormatFs,
    label: string,
    isBlank: (mountPoint: string) => Promise<boolean>,
  ): Promise<ManagedVolume[]>;
}

/** A busy unmount is tried again this many times, this far apart, before it is reported. */
const BUSY_RETRIES = 4;
const BUSY_RETRY_MS = 250;

/** How soon a newly seen medium is looked at again (its partitions may still be appearing). */
const SETTLE_MS = 300;

interface Entry {
  medium: Medium;
  state: 'settling' | 'queued' | 'mounting' | 'ready' | 'formatting';
  gone: boolean;
  nodes: { node: VolumeNode; probe: VolumeProbe; problem?: string }[];
  problemTold: boolean;
}

/** "bash (pid 12), sqlite3 (pid 40)" — at most three, then a count. */
export function describeHolders(h: readonly Holder[]): string {
  if (h.length === 0) return '';
  const named = h.slice(0, 3).map((x) => `${x.command} (pid ${x.pid})`);
  return `used by ${named.join(', ')}${h.length > 3 ? ` and ${h.length - 3} more` : ''}`;
}

export function startDeviceManager(opts: DeviceManagerOptions): DeviceManager {
  const { host, log, mountRoot, signal } = opts;
  const entries = new Map<string, Entry>();
  const volumes = new Map<string, ManagedVolume>();
  /** Mount points of pulled devices held by an empty read-only tmpfs (see placeholder). */
  const placeholders = new Set<string>();
  let empty: EmptySlot[] = [];
  let work: Promise<void> = Promise.resolve();

  const enqueue = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = work.then(fn);
    work = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  };

  const safe = async (what: string, fn: () => void | Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      log.warn({ err }, `devices: ${what} failed`);
    }
  };

  const tryPlans = async (
    plans: MountPlan[],
  ): Promise<{ plan: MountPlan; errors: string[] } | { errors: string[] }> => {
    const errors: string[] = [];
    for (const plan of plans) {
      try {
        await host.mount(plan);
        return { plan, errors };
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
    return { errors };
  };

  /** Mounted read-only in fact? (mount(8) falls back to ro on a write-protected device.) */
  const mountedReadOnly = async (mountPoint: string): Promise<boolean | undefined> => {
    const m = (await host.readMounts()).filter((x) => x.mountPoint === mountPoint).at(-1);
    return m ? m.options.includes('ro') : undefined;
  };

  const mountNode = async (e: Entry, n: Entry['nodes'][number]): Promise<void> => {
    const { node, probe } = n;
    if (!probe.fsType) return;
    if (!isMountable(probe.fsType)) {
      n.problem = `${probe.fsType}: not a filesystem the station mounts`;
      return;
    }
    const caps = await host.capabilities();
    const mountPoint = join(mountRoot, mountDirName(node.name));
    const ro = mountPlans(probe.fsType, 'ro', node.dev, mountPoint, caps);
    if (ro.length === 0) {
      n.problem = `no driver for ${probe.fsType} on this machine`;
      return;
    }
    // The same device back (or another one under its name): the place is needed again.
    await clearPlaceholder(mountPoint);
    await host.makeDir(mountPoint);
    let got = await tryPlans(ro);
    if (!('plan' in got)) {
      n.problem = got.errors.join('; ');
      await host.removeDir(mountPoint);
      return;
    }
    let plan = got.plan;
    let readOnly = true;
    const role = await opts.classify(mountPoint).catch((err: unknown) => {
      log.warn({ err, mountPoint }, 'devices: could not look at the volume');
      return 'other' as const;
    });
    if (opts.needsWrite(role)) {
      const rw = mountPlans(probe.fsType, 'rw', node.dev, mountPoint, caps).filter((p) => !p.readOnly);
      const u = rw.length ? await host.unmount(mountPoint) : { ok: false as const, busy: false, message: '' };
      if (u.ok) {
        got = await tryPlans(rw);
        if ('plan' in got) {
          plan = got.plan;
          readOnly = (await mountedReadOnly(mountPoint)) ?? false;
        } else {
          // A dirty NTFS refuses to be written, a write-protected card... read it as it is.
          log.warn({ dev: node.dev, errors: got.errors }, 'devices: could not mount read-write; read-only');
          const back = await tryPlans(ro);
          if (!('plan' in back)) {
            n.problem = [...got.errors, ...back.errors].join('; ');
            await host.removeDir(mountPoint);
            return;
          }
          plan = back.plan;
        }
      }
    }
    const v: ManagedVolume = {
      name: node.name,
      dev: node.dev,
      mountPoint,
      fsType: probe.fsType,
      ...(probe.uuid ? { uuid: probe.uuid } : {}),
      ...(probe.label ? { label: probe.label } : {}),
      role,
      readOnly,
      driver: plan.driver,
      medium: {
        key: e.medium.key,
        name: e.medium.name,
        dev: e.medium.dev,
        sizeBytes: e.medium.sizeBytes,
        description: e.medium.description,
        usb: e.medium.usb,
      },
      state: 'mounted',
    };
    volumes.set(mountPoint, v);
    log.info(
      { dev: v.dev, fsType: v.fsType, driver: v.driver, mountPoint, role, readOnly, label: v.label },
      'device mounted',
    );
  };

  /** Probe every node of a medium, mount what can be mounted, tell the station. */
  const mountMedium = async (e: Entry): Promise<void> => {
    if (e.gone || signal.aborted) return;
    e.state = 'mounting';
    e.nodes = [];
    for (const node of volumeNodes(e.medium)) {
      const probe = await host.probe(node.dev).catch(() => ({}) as VolumeProbe);
      e.nodes.push({ node, probe });
    }
    const fresh: ManagedVolume[] = [];
    for (const n of e.nodes) {
      if (e.gone || signal.aborted) break;
      const before = new Set(volumes.keys());
      await mountNode(e, n).catch((err: unknown) => {
        n.problem = err instanceof Error ? err.message : String(err);
      });
      for (const [mp, v] of volumes) if (!before.has(mp)) fresh.push(v);
    }
    const problems = e.nodes.filter((n) => n.problem);
    if (problems.length && !e.problemTold) {
      e.problemTold = true;
      for (const n of problems) {
        log.warn({ dev: n.node.dev, fsType: n.probe.fsType, problem: n.problem }, 'devices: not mounted');
        opts.onProblem?.({ dev: n.node.dev, fsType: n.probe.fsType, message: n.problem! });
      }
    }
    if (e.gone || signal.aborted) {
      // Pulled while it was being mounted: undo quietly (the poll that saw it go told no one).
      for (const v of fresh) await dropVolume(v);
      return;
    }
    e.state = 'ready';
    if (fresh.length === 0 && e.nodes.every((n) => !n.probe.fsType))
      log.info({ dev: e.medium.dev, sizeBytes: e.medium.sizeBytes }, 'device without a filesystem');
    for (const v of fresh) await safe('telling the station about a volume', () => opts.onMounted(v));
  };

  /** A device that is gone: detach its mount at once (files may still be open) and remove the directory. */
  const dropVolume = async (v: ManagedVolume, keepPlace = false): Promise<void> => {
    v.state = 'gone';
    volumes.delete(v.mountPoint);
    if (keepPlace && (await placeholder(v.mountPoint))) return;
    await host.lazyUnmount(v.mountPoint).catch(() => undefined);
    await host.removeDir(v.mountPoint);
  };

  /**
   * A device pulled while work was using it: an empty read-only tmpfs is mounted over it until the
   * station says the work is over ({@link DeviceManager.clearPlaceholder}), and only then is the
   * device's own mount detached (lazily) and the directory removed. Unmounting first would leave a
   * moment where a copy or mirror still running writes into the bare directory, onto the system
   * disk (`mkdir -p` recreates what it needs); over the placeholder writes fail (EROFS, a drive
   * error) and reads find nothing.
   */
  const placeholder = async (mountPoint: string): Promise<boolean> => {
    try {
      await host.mount({
        driver: 'placeholder',
        cmd: 'mount',
        args: ['-t', 'tmpfs', '-o', 'ro,nosuid,nodev,noexec,size=4k,mode=0555', 'outpost-gone', mountPoint],
        readOnly: true,
      });
      placeholders.add(mountPoint);
      return true;
    } catch (err) {
      log.warn({ err, mountPoint }, 'devices: no placeholder for a pulled device');
      return false;
    }
  };

  const clearPlaceholder = async (mountPoint: string): Promise<void> => {
    if (!placeholders.delete(mountPoint)) return;
    const u = await host.unmount(mountPoint).catch(() => ({ ok: false }) as const);
    if (!u.ok) await host.lazyUnmount(mountPoint).catch(() => undefined);
    // The pulled device's own mount, under the placeholder: detached now, files open or not.
    await host.lazyUnmount(mountPoint).catch(() => undefined);
    await host.removeDir(mountPoint);
  };

  const pulled = async (v: ManagedVolume, why: string): Promise<void> => {
    if (v.state !== 'mounted' && v.state !== 'releasing') return;
    await dropVolume(v, true);
    log.warn({ dev: v.dev, mountPoint: v.mountPoint, role: v.role, why }, 'device gone while mounted');
    await safe('reporting a pulled device', () => opts.onPulled(v, why));
  };

  const poll = async (): Promise<void> => {
    // Taken before the mount table is read: a volume mounted while this poll runs is not in it.
    const wereMounted = [...volumes.values()].filter((v) => v.state === 'mounted');
    const mounts = await host.readMounts();
    const table = deviceTable(await host.readBlockDevices(), opts.filter, mountedOutside(mounts, mountRoot));
    empty = table.empty;
    const before = [...entries.values()].map((e) => e.medium);
    const { added, removed } = diffMedia(before, table.media);
    for (const m of removed) {
      const e = entries.get(m.key);
      if (!e) continue;
      e.gone = true;
      entries.delete(m.key);
      for (const v of [...volumes.values()].filter((x) => x.medium.key === m.key)) {
        if (v.state === 'released') volumes.delete(v.mountPoint);
        else await pulled(v, 'the device went away');
      }
      log.info({ dev: m.dev }, 'device removed');
      opts.onMediumGone?.(m);
    }
    // Someone else unmounted one of ours (`umount` by hand): the station must stop using it.
    const mounted = new Set(mounts.map((x) => x.mountPoint));
    for (const v of wereMounted)
      if (v.state === 'mounted' && !mounted.has(v.mountPoint))
        await pulled(v, 'unmounted outside the station');
    for (const m of added) {
      entries.set(m.key, { medium: m, state: 'settling', gone: false, nodes: [], problemTold: false });
      log.info({ dev: m.dev, sizeBytes: m.sizeBytes, description: m.description }, 'device detected');
    }
    const fresh = new Set(added.map((m) => m.key));
    for (const m of table.media) {
      const e = entries.get(m.key);
      if (!e) continue;
      // Seen for the first time in this poll: compared with the next one.
      const ready = !fresh.has(m.key) && settled(e.medium, m);
      e.medium = m;
      if (e.state === 'settling' && ready) {
        e.state = 'queued';
        void enqueue(() => mountMedium(e));
      }
    }
    for (const s of table.empty)
      if (!s.name.startsWith('loop')) await host.wakeReader(s.name).catch(() => undefined);
  };

  /** Mounts left under the mount root by an earlier run that did not stop cleanly. */
  const cleanStale = async (): Promise<void> => {
    const stale = (await host.readMounts())
      .map((m) => m.mountPoint)
      .filter((p) => p.startsWith(`${mountRoot}/`))
      .reverse();
    for (const p of stale) {
      const u = await host.unmount(p);
      if (!u.ok) await host.lazyUnmount(p).catch(() => undefined);
      await host.removeDir(p);
      log.warn({ mountPoint: p }, 'devices: unmounted a mount left by an earlier run');
    }
  };

  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));

  const loop = async (): Promise<void> => {
    await cleanStale();
    let polls = 0;
    while (!signal.aborted) {
      await poll().catch((err: unknown) => log.warn({ err }, 'devices: poll failed'));
      // Media present at start settle on the second poll; ready once they are mounted.
      if (++polls === 2) void work.then(markReady);
      // A medium just seen is looked at again soon: it is mounted once it has settled.
      const settling = [...entries.values()].some((e) => e.state === 'settling');
      await sleep(settling ? Math.min(opts.intervalMs, SETTLE_MS) : opts.intervalMs, undefined, {
        signal,
      }).catch(() => undefined);
    }
  };

  const release = async (mountPoint: string): Promise<ReleaseResult> => {
    const v = volumes.get(mountPoint);
    if (!v || v.state !== 'mounted')
      throw new OutpostError('NO_SUCH_DEVICE', `nothing the station mounted is at ${mountPoint}`);
    v.state = 'releasing';
    await host.sync(mountPoint).catch(() => undefined);
    let u = await host.unmount(mountPoint);
    // Files closed a moment ago may still count for the kernel (a close through io_uring, a FUSE
    // release in flight): "busy" is only believed when it lasts.
    for (let i = 0; !u.ok && u.busy && i < BUSY_RETRIES && v.state === 'releasing'; i++) {
      await sleep(BUSY_RETRY_MS);
      u = await host.unmount(mountPoint);
    }
    if (!u.ok) {
      if (v.state !== 'releasing')
        return { ok: false, volume: v, busy: false, detail: 'the device went away' };
      v.state = 'mounted';
      const holders = u.busy ? await host.holders(mountPoint).catch(() => []) : [];
      const detail = describeHolders(holders) || u.message;
      const own = holders.find((h) => h.files)?.files;
      log.warn({ mountPoint, detail, ...(own ? { stationFiles: own } : {}) }, 'devices: could not unmount');
      return { ok: false, volume: v, busy: u.busy, detail };
    }
    await host.flushDevice(v.dev);
    await host.removeDir(mountPoint);
    v.state = 'released';
    log.info({ dev: v.dev, mountPoint }, 'device unmounted: safe to remove');
    opts.onReleased?.(v);
    const rest = [...volumes.values()].filter((x) => x.medium.key === v.medium.key && x.state !== 'released');
    if (opts.powerOff && rest.length === 0 && v.medium.usb)
      await host
        .powerOff(v.medium.name)
        .then((off) => off && log.info({ dev: v.medium.dev }, 'device powered down'))
        .catch((err: unknown) => log.warn({ err }, 'devices: could not power the device down'));
    return { ok: true, volume: v };
  };

  const formatFacts = async (e: Entry, isBlank: (mp: string) => Promise<boolean>) =>
    Promise.all(
      e.nodes.map(async (n) => {
        const v = [...volumes.values()].find((x) => x.dev === n.node.dev && x.state === 'mounted');
        const blank = v ? (v.role === 'blank' ? await isBlank(v.mountPoint) : false) : undefined;
        return { node: n.node, probe: n.probe, blank };
      }),
    );

  const format = async (
    name: string,
    fs: FormatFs,
    label: string,
    isBlank: (mountPoint: string) => Promise<boolean>,
  ): Promise<ManagedVolume[]> =>
    enqueue(async () => {
      const e = [...entries.values()].find((x) => x.medium.name === name && !x.gone);
      if (!e || e.state !== 'ready')
        throw new OutpostError('NO_SUCH_DEVICE', `no device ${name} ready`, {
          hint: 'GET /api/drives lists the devices the station holds.',
        });
      const target = formatTarget(e.medium, await formatFacts(e, isBlank));
      if (!target.ok)
        throw new OutpostError('DRIVE_NOT_EMPTY', `${e.medium.dev} is not formatted: ${target.reason}`);
      for (const v of [...volumes.values()].filter(
        (x) => x.medium.key === e.medium.key && x.state === 'mounted',
      )) {
        const r = await release(v.mountPoint);
        if (!r.ok)
          throw new OutpostError(
            'DEVICE_BUSY',
            `${v.dev} could not be unmounted for formatting: ${r.detail}`,
          );
      }
      for (const v of [...volumes.values()].filter((x) => x.medium.key === e.medium.key))
        volumes.delete(v.mountPoint);
      e.state = 'formatting';
      const { cmd, args } = mkfsCommand(fs, target.node.dev, label);
      log.warn({ dev: target.node.dev, fs, label }, 'formatting an empty drive');
      const r = await host.run(cmd, args, 30 * 60_000).catch((err: unknown) => {
        throw isOutpostError(err) ? err : new OutpostError('INTERNAL', String(err));
      });
      if (r.code !== 0) {
        e.state = 'ready';
        throw new OutpostError(
          'MOUNT_FAILED',
          `${cmd} failed on ${target.node.dev}: ${r.stderr || `exit ${r.code}`}`,
          {
            hint: 'Check the drive in another computer; it may be failing.',
          },
        );
      }
      e.problemTold = false;
      const known = new Set(volumes.keys());
      await mountMedium(e);
      return [...volumes.values()].filter((v) => !known.has(v.mountPoint));
    });

  const media = (): MediumView[] =>
    [...entries.values()]
      .filter((e) => !e.gone)
      .map((e) => {
        const vols = e.nodes.map((n) => {
          const v = [...volumes.values()].find((x) => x.dev === n.node.dev && x.state !== 'gone');
          return {
            dev: n.node.dev,
            ...(n.probe.fsType ? { fsType: n.probe.fsType } : {}),
            ...(n.probe.label ? { label: n.probe.label } : {}),
            ...(v ? { mountPoint: v.mountPoint, role: v.role, state: v.state } : {}),
            ...(n.problem ? { problem: n.problem } : {}),
          };
        });
        // Sync view: "blank" as last classified (the format itself checks the files again).
        const facts = e.nodes.map((n) => {
          const v = [...volumes.values()].find((x) => x.dev === n.node.dev && x.state === 'mounted');
          return { node: n.node, probe: n.probe, blank: v ? v.role === 'blank' : undefined };
        });
        const t =
          e.state === 'ready'
            ? formatTarget(e.medium, facts)
            : { ok: false as const, reason: 'the station is still looking at it' };
        return {
          name: e.medium.name,
          dev: e.medium.dev,
          ...(e.medium.description ? { description: e.medium.description } : {}),
          sizeBytes: e.medium.sizeBytes,
          usb: e.medium.usb,
          volumes: vols,
          format: t.ok ? { ok: true as const } : { ok: false as const, reason: t.reason },
        };
      });

  const done = (async () => {
    if (!host.canMount()) {
      markReady();
      return;
    }
    await loop().catch((err: unknown) => log.error({ err }, 'devices: stopped'));
    await work;
    await opts.beforeStop?.().catch(() => undefined);
    // Stopping: nothing stays mounted (a busy mount is detached lazily; the kernel finishes it).
    for (const v of [...volumes.values()].reverse()) {
      if (v.state !== 'mounted') continue;
      await host.sync(v.mountPoint).catch(() => undefined);
      const u = await host.unmount(v.mountPoint).catch(() => ({ ok: false }) as const);
      if (!u.ok) await host.lazyUnmount(v.mountPoint).catch(() => undefined);
      await host.removeDir(v.mountPoint);
      v.state = 'released';
    }
    for (const p of [...placeholders]) await clearPlaceholder(p);
    markReady();
  })();

  return {
    ready,
    done,
    volumes: () => [...volumes.values()].filter((v) => v.state !== 'gone'),
    media,
    empty: () => [...empty],
    release,
    clearPlaceholder,
    format,
  };
}
