import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deviceTable,
  diffMedia,
  mountedOutside,
  notOurs,
  settled,
  type RawBlockDevice,
} from '../../../src/devices/block.js';

const USB =
  '/sys/devices/platform/scb/fd500000.pcie/pci0000:00/0000:00:00.0/0000:01:00.0/usb2/2-1/2-1:1.0/host0/target0:0:0/0:0:0:0/block';

function dev(name: string, over: Partial<RawBlockDevice> = {}): RawBlockDevice {
  return {
    name,
    majorMinor: '8:0',
    sizeSectors: 0,
    removable: false,
    readOnly: false,
    sysPath: `/sys/devices/virtual/block/${name}`,
    holders: [],
    partitions: [],
    ...over,
  };
}

const reader = (size: number, over: Partial<RawBlockDevice> = {}) =>
  dev('sdb', { majorMinor: '8:16', removable: true, sizeSectors: size, sysPath: `${USB}/sdb`, ...over });
const none = new Set<string>();
const noLoop = { includeLoop: false };
const loops = { includeLoop: true, loopFilesUnder: '/tmp/t' };

describe('devices: which block devices are the station’s', () => {
  it('card readers, USB disks and SD slots yes; the system disk, RAM, zram, dm, optical no', () => {
    assert.equal(notOurs(reader(0), noLoop, none), undefined);
    assert.equal(notOurs(dev('sda', { sysPath: `${USB}/sda` }), noLoop, none), undefined, 'a USB disk');
    assert.equal(notOurs(dev('mmcblk1'), noLoop, none), undefined, 'an SD slot');
    assert.match(notOurs(dev('vda'), noLoop, none)!, /not removable/);
    for (const n of ['ram0', 'zram0', 'dm-0', 'md127', 'sr0', 'nvme0n1', 'mmcblk0boot0', 'nbd3'])
      assert.match(notOurs(dev(n, { removable: true }), noLoop, none)!, /not removable media/, n);
  });

  it('loop devices only with includeLoop, attached, and below loopFilesUnder', () => {
    const l = (backingFile?: string) =>
      dev('loop3', { majorMinor: '7:3', loop: backingFile ? { backingFile, autoclear: false } : null });
    assert.match(notOurs(l('/tmp/t/a.img'), noLoop, none)!, /includeLoop is off/);
    assert.equal(notOurs(l('/tmp/t/a.img'), loops, none), undefined);
    assert.equal(notOurs(l('/x.img'), { includeLoop: true }, none), undefined);
    assert.match(notOurs(l('/tmp/other/a.img'), loops, none)!, /outside \/tmp\/t/);
    assert.match(notOurs(l('/tmp/tt/a.img'), loops, none)!, /outside/, 'segment-aware');
    assert.match(notOurs(l(), loops, none)!, /nothing attached/);
  });

  it('a device with a filesystem mounted elsewhere, or with holders, is left alone', () => {
    const d = reader(100, { partitions: [{ name: 'sdb1', majorMinor: '8:17', sizeSectors: 90, number: 1 }] });
    assert.match(notOurs(d, noLoop, new Set(['8:17']))!, /sdb1 is mounted elsewhere/);
    assert.match(notOurs(d, noLoop, new Set(['/dev/sdb']))!, /sdb is mounted elsewhere/);
    assert.match(notOurs(reader(100, { holders: ['dm-0'] }), noLoop, none)!, /used by dm-0/);
  });

  it('mountedOutside ignores the station’s own mount root and virtual filesystems', () => {
    const s = mountedOutside(
      [
        { majorMinor: '8:17', source: '/dev/sdb1', mountPoint: '/run/outpost/media/sdb1' },
        { majorMinor: '254:1', source: '/dev/vda1', mountPoint: '/' },
        { majorMinor: '0:39', source: 'fusefat', mountPoint: '/mnt/x' },
        { majorMinor: '7:2', source: '/dev/loop2', mountPoint: '/run/outpost/media2' },
      ],
      '/run/outpost/media',
    );
    assert.deepEqual([...s].sort(), ['/dev/loop2', '/dev/vda1', '254:1', '7:2']);
  });
});

describe('devices: media and empty readers', () => {
  it('an empty reader, then a card in it (size 0 → > 0), then a different card', () => {
    const t0 = deviceTable([reader(0)], noLoop, none);
    assert.deepEqual(t0.media, []);
    assert.deepEqual(t0.empty, [{ name: 'sdb', dev: '/dev/sdb' }]);
    const t1 = deviceTable([reader(62_333_952, { diskseq: 7 })], noLoop, none);
    assert.equal(t1.media.length, 1);
    assert.equal(t1.media[0]!.sizeBytes, 62_333_952 * 512);
    assert.equal(t1.media[0]!.usb, true);
    assert.deepEqual(diffMedia(t0.media, t1.media).added, t1.media);
    const same = deviceTable([reader(62_333_952, { diskseq: 7 })], noLoop, none);
    assert.deepEqual(diffMedia(t1.media, same.media), { added: [], removed: [] });
    // Swapped between two polls: the kernel's diskseq moved on.
    const t2 = deviceTable([reader(62_333_952, { diskseq: 8 })], noLoop, none);
    const d = diffMedia(t1.media, t2.media);
    assert.equal(d.added.length, 1);
    assert.equal(d.removed.length, 1);
    // Pulled: size back to 0.
    assert.deepEqual(diffMedia(t2.media, deviceTable([reader(0)], noLoop, none).media).removed, t2.media);
  });

  it('partitions with a size, by number; the medium settles once they stop changing', () => {
    const p = (n: number, size: number) => ({
      name: `sdb${n}`,
      majorMinor: `8:${16 + n}`,
      sizeSectors: size,
      number: n,
    });
    const before = deviceTable([reader(1000)], noLoop, none).media[0]!;
    const after = deviceTable([reader(1000, { partitions: [p(2, 100), p(1, 800), p(3, 0)] })], noLoop, none)
      .media[0]!;
    assert.deepEqual(
      after.partitions.map((x) => [x.name, x.dev, x.sizeBytes]),
      [
        ['sdb1', '/dev/sdb1', 800 * 512],
        ['sdb2', '/dev/sdb2', 100 * 512],
      ],
    );
    assert.equal(before.key, after.key, 'the same medium');
    assert.equal(settled(before, after), false, 'partitions appeared: wait one more poll');
    assert.equal(settled(after, after), true);
    assert.equal(settled(undefined, after), false);
  });

  it('a loop device detached while mounted (autoclear) counts as pulled', () => {
    const l = (autoclear: boolean) =>
      dev('loop4', {
        majorMinor: '7:4',
        sizeSectors: 2048,
        loop: { backingFile: '/tmp/t/card.img', autoclear },
      });
    assert.equal(deviceTable([l(false)], loops, none).media.length, 1);
    assert.deepEqual(deviceTable([l(true)], loops, none), { media: [], empty: [] });
  });
});
