/**
 * Volumes on the station's media and how to mount them. Pure: the filesystem type comes from
 * `blkid -p` (read by the host), the mount and mkfs command lines are built here.
 *
 * Cards are mounted read-only (a dirty filesystem is still read: ext4 without journal replay,
 * the others read-only as they are), library drives read-write. Per filesystem the kernel driver
 * comes first, a FUSE driver second (exfat-fuse, ntfs-3g, fusefat), so the same code mounts on a
 * Raspberry Pi (kernel vfat/exfat/ntfs3) and in a VM or container that only has FUSE.
 */
import type { Medium } from './block.js';

/** `blkid -p -o export` of one device → its keys (TYPE, UUID, LABEL, USAGE, PTTYPE, VERSION...). */
export function parseBlkid(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq).trim();
    if (k in out) break; // a second device started
    out[k] = line.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return out;
}

/** A node of a medium that may hold a filesystem: each partition, else the whole device. */
export interface VolumeNode {
  name: string;
  dev: string;
  sizeBytes: number;
}

export function volumeNodes(m: Medium): VolumeNode[] {
  if (m.partitions.length > 0)
    return m.partitions.map(({ name, dev, sizeBytes }) => ({ name, dev, sizeBytes }));
  return [{ name: m.name, dev: m.dev, sizeBytes: m.sizeBytes }];
}

/** What `blkid -p` found on a node. */
export interface VolumeProbe {
  /** `vfat`, `exfat`, `ext4`, `ntfs`, `hfsplus`, `crypto_LUKS`, `swap`...; undefined: nothing recognised. */
  fsType?: string | undefined;
  uuid?: string | undefined;
  label?: string | undefined;
  /** `filesystem`, `raid`, `crypto`, `other`. */
  usage?: string | undefined;
  /** A partition table on the node (whole devices). */
  ptType?: string | undefined;
}

export function volumeProbe(kv: Record<string, string>): VolumeProbe {
  return {
    ...(kv.TYPE ? { fsType: kv.TYPE } : {}),
    ...(kv.UUID ? { uuid: kv.UUID } : {}),
    ...(kv.LABEL ? { label: kv.LABEL } : {}),
    ...(kv.USAGE ? { usage: kv.USAGE } : {}),
    ...(kv.PTTYPE ? { ptType: kv.PTTYPE } : {}),
  };
}

/** Filesystems the station mounts; hfsplus read-only. */
export const MOUNTABLE = ['vfat', 'exfat', 'ext2', 'ext3', 'ext4', 'ntfs', 'hfsplus'] as const;
export type MountableFs = (typeof MOUNTABLE)[number];

export function isMountable(fsType: string | undefined): fsType is MountableFs {
  return (MOUNTABLE as readonly string[]).includes(fsType ?? '');
}

/** What this machine can mount with. */
export interface MountCaps {
  /** Filesystems the kernel has or can load: `/proc/filesystems` plus `kernel/fs/` modules. */
  kernel: ReadonlySet<string>;
  /**
   * FUSE drivers: mount helpers found as `/sbin/mount.<name>` (`exfat-fuse`, `exfat`, `ntfs-3g`)
   * and programs on PATH (`fusefat`).
   */
  fuse: ReadonlySet<string>;
}

/** One way to mount a volume: a command line and what it gives. */
export interface MountPlan {
  /** `kernel vfat`, `exfat-fuse`, `ntfs-3g`, `fusefat`... for logs and the web app. */
  driver: string;
  cmd: string;
  args: string[];
  readOnly: boolean;
}

const COMMON = ['nosuid', 'nodev', 'noexec'];

function kernelPlan(type: string, dev: string, mp: string, opts: string[], readOnly: boolean): MountPlan {
  // -i: no /sbin/mount.<type> helper (a FUSE one may be installed under the kernel's name).
  return {
    driver: `kernel ${type}`,
    cmd: 'mount',
    args: ['-i', '-t', type, '-o', opts.join(','), dev, mp],
    readOnly,
  };
}

