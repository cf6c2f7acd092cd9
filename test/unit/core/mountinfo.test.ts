import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  diffMounts,
  mountOf,
  mountsUnder,
  parseMountInfo,
  parseMountInfoLine,
  type MountEntry,
} from '../../../src/core/mountinfo.js';

// Shaped after real /proc/self/mountinfo from Debian (systemd, shared propagation), a Raspberry Pi
// (/dev/root), udisks automounts under /media with labels containing spaces, and bind mounts.
const SAMPLE = [
  '21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '23 26 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=1922412k,nr_inodes=480603,mode=755',
  '26 1 179:2 / / rw,noatime shared:1 - ext4 /dev/root rw',
  '27 26 0:25 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=389260k,mode=755',
  '30 21 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate',
  '41 26 179:1 / /boot/firmware rw,relatime shared:17 - vfat /dev/mmcblk0p1 rw,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,shortname=mixed,errors=remount-ro',
  '312 26 8:1 / /media/pi/NIKON\\040D3500 rw,nosuid,nodev,relatime shared:160 - vfat /dev/sda1 rw,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,shortname=mixed,showexec,utf8,flush,errors=remount-ro',
  '313 26 8:17 / /media/pi/EOS_DIGITAL rw,nosuid,nodev,relatime shared:161 master:3 - exfat /dev/sdb1 rw,fmask=0022,dmask=0022,iocharset=utf8,errors=remount-ro',
  '314 26 8:33 / /media2/usb rw,relatime - ext4 /dev/sdc1 rw',
  '315 26 8:1 /DCIM /srv/bind\\011tab\\012nl\\134bs rw,relatime shared:160 - vfat /dev/sda1 rw',
  '316 27 0:50 / /run/user/1000/gvfs rw,nosuid,nodev,relatime shared:300 - fuse.gvfsd-fuse gvfsd-fuse rw,user_id=1000,group_id=1000',
  '317 26 0:51 / /mnt/nfs rw,relatime - nfs4 server:/export/photos rw,vers=4.2,addr=10.0.0.2',
].join('\n');

describe('parseMountInfo', () => {
  const entries = parseMountInfo(SAMPLE);

  it('parses every line of a real-looking table', () => {
    assert.equal(entries.length, 13);
    assert.deepEqual(
      entries.map((e) => e.mountId),
      [21, 22, 23, 26, 27, 30, 41, 312, 313, 314, 315, 316, 317],
    );
  });

  it('splits the fixed fields, optional fields and the part after the separator', () => {
    const e = entries.find((x) => x.mountId === 313);
    assert.deepEqual(e, {
      mountId: 313,
      parentId: 26,
      majorMinor: '8:17',
      root: '/',
      mountPoint: '/media/pi/EOS_DIGITAL',
      options: ['rw', 'nosuid', 'nodev', 'relatime'],
      optionalFields: ['shared:161', 'master:3'],
      fsType: 'exfat',
      source: '/dev/sdb1',
      superOptions: ['rw', 'fmask=0022', 'dmask=0022', 'iocharset=utf8', 'errors=remount-ro'],
    } satisfies MountEntry);
  });

  it('handles no optional fields at all', () => {
    const e = entries.find((x) => x.mountId === 314);
    assert.deepEqual(e?.optionalFields, []);
    assert.equal(e?.fsType, 'ext4');
    assert.equal(e?.source, '/dev/sdc1');
  });

  it('decodes octal escapes for space, tab, newline and backslash', () => {
    assert.equal(entries.find((x) => x.mountId === 312)?.mountPoint, '/media/pi/NIKON D3500');
    assert.equal(entries.find((x) => x.mountId === 315)?.mountPoint, '/srv/bind\ttab\nnl\\bs');
  });

  it('keeps the root of a bind mount of a subtree', () => {
    const bind = entries.find((x) => x.mountId === 315);
    assert.equal(bind?.root, '/DCIM');
    assert.equal(bind?.majorMinor, '8:1');
  });

  it('keeps fuse subtypes and network sources as they are', () => {
    assert.equal(entries.find((x) => x.mountId === 316)?.fsType, 'fuse.gvfsd-fuse');
    assert.equal(entries.find((x) => x.mountId === 317)?.source, 'server:/export/photos');
  });

  it('decodes escapes in the source and handles a " - " looking mount point', () => {
    const [e] = parseMountInfo('400 26 0:60 / /mnt/a\\040-\\040b rw - tmpfs my\\040src rw,size=4k\n');
    assert.equal(e?.mountPoint, '/mnt/a - b');
    assert.equal(e?.source, 'my src');
    assert.deepEqual(e?.optionalFields, []);
  });

  it('does not mistake a "-" later in the line for an optional field when there are many tags', () => {
    const e = parseMountInfoLine(
      '500 26 0:61 / /x rw shared:1 master:2 propagate_from:3 unbindable - overlay overlay rw,lowerdir=/a,upperdir=/b',
    );
    assert.deepEqual(e?.optionalFields, ['shared:1', 'master:2', 'propagate_from:3', 'unbindable']);
    assert.equal(e?.fsType, 'overlay');
    assert.deepEqual(e?.superOptions, ['rw', 'lowerdir=/a', 'upperdir=/b']);
  });

  it('skips blank and malformed lines, tolerates CRLF and a missing trailing newline', () => {
    const text = [
      '',
      'garbage',
      '1 2 3:4 / /no-separator rw shared:1 ext4 /dev/sda1 rw',
      'x 2 3:4 / /bad-id rw - ext4 /dev/sda1 rw',
      '600 26 8:1 / /ok rw - vfat /dev/sda1 rw\r',
      '601 26 8:2 / /ok2 rw - vfat /dev/sda2 rw',
    ].join('\n');
    assert.deepEqual(
      parseMountInfo(text).map((e) => e.mountPoint),
      ['/ok', '/ok2'],
    );
  });

  it('parses a large table', () => {
    const lines = Array.from(
      { length: 2000 },
      (_, i) => `${100 + i} 26 0:${100 + i} / /run/m/${i} rw,relatime shared:${i} - tmpfs tmpfs rw,size=4k`,
    );
    const parsed = parseMountInfo(lines.join('\n'));
    assert.equal(parsed.length, 2000);
    assert.equal(parsed[1999]?.mountPoint, '/run/m/1999');
  });
});

