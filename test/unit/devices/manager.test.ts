/**
 * The device manager against a fake host: what it mounts, when, with which options, and what it
 * tells the station when a device is pulled, released or busy. The real thing (loop devices,
 * real filesystems) is test/e2e/devices.test.ts.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../../src/adapters/logger.js';
import type { RawBlockDevice } from '../../../src/devices/block.js';
import type { DeviceHost, MountLine, UnmountResult } from '../../../src/devices/host.js';
import { describeHolders, startDeviceManager, type ManagedVolume } from '../../../src/devices/manager.js';
import type { MountPlan, VolumeProbe, VolumeRole } from '../../../src/devices/volumes.js';

const ROOT = '/run/outpost/media';

class FakeHost implements DeviceHost {
  devices: RawBlockDevice[] = [];
  mounts: MountLine[] = [
    { majorMinor: '254:1', mountPoint: '/', fsType: 'ext4', source: '/dev/vda1', options: ['rw'] },
  ];
  probes = new Map<string, VolumeProbe>();
  log: string[] = [];
  busy = new Set<string>();
  failMount = new Set<string>();
  dirs = new Set<string>();
  mountPolls: number[] = [];
  polls = 0;
  /** Replaces `devices` at the start of the given poll (partitions appearing a moment late). */
  script = new Map<number, RawBlockDevice[]>();
  canMount = () => true;
  readBlockDevices = async () => {
    this.polls++;
    const next = this.script.get(this.polls);
    if (next) this.devices = next;
    return structuredClone(this.devices);
  };
  readMounts = async () => structuredClone(this.mounts);
  probe = async (dev: string) => this.probes.get(dev) ?? {};
  capabilities = async () => ({ kernel: new Set(['ext4', 'vfat', 'exfat']), fuse: new Set(['ntfs-3g']) });
  async mount(plan: MountPlan) {
    const [dev, mp] = plan.args.slice(-2) as [string, string];
    this.log.push(`mount ${plan.args.join(' ')}`);
    this.mountPolls.push(this.polls);
    if (this.failMount.has(`${dev}:${plan.readOnly ? 'ro' : 'rw'}`)) throw new Error(`cannot mount ${dev}`);
    const mm = this.devices
      .flatMap((d) => [d, ...d.partitions])
      .find((d) => `/dev/${d.name}` === dev)?.majorMinor;
    this.mounts.push({
      majorMinor: mm ?? '0:0',
      mountPoint: mp,
      fsType: 'x',
      source: dev,
      options: [plan.readOnly ? 'ro' : 'rw'],
    });
  }
  makeDir = async (p: string) => void this.dirs.add(p);
  removeDir = async (p: string) => {
    if (this.mounts.some((m) => m.mountPoint === p)) return false;
    return this.dirs.delete(p);
  };
  sync = async (p: string) => void this.log.push(`sync ${p}`);
  async unmount(p: string): Promise<UnmountResult> {
    this.log.push(`umount ${p}`);
    if (this.busy.has(p)) return { ok: false, busy: true, message: 'target is busy' };
    const i = this.mounts.findLastIndex((m) => m.mountPoint === p);
    if (i < 0) return { ok: false, busy: false, message: 'not mounted' };
    this.mounts.splice(i, 1);
    return { ok: true };
  }
  lazyUnmount = async (p: string) => {
    this.log.push(`umount -l ${p}`);
    this.mounts = this.mounts.filter((m) => m.mountPoint !== p);
  };
  flushDevice = async (d: string) => void this.log.push(`flush ${d}`);
  holders = async () => [{ pid: 42, command: 'bash' }];
  wakeReader = async (n: string) => void this.log.push(`wake ${n}`);
  powerOff = async (n: string) => (this.log.push(`power-off ${n}`), true);
  run = async (cmd: string, args: string[]) => (
    this.log.push(`${cmd} ${args.join(' ')}`),
    { code: 0, stderr: '' }
  );
}

function loopDev(n: number, sizeSectors: number, over: Partial<RawBlockDevice> = {}): RawBlockDevice {
  return {
    name: `loop${n}`,
    majorMinor: `7:${n}`,
    sizeSectors,
    removable: false,
    readOnly: false,
    sysPath: `/sys/devices/virtual/block/loop${n}`,
    loop: { backingFile: `/tmp/t/${n}.img`, autoclear: false },
    holders: [],
    partitions: [],
    ...over,
  };
}

