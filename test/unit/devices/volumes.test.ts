import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Medium } from '../../../src/devices/block.js';
import {
  formatTarget,
  fsLabel,
  mkfsCommand,
  mountDirName,
  mountPlans,
  needsWrite,
  parseBlkid,
  roleOf,
  volumeNodes,
  volumeProbe,
  type MountCaps,
} from '../../../src/devices/volumes.js';

/** A Raspberry Pi: kernel drivers for everything (vfat, exfat, ntfs3 as modules). */
const PI: MountCaps = {
  kernel: new Set(['ext4', 'vfat', 'exfat', 'ntfs3', 'hfsplus']),
  fuse: new Set(['ntfs-3g']),
};
/** This development VM: ext4 in the kernel, the rest through FUSE. */
const VM: MountCaps = {
  kernel: new Set(['ext4', 'fuseblk']),
  fuse: new Set(['exfat-fuse', 'ntfs-3g', 'fusefat']),
};
const NOTHING: MountCaps = { kernel: new Set(), fuse: new Set() };

const cmd = (p: { cmd: string; args: string[] }) => [p.cmd, ...p.args].join(' ');

describe('devices: blkid', () => {
  it('parses blkid -p -o export, escapes included, first device only', () => {
    const kv = parseBlkid(
      'DEVNAME=/dev/loop2\nLABEL=MY\\ CARD\nUUID=C190-9167\nVERSION=FAT32\nTYPE=vfat\nUSAGE=filesystem\nDEVNAME=/dev/loop3\n',
    );
    assert.equal(kv.LABEL, 'MY CARD');
    assert.equal(kv.DEVNAME, '/dev/loop2');
    assert.deepEqual(volumeProbe(kv), {
      fsType: 'vfat',
      uuid: 'C190-9167',
      label: 'MY CARD',
      usage: 'filesystem',
    });
    // exFAT's boot sector also looks like an MBR: a type and a partition table type together.
    assert.deepEqual(volumeProbe(parseBlkid('TYPE=exfat\nPTTYPE=dos\nUUID=6B16-FC19\n')), {
      fsType: 'exfat',
      uuid: '6B16-FC19',
      ptType: 'dos',
    });
    assert.deepEqual(volumeProbe(parseBlkid('')), {});
  });
});

describe('devices: mount options per filesystem', () => {
  const ro = (fs: string, caps = PI) =>
    mountPlans(fs, 'ro', '/dev/sdb1', '/run/outpost/media/sdb1', caps).map(cmd);
  const rw = (fs: string, caps = PI) =>
    mountPlans(fs, 'rw', '/dev/sdb1', '/run/outpost/media/sdb1', caps).map(cmd);

  it('cards: read-only, never executable, a dirty filesystem still read', () => {
    assert.deepEqual(ro('vfat'), [
      'mount -i -t vfat -o ro,nosuid,nodev,noexec,utf8,shortname=mixed,umask=0022,errors=remount-ro /dev/sdb1 /run/outpost/media/sdb1',
    ]);
    assert.deepEqual(ro('ext4'), [
      'mount -i -t ext4 -o ro,noload,nosuid,nodev,noexec /dev/sdb1 /run/outpost/media/sdb1',
    ]);
    assert.deepEqual(ro('ext2'), ro('ext4'), 'the ext4 driver reads ext2/3');
    assert.deepEqual(ro('exfat'), [
      'mount -i -t exfat -o ro,nosuid,nodev,noexec,iocharset=utf8,umask=0022,errors=remount-ro /dev/sdb1 /run/outpost/media/sdb1',
    ]);
    assert.deepEqual(ro('ntfs'), [
      'mount -i -t ntfs3 -o ro,nosuid,nodev,noexec,iocharset=utf8,umask=0022 /dev/sdb1 /run/outpost/media/sdb1',
      'mount -t ntfs-3g -o ro,nosuid,nodev,noexec,umask=0022 /dev/sdb1 /run/outpost/media/sdb1',
    ]);
    assert.deepEqual(ro('hfsplus'), [
      'mount -i -t hfsplus -o ro,nosuid,nodev,noexec /dev/sdb1 /run/outpost/media/sdb1',
    ]);
  });

  it('drives: read-write; hfsplus stays read-only', () => {
    assert.deepEqual(rw('ext4'), [
      'mount -i -t ext4 -o rw,noatime,errors=remount-ro,nosuid,nodev,noexec /dev/sdb1 /run/outpost/media/sdb1',
    ]);
    assert.match(rw('vfat')[0]!, /-o rw,.*,flush /);
    assert.deepEqual(
      mountPlans('hfsplus', 'rw', '/dev/sdb1', '/m', PI).map((p) => p.readOnly),
      [true],
    );
    assert.deepEqual(
      mountPlans('ntfs', 'rw', '/dev/sdb1', '/m', PI).map((p) => [p.driver, p.readOnly]),
      [
        ['kernel ntfs3', false],
        ['ntfs-3g', false],
      ],
    );
  });

  it('FUSE when the kernel has no driver (this VM): exfat-fuse, ntfs-3g, fusefat', () => {
    assert.deepEqual(ro('exfat', VM), [
      'mount -t exfat-fuse -o ro,nosuid,nodev,noexec,umask=0022 /dev/sdb1 /run/outpost/media/sdb1',
    ]);
    assert.deepEqual(rw('exfat', VM), [
      'mount -t exfat-fuse -o rw,nosuid,nodev,noexec,umask=0022,noatime /dev/sdb1 /run/outpost/media/sdb1',
    ]);
    assert.deepEqual(rw('ntfs', VM), [
      'mount -t ntfs-3g -o rw,nosuid,nodev,noexec,umask=0022,noatime /dev/sdb1 /run/outpost/media/sdb1',
    ]);
    assert.deepEqual(ro('vfat', VM), [
      'mount -t fuse.fusefat -o ro,nosuid,nodev,noexec /dev/sdb1 /run/outpost/media/sdb1',
    ]);
    // mount.fuse drops fusefat's own write switch: it is run directly.
    assert.deepEqual(rw('vfat', VM), ['fusefat -o rw+ /dev/sdb1 /run/outpost/media/sdb1']);
    assert.deepEqual(ro('hfsplus', VM), []);
    assert.deepEqual(ro('exfat', { kernel: new Set(), fuse: new Set(['exfat']) }), [
      'mount -t exfat -o ro,nosuid,nodev,noexec,umask=0022 /dev/sdb1 /run/outpost/media/sdb1',
    ]);
  });

  it('nothing for unknown filesystems or a machine without drivers', () => {
    for (const fs of ['btrfs', 'swap', 'crypto_LUKS', undefined]) assert.deepEqual(ro(fs as string), []);
    assert.deepEqual(ro('vfat', NOTHING), []);
  });
});