function entry(mountId: number, mountPoint: string, extra: Partial<MountEntry> = {}): MountEntry {
  return {
    mountId,
    parentId: 1,
    majorMinor: `0:${mountId}`,
    root: '/',
    mountPoint,
    options: ['rw'],
    optionalFields: [],
    fsType: 'tmpfs',
    source: 'tmpfs',
    superOptions: ['rw'],
    ...extra,
  };
}

describe('mountsUnder', () => {
  const all = parseMountInfo(SAMPLE);

  it('returns mounts strictly below a root, segment aware', () => {
    assert.deepEqual(
      mountsUnder(all, ['/media']).map((e) => e.mountPoint),
      ['/media/pi/NIKON D3500', '/media/pi/EOS_DIGITAL'],
    );
  });

  it('does not count a mount on the root itself, and accepts a trailing slash', () => {
    const es = [entry(1, '/media'), entry(2, '/media/card'), entry(3, '/media2/card')];
    assert.deepEqual(
      mountsUnder(es, ['/media/']).map((e) => e.mountId),
      [2],
    );
  });

  it('handles several roots and "/" as a root', () => {
    assert.deepEqual(
      mountsUnder(all, ['/media', '/run/user']).map((e) => e.mountId),
      [312, 313, 316],
    );
    assert.equal(mountsUnder(all, ['/']).length, all.length - 1);
  });

  it('returns nothing for no roots or relative roots', () => {
    assert.deepEqual(mountsUnder(all, []), []);
    assert.deepEqual(mountsUnder(all, ['media']), []);
  });
});

describe('diffMounts', () => {
  it('reports added and removed mounts', () => {
    const a = entry(10, '/media/a');
    const b = entry(11, '/media/b');
    const c = entry(12, '/media/c');
    const d = diffMounts([a, b], [b, c]);
    assert.deepEqual(d.added, [c]);
    assert.deepEqual(d.removed, [a]);
  });

  it('is empty when nothing changed, even when options changed (a remount)', () => {
    const a = entry(10, '/media/a');
    const ro = { ...a, options: ['ro'] };
    assert.deepEqual(diffMounts([a], [ro]), { added: [], removed: [] });
  });

  it('sees a new mount at the same place as a change (different id)', () => {
    const d = diffMounts([entry(10, '/media/a')], [entry(11, '/media/a')]);
    assert.equal(d.added.length, 1);
    assert.equal(d.removed.length, 1);
  });

  it('sees a card swap even when the kernel reused the mount id', () => {
    const before = entry(42, '/media/card', { majorMinor: '8:1' });
    const after = entry(42, '/media/card', { majorMinor: '8:17' });
    const d = diffMounts([before], [after]);
    assert.deepEqual(d.added, [after]);
    assert.deepEqual(d.removed, [before]);
  });

  it('treats the same id at a different mount point as a different mount', () => {
    const d = diffMounts([entry(10, '/media/a')], [entry(10, '/media/b')]);
    assert.equal(d.added[0]?.mountPoint, '/media/b');
    assert.equal(d.removed[0]?.mountPoint, '/media/a');
  });

  it('reports everything as added from an empty reading', () => {
    const es = [entry(1, '/a'), entry(2, '/b')];
    assert.deepEqual(diffMounts([], es), { added: es, removed: [] });
    assert.deepEqual(diffMounts(es, []), { added: [], removed: es });
  });
});

describe('mountOf', () => {
  const all = parseMountInfo(SAMPLE);

  it('finds the longest mount point prefix', () => {
    assert.equal(mountOf(all, '/media/pi/EOS_DIGITAL/DCIM/100CANON/IMG_0001.JPG')?.mountId, 313);
    assert.equal(mountOf(all, '/media/pi/EOS_DIGITAL')?.mountId, 313);
    assert.equal(mountOf(all, '/media/pi/NIKON D3500/DCIM')?.mountId, 312);
    assert.equal(mountOf(all, '/sys/fs/cgroup/x')?.mountId, 30);
  });

  it('is segment aware: /media/pi/EOS_DIGITAL2 lives on the root fs', () => {
    assert.equal(mountOf(all, '/media/pi/EOS_DIGITAL2/x')?.mountId, 26);
    assert.equal(mountOf(all, '/tmp/card')?.mountPoint, '/');
  });

  it('picks the mount on top when several share a mount point', () => {
    const es = [entry(1, '/'), entry(2, '/media/card'), entry(3, '/media/card')];
    assert.equal(mountOf(es, '/media/card/DCIM')?.mountId, 3);
  });

  it('normalises the path and rejects relative paths', () => {
    assert.equal(mountOf(all, '/media/pi/EOS_DIGITAL/')?.mountId, 313);
    assert.equal(mountOf(all, '/media/pi/x/../EOS_DIGITAL/DCIM')?.mountId, 313);
    assert.equal(mountOf(all, 'media/pi'), undefined);
    assert.equal(mountOf([], '/x'), undefined);
  });
});