function helperPlan(type: string, dev: string, mp: string, opts: string[], readOnly: boolean): MountPlan {
  return { driver: type, cmd: 'mount', args: ['-t', type, '-o', opts.join(','), dev, mp], readOnly };
}

/**
 * The ways to mount `fsType` for reading (`ro`) or writing (`rw`), best first; empty when this
 * machine has no driver for it. A `rw` request on a filesystem only readable here (hfsplus)
 * gives read-only plans: the caller sees `readOnly` and does not write.
 */
export function mountPlans(
  fsType: string | undefined,
  access: 'ro' | 'rw',
  dev: string,
  mountPoint: string,
  caps: MountCaps,
): MountPlan[] {
  const ro = access === 'ro';
  const mode = ro ? 'ro' : 'rw';
  const plans: MountPlan[] = [];
  const k = (t: string): boolean => caps.kernel.has(t);
  switch (fsType) {
    case 'ext2':
    case 'ext3':
    case 'ext4': {
      const type = k('ext4') ? 'ext4' : k(fsType) ? fsType : undefined;
      // noload: a card whose journal needs replaying is read as it is, without writing to it
      // (a write-protected card could not be mounted otherwise).
      const opts = ro ? ['ro', 'noload', ...COMMON] : ['rw', 'noatime', 'errors=remount-ro', ...COMMON];
      if (type) plans.push(kernelPlan(type, dev, mountPoint, opts, ro));
      break;
    }
    case 'vfat': {
      // The dirty bit of a card pulled without unmounting does not stop a read-only mount.
      const opts = [mode, ...COMMON, 'utf8', 'shortname=mixed', 'umask=0022', 'errors=remount-ro'];
      if (!ro) opts.push('flush');
      if (k('vfat')) plans.push(kernelPlan('vfat', dev, mountPoint, opts, ro));
      if (caps.fuse.has('fusefat'))
        plans.push(
          ro
            ? helperPlan('fuse.fusefat', dev, mountPoint, ['ro', ...COMMON], true)
            : // fusefat writes only with its own `-o rw+` (experimental), which mount.fuse drops.
              { driver: 'fusefat', cmd: 'fusefat', args: ['-o', 'rw+', dev, mountPoint], readOnly: false },
        );
      break;
    }
    case 'exfat': {
      if (k('exfat'))
        plans.push(
          kernelPlan(
            'exfat',
            dev,
            mountPoint,
            [mode, ...COMMON, 'iocharset=utf8', 'umask=0022', 'errors=remount-ro'],
            ro,
          ),
        );
      const fuseOpts = [mode, ...COMMON, 'umask=0022', ...(ro ? [] : ['noatime'])];
      if (caps.fuse.has('exfat-fuse')) plans.push(helperPlan('exfat-fuse', dev, mountPoint, fuseOpts, ro));
      else if (caps.fuse.has('exfat')) plans.push(helperPlan('exfat', dev, mountPoint, fuseOpts, ro));
      break;
    }
    case 'ntfs': {
      if (k('ntfs3'))
        plans.push(
          kernelPlan('ntfs3', dev, mountPoint, [mode, ...COMMON, 'iocharset=utf8', 'umask=0022'], ro),
        );
      if (caps.fuse.has('ntfs-3g'))
        plans.push(
          helperPlan(
            'ntfs-3g',
            dev,
            mountPoint,
            [mode, ...COMMON, 'umask=0022', ...(ro ? [] : ['noatime'])],
            ro,
          ),
        );
      break;
    }
    case 'hfsplus': {
      // Linux writes HFS+ only without its journal; the station never tries.
      if (k('hfsplus')) plans.push(kernelPlan('hfsplus', dev, mountPoint, ['ro', ...COMMON], true));
      break;
    }
  }
  return plans;
}

/** What a mounted volume is to the station. */
export type VolumeRole = 'library' | 'card' | 'blank' | 'other';

