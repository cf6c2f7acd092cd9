/**
 * Block devices as the station sees them in `/sys/block`, and which of them are its own: card
 * readers, USB drives and (for tests) loop devices. Pure: the host adapter reads sysfs into
 * {@link RawBlockDevice} values; everything here decides from those values alone.
 *
 * A reader without a card is a device of size 0; a card inserted into it is the size becoming
 * non-zero (a "medium" appearing), a card pulled is the size going back to 0 or the device
 * leaving. A USB drive is a device that appears with its medium and leaves with it.
 */
import { posix } from 'node:path';

const SECTOR = 512;

export interface RawPartition {
  /** `sdb1`, `mmcblk1p1`, `loop3p1`. */
  name: string;
  /** `major:minor`, from the `dev` file. */
  majorMinor: string;
  /** From the `size` file, in 512-byte sectors. */
  sizeSectors: number;
  /** From the `partition` file. */
  number: number;
}

/** One `/sys/block/<name>` directory, as read by the host. */
export interface RawBlockDevice {
  name: string;
  majorMinor: string;
  sizeSectors: number;
  /** The `removable` attribute: card readers (and some USB sticks) say 1. */
  removable: boolean;
  /** The `ro` attribute (write-protect switch, `losetup -r`). */
  readOnly: boolean;
  /** The kernel's disk sequence number (bumped when a medium changes), when it has one. */
  diskseq?: number | undefined;
  /** Where the device lives in `/sys/devices` (the resolved link): `/usb` in it means USB. */
  sysPath: string;
  /** Loop devices: the backing file and the autoclear flag; null for a loop device with nothing attached. */
  loop?: { backingFile: string; autoclear: boolean } | null | undefined;
  /** `holders/`: device-mapper, RAID or LVM on top of it (then it is not ours to mount). */
  holders: string[];
  partitions: RawPartition[];
  /** `device/vendor` and `device/model` (SCSI/USB), trimmed. */
  vendor?: string | undefined;
  model?: string | undefined;
}

export interface DeviceFilter {
  /** Treat attached loop devices as removable (tests). */
  includeLoop: boolean;
  /** With includeLoop: only loop devices whose backing file is inside this directory. */
  loopFilesUnder?: string | undefined;
}

/** Names that are never removable media: RAM disks, zram, device-mapper, RAID, optical, network. */
const NEVER = /^(ram|zram|dm-|md|sr|nbd|fd|drbd|rbd|zd|nvme)|^mmcblk\d+(boot\d+|rpmb)$/;

function isInside(path: string, dir: string): boolean {
  const p = posix.normalize(path);
  const d = posix.normalize(dir).replace(/\/+$/, '');
  return p.startsWith(`${d}/`);
}

/**
 * Why the station leaves a device alone, or undefined when it is one of its own (a card reader,
 * a USB drive, an included loop device). `mountedElsewhere` holds `major:minor` (and `/dev/<name>`)
 * of every filesystem mounted outside the station's mount root: a device with one of those (the
 * system disk, a drive a desktop mounted) is never touched.
 */
export function notOurs(
  d: RawBlockDevice,
  filter: DeviceFilter,
  mountedElsewhere: ReadonlySet<string>,
): string | undefined {
  if (NEVER.test(d.name)) return 'not removable media';
  if (d.name.startsWith('loop')) {
    if (!filter.includeLoop) return 'loop device (station.devices.includeLoop is off)';
    if (!d.loop) return 'loop device with nothing attached';
    if (filter.loopFilesUnder && !isInside(d.loop.backingFile, filter.loopFilesUnder))
      return `loop device of a file outside ${filter.loopFilesUnder}`;
  } else if (!d.removable && !d.sysPath.includes('/usb') && !d.name.startsWith('mmcblk'))
    return 'not removable and not USB';
  if (d.holders.length > 0) return `used by ${d.holders.join(', ')}`;
  const nodes = [d, ...d.partitions];
  const busy = nodes.find(
    (n) => mountedElsewhere.has(n.majorMinor) || mountedElsewhere.has(`/dev/${n.name}`),
  );
  if (busy) return `${busy.name} is mounted elsewhere`;
  return undefined;
}