describe('devices: roles, directories, formatting', () => {
  it('role of a volume and whether it is mounted read-write', () => {
    assert.equal(roleOf({ marker: true, media: true, blank: false }), 'library');
    assert.equal(roleOf({ marker: false, media: true, blank: false }), 'card');
    assert.equal(roleOf({ marker: false, media: false, blank: true }), 'blank');
    assert.equal(roleOf({ marker: false, media: false, blank: false }), 'other');
    assert.equal(needsWrite('card', false), false, 'cards read-only');
    assert.equal(needsWrite('card', true), true, 'unless clean-up erases from them');
    assert.equal(needsWrite('library', false), true);
    assert.equal(needsWrite('blank', false), true);
    assert.equal(needsWrite('other', true), false);
  });

  it('mount directory names are the kernel names, made safe', () => {
    assert.equal(mountDirName('sdb1'), 'sdb1');
    assert.equal(mountDirName('loop3p1'), 'loop3p1');
    assert.equal(mountDirName('../x'), '.._x');
    assert.equal(mountDirName('..'), 'dev_2');
  });

  const medium = (parts: number): Medium => ({
    key: 'k',
    name: 'sdc',
    dev: '/dev/sdc',
    sizeBytes: 1e12,
    readOnly: false,
    usb: true,
    removable: false,
    partitions: Array.from({ length: parts }, (_, i) => ({
      name: `sdc${i + 1}`,
      dev: `/dev/sdc${i + 1}`,
      number: i + 1,
      sizeBytes: 1e12 / parts,
    })),
  });

  it('only an empty drive is formatted, and only where the station could look', () => {
    const m = medium(1);
    const [node] = volumeNodes(m);
    assert.deepEqual(formatTarget(m, [{ node: node!, probe: {}, blank: undefined }]), { ok: true, node });
    assert.deepEqual(
      formatTarget(m, [{ node: node!, probe: { fsType: 'exfat', usage: 'filesystem' }, blank: true }]),
      {
        ok: true,
        node,
      },
    );
    const no = (facts: Parameters<typeof formatTarget>[1], re: RegExp, mm = m) => {
      const r = formatTarget(mm, facts);
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, re);
    };
    no(
      [{ node: node!, probe: { fsType: 'ntfs', usage: 'filesystem' }, blank: false }],
      /holds files; .*never formatted/,
    );
    no(
      [{ node: node!, probe: { fsType: 'ntfs', usage: 'filesystem' }, blank: undefined }],
      /could not be checked/,
    );
    no(
      [{ node: node!, probe: { fsType: 'crypto_LUKS', usage: 'crypto' }, blank: undefined }],
      /cannot look into/,
    );
    no([], /2 partitions/, medium(2));
    // A whole-device filesystem (no partition table): the device itself.
    const whole = medium(0);
    assert.deepEqual(formatTarget(whole, []), {
      ok: true,
      node: { name: 'sdc', dev: '/dev/sdc', sizeBytes: 1e12 },
    });
  });

  it('mkfs command lines and labels cut to what the filesystem keeps', () => {
    assert.deepEqual(mkfsCommand('ext4', '/dev/sdc1', 'Office B'), {
      cmd: 'mkfs.ext4',
      args: ['-F', '-q', '-m', '0', '-E', 'root_owner', '-L', 'Office B', '/dev/sdc1'],
    });
    assert.deepEqual(mkfsCommand('exfat', '/dev/sdc1', 'Field drive number 2'), {
      cmd: 'mkfs.exfat',
      args: ['-L', 'Field drive', '/dev/sdc1'],
    });
    assert.equal(fsLabel('ext4', 'ñandú-ñandú-ñandú'), 'ñandú-ñandú-', '16 bytes');
    assert.ok(Buffer.byteLength(fsLabel('ext4', 'ñandú-ñandú-ñandú')) <= 16);
    assert.equal(fsLabel('exfat', 'a/b:c*"d'), 'abcd');
    assert.deepEqual(mkfsCommand('exfat', '/dev/sdc', '//'), { cmd: 'mkfs.exfat', args: ['/dev/sdc'] });
  });
});
