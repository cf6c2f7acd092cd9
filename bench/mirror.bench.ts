/**
 * bench:mirror — the two-drive mirror against the tools a user would otherwise use, in one run.
 *   noChangeRatio  a no-change mirror pass on a 20,000-item library ÷ `rsync -a --dry-run` in both
 *                  directions (target <= 0.5). Measured resident (the station keeps running) and,
 *                  as noChangeCliRatio, through a fresh `outpost mirror` process.
 *   copyRatio      mirroring 1 GB of new media (copy + SHA-256 + fsync + verify) ÷ `cp -a` of the
 *                  same files (target >= 0.85), caches dropped before each when root.
 * Ends with one JSON line {"bench":"mirror", ...}.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { withThrottledCard } from './lib/card-speed.js';
import { median, timed } from './lib/proc.js';
import { fillSyntheticItems, writeSyntheticFiles } from './lib/synthetic-library.js';
import { systemClock } from '../src/adapters/clock.js';
import { silentLogger } from '../src/adapters/logger.js';
import { mirrorDrives } from '../src/drives/mirror.js';
import { openCatalog } from '../src/library/catalog/open.js';
import { initDrive, openDrive } from '../src/library/drive.js';

const quick = process.argv.includes('--quick');
const BIN = resolve(import.meta.dirname, '..', 'bin', 'outpost');
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const cfgDir = mkdtempSync(join(tmpdir(), 'outpost-bench-cfg-'));
writeFileSync(join(cfgDir, 'config.yaml'), 'log:\n  level: warn\nmirror:\n  minFreeBytes: 0\n');
const env = { OUTPOST_CONFIG: join(cfgDir, 'config.yaml'), TZ: 'UTC' };
const opts = { node: 'bench', maxDeleteShare: 0.05, minFreeBytes: 0 };
const deps = { clock: systemClock, log: silentLogger };

function dropCaches(): boolean {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

/** A drive with `n` synthetic items whose files really exist (small, distinct bytes). */
async function syntheticDrive(dir: string, n: number): Promise<void> {
  const d = await initDrive(dir, { label: 'bench', now: new Date() });
  const cat = await openCatalog(d.layout.catalog);
  await fillSyntheticItems(cat, n);
  // The files must hash to their ids: bytes written, rows re-keyed to the real hashes.
  writeSyntheticFiles(cat, dir);
  await cat.close();
}

async function noChangeBench(work: string): Promise<Record<string, number>> {
  const n = quick ? 4000 : 20_000;
  const a = join(work, 'nc-A');
  const b = join(work, 'nc-B');
  log(`  building a ${n}-item library and its mirror (not timed)...`);
  await syntheticDrive(a, n);
  const r0 = await timed(BIN, ['init-drive', b], env);
  if (r0.code !== 0) throw new Error(r0.stderr);
  const first = await timed(BIN, ['mirror', a, b, '--json', '--no-progress'], env);
  if (first.code !== 0) throw new Error(first.stderr);
  log(`  first mirror of ${n} items: ${first.seconds.toFixed(1)}s`);
  const [da, db] = [await openDrive(a), await openDrive(b)];
  const resident: number[] = [];
  const cli: number[] = [];
  const rs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const s = await mirrorDrives(da, db, opts, deps);
    if (s.examined !== 0 || s.copiedAtoB + s.copiedBtoA !== 0) throw new Error('not a no-change pass');
    if (i > 0) resident.push((performance.now() - t0) / 1000);
    const c = await timed(BIN, ['mirror', a, b, '--json', '--no-progress'], env);
    if (c.code !== 0) throw new Error(c.stderr);
    cli.push(c.seconds);
    const r1 = await timed('rsync', ['-a', '--dry-run', `${a}/library/`, `${b}/library/`]);
    const r2 = await timed('rsync', ['-a', '--dry-run', `${b}/library/`, `${a}/library/`]);
    rs.push(r1.seconds + r2.seconds);
  }
  log(
    `  no-change: resident ${median(resident).toFixed(3)}s, CLI ${median(cli).toFixed(3)}s, rsync -a --dry-run both ways ${median(rs).toFixed(3)}s`,
  );
  return {
    noChangeRatio: round2(median(resident) / median(rs)),
    noChangeCliRatio: round2(median(cli) / median(rs)),
    noChangeSeconds: round3(median(resident)),
    noChangeCliSeconds: round3(median(cli)),
    rsyncSeconds: round3(median(rs)),
    items: n,
  };
}