interface Told {
  mounted: ManagedVolume[];
  pulled: [ManagedVolume, string][];
  released: ManagedVolume[];
  problems: string[];
}

/** Every manager a test started; stopped after each test even when it failed. */
const running: AbortController[] = [];
afterEach(() => {
  for (const a of running.splice(0)) a.abort();
});

function start(host: FakeHost, roles: Record<string, VolumeRole>, extra: { powerOff?: boolean } = {}) {
  const abort = new AbortController();
  running.push(abort);
  const told: Told = { mounted: [], pulled: [], released: [], problems: [] };
  const m = startDeviceManager({
    host,
    filter: { includeLoop: true, loopFilesUnder: '/tmp/t' },
    mountRoot: ROOT,
    intervalMs: 20,
    signal: abort.signal,
    log: silentLogger,
    classify: async (mp) => roles[mp] ?? 'other',
    needsWrite: (r) => r === 'library' || r === 'blank',
    onMounted: (v) => void told.mounted.push({ ...v }),
    onPulled: (v, why) => void told.pulled.push([{ ...v }, why]),
    onReleased: (v) => void told.released.push({ ...v }),
    onProblem: (p) => void told.problems.push(`${p.dev}: ${p.message}`),
    ...extra,
  });
  return { m, told, stop: async () => (abort.abort(), await m.done) };
}