/** A medium in one of the station's devices: a card in a reader, a USB drive, an attached image. */
export interface Medium {
  /**
   * Identity of this medium: the same card left in gets the same key on every poll; a card
   * swapped for another (size or the kernel's diskseq changes) gets a new one.
   */
  key: string;
  /** Device name (`sdb`). */
  name: string;
  /** `/dev/sdb` */
  dev: string;
  sizeBytes: number;
  readOnly: boolean;
  usb: boolean;
  /** The kernel's "removable" flag (card readers); a USB disk says false. */
  removable: boolean;
  /** `vendor model`, for people ("Generic STORAGE DEVICE"). */
  description?: string;
  /** Partitions with a size, by number; empty: the filesystem (if any) is on the whole device. */
  partitions: { name: string; dev: string; number: number; sizeBytes: number }[];
}

/** A device of the station's that holds no medium: an empty card reader. */
export interface EmptySlot {
  name: string;
  dev: string;
}

export interface DeviceTable {
  media: Medium[];
  empty: EmptySlot[];
}

/**
 * The station's media and empty readers among the block devices. A loop device whose owner ran
 * `losetup -d` while it was still mounted only gets the autoclear flag (the kernel keeps it until
 * its last user goes): for a test stand-in that is the device being pulled, so it counts as gone.
 */
export function deviceTable(
  devices: readonly RawBlockDevice[],
  filter: DeviceFilter,
  mountedElsewhere: ReadonlySet<string>,
): DeviceTable {
  const media: Medium[] = [];
  const empty: EmptySlot[] = [];
  for (const d of devices) {
    if (notOurs(d, filter, mountedElsewhere)) continue;
    if (d.loop?.autoclear) continue;
    if (d.sizeSectors <= 0) {
      empty.push({ name: d.name, dev: `/dev/${d.name}` });
      continue;
    }
    const description = [d.vendor, d.model].filter((s) => s && s.trim()).join(' ');
    media.push({
      key: `${d.name}@${d.majorMinor}#${d.diskseq ?? ''}:${d.sizeSectors}${d.loop ? `:${d.loop.backingFile}` : ''}`,
      name: d.name,
      dev: `/dev/${d.name}`,
      sizeBytes: d.sizeSectors * SECTOR,
      readOnly: d.readOnly,
      usb: d.sysPath.includes('/usb'),
      removable: d.removable,
      ...(description ? { description } : {}),
      partitions: d.partitions
        .filter((p) => p.sizeSectors > 0)
        .sort((a, b) => a.number - b.number)
        .map((p) => ({
          name: p.name,
          dev: `/dev/${p.name}`,
          number: p.number,
          sizeBytes: p.sizeSectors * SECTOR,
        })),
    });
  }
  media.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  empty.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { media, empty };
}

/**
 * Media that appeared and went between two polls. A medium whose partitions changed (the kernel
 * read the partition table a moment after the card came in) counts as the same medium: the
 * caller waits for a medium to be {@link settled} before looking inside it.
 */
export function diffMedia(
  before: readonly Medium[],
  after: readonly Medium[],
): { added: Medium[]; removed: Medium[] } {
  const b = new Set(before.map((m) => m.key));
  const a = new Set(after.map((m) => m.key));
  return { added: after.filter((m) => !b.has(m.key)), removed: before.filter((m) => !a.has(m.key)) };
}

/** The same medium with the same partitions in two polls in a row: safe to probe. */
export function settled(previous: Medium | undefined, now: Medium): boolean {
  if (!previous || previous.key !== now.key) return false;
  return (
    previous.partitions.map((p) => `${p.name}:${p.sizeBytes}`).join(',') ===
    now.partitions.map((p) => `${p.name}:${p.sizeBytes}`).join(',')
  );
}

/**
 * The set {@link notOurs} needs: devices of the filesystems mounted outside the station's own
 * mount root (kernel mounts name their `major:minor`; FUSE block mounts their `/dev/` source).
 */
export function mountedOutside(
  mounts: readonly { majorMinor: string; source: string; mountPoint: string }[],
  mountRoot: string,
): Set<string> {
  const out = new Set<string>();
  for (const m of mounts) {
    if (m.mountPoint === mountRoot || isInside(m.mountPoint, mountRoot)) continue;
    if (!m.majorMinor.startsWith('0:')) out.add(m.majorMinor);
    if (m.source.startsWith('/dev/')) out.add(m.source);
  }
  return out;
}
