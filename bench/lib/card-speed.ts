import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timed, type Timed } from './proc.js';

/**
 * A card at a real card reader's speed: the card's files in an ext4 image on a loop device
 * (direct I/O, so no double caching), reads throttled with the cgroup-v1 blkio controller to
 * `bytesPerSec` (UHS-I readers deliver ~90 MB/s). Both `cp` and ingest run inside the cgroup.
 * Needs root and blkio; returns undefined where this machine cannot do it.
 */
export async function withThrottledCard<T>(
  contentDir: string,
  work: string,
  bytesPerSec: number,
  body: (card: {
    root: string;
    run: (cmd: string, args: string[], env?: Record<string, string>) => Promise<Timed>;
  }) => Promise<T>,
  /** Mount read-write (a library drive: its lock and catalogue are written), default read-only. */
  opts: { writable?: boolean } = {},
): Promise<T | undefined> {
  const blkio = '/sys/fs/cgroup/blkio';
  if (process.getuid?.() !== 0 || !existsSync(join(blkio, 'cgroup.procs'))) return undefined;
  const image = join(work, 'card.img');
  const mnt = join(work, 'card-mnt');
  const cg = join(blkio, `outpost-bench-${process.pid}`);
  const size = Math.ceil((dirBytes(contentDir) * 1.15) / 1e6) + 64;
  execFileSync('truncate', ['-s', `${size}M`, image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', contentDir, image]);
  const loop = execFileSync('losetup', ['-f', '--show', '--direct-io=on', image], {
    encoding: 'utf8',
  }).trim();
  mkdirSync(mnt, { recursive: true });
  try {
    execFileSync('mount', ['-o', opts.writable ? 'rw' : 'ro', loop, mnt]);
    try {
      const majMin = execFileSync('lsblk', ['-dno', 'MAJ:MIN', loop], { encoding: 'utf8' }).trim();
      mkdirSync(cg, { recursive: true });
      writeFileSync(join(cg, 'blkio.throttle.read_bps_device'), `${majMin} ${bytesPerSec}\n`);
      const run = (cmd: string, args: string[], env: Record<string, string> = {}): Promise<Timed> => {
        execFileSync('sync');
        writeFileSync('/proc/sys/vm/drop_caches', '3\n');
        // The shell joins the cgroup, then becomes the command: the throttle applies to it alone.
        return timed('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec "$0" "$@"`, cmd, ...args], env);
      };
      return await body({ root: mnt, run });
    } finally {
      execFileSync('umount', [mnt]);
    }
  } finally {
    execFileSync('losetup', ['-d', loop]);
    if (existsSync(cg)) rmdirSync(cg);
  }
}

function dirBytes(dir: string): number {
  let n = 0;
  const walk = (d: string): void => {
    for (const e of execFileSync('ls', ['-A', d], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      const p = join(d, e);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else n += s.size;
    }
  };
  walk(dir);
  return n;
}