async function until(what: string, ok: () => boolean, ms = 2000): Promise<void> {
  const t = Date.now();
  while (!ok()) {
    if (Date.now() - t > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('devices: the manager', () => {
  it('a card mounts read-only and stays so; a library drive is remounted read-write', async () => {
    const host = new FakeHost();
    host.devices = [loopDev(1, 2048), loopDev(2, 4096)];
    host.probes.set('/dev/loop1', { fsType: 'vfat', uuid: 'C190-9167', label: 'CARD' });
    host.probes.set('/dev/loop2', { fsType: 'ext4', uuid: 'aaaa', label: 'A' });
    const { m, told, stop } = start(host, { [`${ROOT}/loop1`]: 'card', [`${ROOT}/loop2`]: 'library' });
    await m.ready;
    assert.deepEqual(
      told.mounted.map((v) => [v.mountPoint, v.role, v.readOnly, v.fsType, v.uuid]),
      [
        [`${ROOT}/loop1`, 'card', true, 'vfat', 'C190-9167'],
        [`${ROOT}/loop2`, 'library', false, 'ext4', 'aaaa'],
      ],
    );
    assert.deepEqual(
      host.log.filter((l) => l.startsWith('mount') || l.startsWith('umount')),
      [
        `mount -i -t vfat -o ro,nosuid,nodev,noexec,utf8,shortname=mixed,umask=0022,errors=remount-ro /dev/loop1 ${ROOT}/loop1`,
        `mount -i -t ext4 -o ro,noload,nosuid,nodev,noexec /dev/loop2 ${ROOT}/loop2`,
        `umount ${ROOT}/loop2`,
        `mount -i -t ext4 -o rw,noatime,errors=remount-ro,nosuid,nodev,noexec /dev/loop2 ${ROOT}/loop2`,
      ],
    );
    await stop();
    assert.deepEqual(
      host.mounts.map((x) => x.mountPoint),
      ['/'],
      'nothing stays mounted after the station stops',
    );
    assert.deepEqual([...host.dirs], []);
  });

  it('an empty reader gets a card: mounted once it settles; pulled: lazy unmount, told once', async () => {
    const host = new FakeHost();
    host.devices = [loopDev(3, 0)];
    const { m, told, stop } = start(host, { [`${ROOT}/loop3`]: 'card' });
    await m.ready;
    assert.deepEqual(m.empty(), [{ name: 'loop3', dev: '/dev/loop3' }]);
    assert.ok(!host.log.includes('wake loop3'), 'loop devices are not woken like real readers');
    host.probes.set('/dev/loop3', { fsType: 'exfat', uuid: '6B16-FC19' });
    host.devices = [loopDev(3, 8192)];
    await until('the card mounted', () => told.mounted.length === 1);
    assert.equal(told.mounted[0]!.readOnly, true);
    assert.deepEqual(m.empty(), []);
    host.devices = [loopDev(3, 0)];
    await until('the pull seen', () => told.pulled.length === 1);
    assert.equal(told.pulled[0]![1], 'the device went away');
    const mp = `${ROOT}/loop3`;
    assert.deepEqual(m.volumes(), []);
    // Until the work that used it is over, an empty read-only tmpfs holds the place: nothing can
    // be written into the bare directory (onto the system disk).
    assert.ok(
      host.log.includes(`mount -t tmpfs -o ro,nosuid,nodev,noexec,size=4k,mode=0555 outpost-gone ${mp}`),
    );
    assert.equal(host.mounts.filter((x) => x.mountPoint === mp).length, 2, 'over the device’s own mount');
    assert.ok(!host.log.includes(`umount -l ${mp}`), 'not detached while work may still write');
    await sleep(60);
    assert.equal(told.pulled.length, 1);
    await m.clearPlaceholder(mp);
    assert.ok(host.log.includes(`umount -l ${mp}`));
    assert.ok(!host.mounts.some((x) => x.mountPoint === mp), 'placeholder gone');
    assert.ok(!host.dirs.has(mp), 'mount point removed');
    // Back again: mounted where it was.
    host.devices = [loopDev(3, 8192)];
    await until('mounted again', () => told.mounted.length === 2);
    host.devices = [loopDev(3, 0)];
    await until('pulled again', () => told.pulled.length === 2);
    await stop();
    assert.deepEqual(
      host.mounts.map((x) => x.mountPoint),
      ['/'],
      'placeholders are cleared when the station stops',
    );
  });

  it('release: sync, umount, flush, directory gone; busy: stays mounted and says who', async () => {
    const host = new FakeHost();
    host.devices = [
      loopDev(4, 2048, { sysPath: '/sys/devices/pci0000:00/usb1/1-1/1-1:1.0/host2/block/loop4' }),
    ];
    host.probes.set('/dev/loop4', { fsType: 'ext4' });
    const mp = `${ROOT}/loop4`;
    const { m, told, stop } = start(host, { [mp]: 'library' }, { powerOff: true });
    await m.ready;
    host.busy.add(mp);
    const busy = await m.release(mp);
    assert.deepEqual([busy.ok, (busy as { detail: string }).detail], [false, 'used by bash (pid 42)']);
    assert.equal(m.volumes()[0]!.state, 'mounted');
    host.busy.delete(mp);
    host.log.length = 0;
    const ok = await m.release(mp);
    assert.equal(ok.ok, true);
    assert.deepEqual(host.log, [`sync ${mp}`, `umount ${mp}`, 'flush /dev/loop4', 'power-off loop4']);
    assert.equal(told.released.length, 1);
    assert.ok(!host.dirs.has(mp));
    await assert.rejects(m.release(mp), /nothing the station mounted/);
    // Still plugged in but released: not mounted again until it is re-plugged.
    await sleep(80);
    assert.equal(told.mounted.length, 1);
    // Unplugged after the release: no pull reported.
    host.devices = [];
    await sleep(80);
    assert.deepEqual(told.pulled, []);
    await stop();
  });

  it('unmounted behind its back: the station is told; a mount that fails is reported once', async () => {
    const host = new FakeHost();
    host.devices = [loopDev(5, 2048), loopDev(6, 2048)];
    host.probes.set('/dev/loop5', { fsType: 'vfat' });
    host.probes.set('/dev/loop6', { fsType: 'ntfs' });
    host.failMount.add('/dev/loop6:ro');
    const { m, told, stop } = start(host, {});
    await m.ready;
    assert.equal(told.mounted.length, 1);
    assert.deepEqual(told.problems, ['/dev/loop6: cannot mount /dev/loop6']);
    const view = m.media().find((x) => x.name === 'loop6')!;
    assert.match(view.volumes[0]!.problem!, /cannot mount/);
    assert.equal(view.format.ok, false, 'a volume it could not look into is never formatted');
    await host.unmount(`${ROOT}/loop5`);
    await until('told', () => told.pulled.length === 1);
    assert.equal(told.pulled[0]![1], 'unmounted outside the station');
    await sleep(60);
    assert.equal(told.problems.length, 1);
    await stop();
  });

  it('a device mounted elsewhere, or outside loopFilesUnder, is not touched', async () => {
    const host = new FakeHost();
    host.devices = [
      loopDev(7, 2048),
      loopDev(8, 2048, { loop: { backingFile: '/srv/x.img', autoclear: false } }),
    ];
    host.mounts.push({
      majorMinor: '7:7',
      mountPoint: '/media/usb',
      fsType: 'vfat',
      source: '/dev/loop7',
      options: ['rw'],
    });
    host.probes.set('/dev/loop7', { fsType: 'vfat' });
    host.probes.set('/dev/loop8', { fsType: 'vfat' });
    const { m, told, stop } = start(host, {});
    await m.ready;
    await sleep(60);
    assert.deepEqual(told.mounted, []);
    assert.deepEqual(m.media(), []);
    await stop();
  });

  it('formats only an empty drive: release, mkfs, mounted again', async () => {
    const host = new FakeHost();
    host.devices = [loopDev(9, 2048), loopDev(10, 2048)];
    host.probes.set('/dev/loop9', { fsType: 'exfat', usage: 'filesystem' });
    host.probes.set('/dev/loop10', { fsType: 'ext4', usage: 'filesystem' });
    const { m, told, stop } = start(host, { [`${ROOT}/loop9`]: 'blank', [`${ROOT}/loop10`]: 'other' });
    await m.ready;
    assert.deepEqual(
      m.media().map((x) => [x.name, x.format.ok]),
      [
        ['loop10', false],
        ['loop9', true],
      ],
    );
    await assert.rejects(
      m.format('loop10', 'ext4', 'B', async () => true),
      /holds files; a drive with files is never formatted/,
    );
    await assert.rejects(
      m.format('loop9', 'ext4', 'B', async () => false),
      /holds files/,
      'checked again',
    );
    host.probes.set('/dev/loop9', { fsType: 'ext4', usage: 'filesystem', label: 'B' });
    const vols = await m.format('loop9', 'ext4', 'B', async () => true);
    assert.ok(
      host.log.some((l) => /^mkfs\.ext4 -F -q -m 0 .*-L B \/dev\/loop9$/.test(l)),
      host.log.join('\n'),
    );
    assert.deepEqual(
      vols.map((v) => [v.mountPoint, v.fsType, v.readOnly]),
      [[`${ROOT}/loop9`, 'ext4', false]],
    );
    assert.equal(told.released.length, 1, 'the station heard the old volume go');
    await stop();
  });

  it('probes a new medium only once it looks the same twice: partitions appearing late are waited for', async () => {
    const host = new FakeHost();
    const whole = loopDev(11, 4096);
    const part = loopDev(11, 4096, {
      partitions: [{ name: 'loop11p1', majorMinor: '259:0', sizeSectors: 4000, number: 1 }],
    });
    host.probes.set('/dev/loop11', { ptType: 'dos' });
    host.probes.set('/dev/loop11p1', { fsType: 'exfat', uuid: 'AAAA-BBBB' });
    // Seen on poll 3 without its partition, the partition shows on poll 4.
    host.script.set(3, [whole]);
    host.script.set(4, [part]);
    const { m, told, stop } = start(host, { [`${ROOT}/loop11p1`]: 'card' });
    await m.ready;
    await until('mounted', () => told.mounted.length === 1);
    assert.equal(told.mounted[0]!.dev, '/dev/loop11p1', 'the partition, not the whole device');
    assert.ok(host.mountPolls[0]! >= 5, `mounted after poll ${host.mountPolls[0]}, not before it settled`);
    await stop();
  });

  it('describes holders briefly', () => {
    assert.equal(describeHolders([]), '');
    assert.equal(
      describeHolders([1, 2, 3, 4, 5].map((pid) => ({ pid, command: `p${pid}` }))),
      'used by p1 (pid 1), p2 (pid 2), p3 (pid 3) and 2 more',
    );
  });
});