/** Sequential read of a USB 3 hard disk, the usual station drive. */
const DRIVE_BPS = 120 * 1000 * 1000;

async function copyBench(work: string): Promise<Record<string, number | boolean | null>> {
  const files = quick ? 2 : 8;
  const size = 128 * 1024 * 1024;
  const a = join(work, 'cp-A');
  const card = join(work, 'card', 'DCIM', '100MEDIA');
  mkdirSync(card, { recursive: true });
  for (let i = 0; i < files; i++) {
    const chunks = [];
    for (let o = 0; o < size; o += 8 << 20) chunks.push(randomBytes(8 << 20));
    writeFileSync(join(card, `MVI_${1000 + i}.MP4`), Buffer.concat(chunks));
  }
  for (const args of [
    ['init-drive', a],
    ['ingest', join(work, 'card'), '--library', a, '--json', '--no-progress'],
  ]) {
    const r = await timed(BIN, args, env);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  rmSync(join(work, 'card'), { recursive: true, force: true });
  const ours: number[] = [];
  const cps: number[] = [];
  const cpSyncs: number[] = [];
  let cold = false;
  // Three rounds, the median of each side: one slow round of a busy disk does not decide the figure.
  for (let round = 0; round < (quick ? 1 : 3); round++) {
    const dest = join(work, `cp-dest-${round}`);
    cold = dropCaches();
    const cp = await timed('cp', ['-a', join(a, 'library'), dest]);
    cps.push(cp.seconds);
    // `cp -a` is done when the bytes are in the page cache; the mirror only when they are on the
    // disk (fsync before each file is placed). The fair baseline also waits for the disk.
    const flush = await timed('sync', ['-f', dest]);
    cpSyncs.push(cp.seconds + flush.seconds);
    rmSync(dest, { recursive: true, force: true });
    const b = join(work, `cp-B-${round}`);
    const r0 = await timed(BIN, ['init-drive', b], env);
    if (r0.code !== 0) throw new Error(r0.stderr);
    dropCaches();
    const m = await timed(BIN, ['mirror', a, b, '--json', '--no-progress'], env);
    if (m.code !== 0) throw new Error(m.stderr);
    ours.push(m.seconds);
    rmSync(b, { recursive: true, force: true });
    log(`  round ${round}: cp -a ${cp.seconds.toFixed(2)}s, outpost mirror ${m.seconds.toFixed(2)}s`);
  }
  // A USB 3 hard disk reads about 120 MB/s: drive A's image on a loop device, reads throttled.
  const atDrive = await withThrottledCard(
    a,
    work,
    DRIVE_BPS,
    async (d) => {
      const dest = join(work, 'slow-cp');
      const cpSlow = await d.run('cp', ['-a', join(d.root, 'library'), dest]);
      rmSync(dest, { recursive: true, force: true });
      const b = join(work, 'slow-B');
      const r0 = await timed(BIN, ['init-drive', b], env);
      if (r0.code !== 0) throw new Error(r0.stderr);
      const m = await d.run(BIN, ['mirror', d.root, b, '--json', '--no-progress'], env);
      if (m.code !== 0) throw new Error(m.stderr);
      rmSync(b, { recursive: true, force: true });
      log(`  at drive speed: cp -a ${cpSlow.seconds.toFixed(2)}s, outpost mirror ${m.seconds.toFixed(2)}s`);
      return round2(cpSlow.seconds / m.seconds);
    },
    { writable: true },
  );
  if (atDrive === undefined) log('  (drive-speed run skipped: needs root and the blkio cgroup controller)');
  return {
    copyRatioAtDriveSpeed: atDrive ?? null,
    copyRatio: round2(median(cps) / median(ours)),
    copyRatioVsCpSync: round2(median(cpSyncs) / median(ours)),
    copyColdCache: cold,
    copyMB: (files * size) / 1e6,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const work = mkdtempSync(join(tmpdir(), 'outpost-bench-mirror-'));
try {
  if (!existsSync(BIN)) throw new Error('build first: npm run build');
  log('no-change pass: 20,000 items');
  const nc = await noChangeBench(work);
  log('copy: ~1 GB of new media');
  const cp = await copyBench(work);
  log(`noChangeRatio ${nc.noChangeRatio} (target <= 0.5), copyRatio ${cp.copyRatio} (target >= 0.85)`);
  process.stdout.write(JSON.stringify({ bench: 'mirror', ...nc, ...cp, quick }) + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