/** Decided from what is on the volume (read-only mount first): marker, camera media, nothing. */
export function roleOf(facts: { marker: boolean; media: boolean; blank: boolean }): VolumeRole {
  if (facts.marker) return 'library';
  if (facts.media) return 'card';
  if (facts.blank) return 'blank';
  return 'other';
}

/**
 * Does the station write to a volume of this role? Library drives and empty drives (to become
 * one) yes; cards only when the clean-up policy erases copied files from them; anything else no.
 */
export function needsWrite(role: VolumeRole, cleanupErases: boolean): boolean {
  return role === 'library' || role === 'blank' || (role === 'card' && cleanupErases);
}

/** A mount directory name for a node: its kernel name (`sdb1`), made safe for a path. */
export function mountDirName(node: string): string {
  const n = node.replace(/[^A-Za-z0-9._-]/g, '_');
  return n === '' || n === '.' || n === '..' ? `dev_${n.length}` : n;
}

// --- formatting ------------------------------------------------------------------------------------

export const FORMATS = ['ext4', 'exfat'] as const;
export type FormatFs = (typeof FORMATS)[number];

/** What the station knows about each volume of a medium it might format. */
export interface FormatFacts {
  node: VolumeNode;
  probe: VolumeProbe;
  /** Mounted by the station and holding no file but what formatting leaves (lost+found...). */
  blank: boolean | undefined;
}

/**
 * May this medium be formatted, and which node? Only when nothing on it holds a file: every
 * volume found is one the station mounted and saw empty, or there is no filesystem at all. A
 * volume it cannot look into (encrypted, RAID member, an unknown filesystem) refuses: the station
 * cannot prove it is empty. A medium with several partitions is left to a computer.
 */
export function formatTarget(
  m: Medium,
  facts: readonly FormatFacts[],
): { ok: true; node: VolumeNode } | { ok: false; reason: string } {
  if (m.partitions.length > 1)
    return { ok: false, reason: `${m.dev} has ${m.partitions.length} partitions; format it on a computer` };
  for (const f of facts) {
    if (!f.probe.fsType) continue;
    if (f.probe.usage && f.probe.usage !== 'filesystem')
      return {
        ok: false,
        reason: `${f.node.dev} holds a ${f.probe.fsType} volume the station cannot look into`,
      };
    if (f.blank === undefined)
      return { ok: false, reason: `${f.node.dev} (${f.probe.fsType}) could not be checked for files` };
    if (!f.blank)
      return { ok: false, reason: `${f.node.dev} holds files; a drive with files is never formatted` };
  }
  const node = volumeNodes(m)[0];
  if (!node) return { ok: false, reason: `${m.dev} has nothing to format` };
  return { ok: true, node };
}

/** Cut a label to what the filesystem stores: ext4 16 bytes, exFAT 11 characters. */
export function fsLabel(fs: FormatFs, label: string): string {
  const clean = [...label]
    .filter((ch) => ch.charCodeAt(0) >= 0x20 && !'"*/:<>?\\|'.includes(ch))
    .join('')
    .trim();
  if (fs === 'exfat') return [...clean].slice(0, 11).join('');
  let out = '';
  for (const ch of clean) {
    if (Buffer.byteLength(out + ch, 'utf8') > 16) break;
    out += ch;
  }
  return out;
}

/**
 * The mkfs command line (e2fsprogs, exfatprogs). No reserved blocks: a data drive, not a system disk.
 * ext4's top directory belongs to whoever formats it (`-E root_owner`, else root): the service
 * user (README, "The privilege model") must be able to make it a library drive.
 */
export function mkfsCommand(fs: FormatFs, dev: string, label: string): { cmd: string; args: string[] } {
  const l = fsLabel(fs, label);
  if (fs === 'ext4')
    return {
      cmd: 'mkfs.ext4',
      args: ['-F', '-q', '-m', '0', '-E', 'root_owner', ...(l ? ['-L', l] : []), dev],
    };
  return { cmd: 'mkfs.exfat', args: [...(l ? ['-L', l] : []), dev] };
}
