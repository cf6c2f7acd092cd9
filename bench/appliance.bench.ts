/**
 * bench:appliance — the station as an appliance (issue 11 §6), against doing the same by hand, in one run.
 *   cardToGreenSeconds  a ~1 GB ext4 card (a loop device standing in for a USB card reader) attached
 *                       to a running `outpost station` (station.devices.manage, root) → the CARD
 *                       indicator flashing green in station.statusFile: detected, mounted, ingested,
 *                       unmounted. The station runs with its default 1 s poll and 1 s LED tick.
 *   byHandSeconds       the same card by hand: `losetup`, `mount -o ro`, `outpost ingest`, `umount`,
 *                       `losetup -d`, end to end, into another fresh library drive.
 *   ratio               byHand ÷ cardToGreen (>= ~0.9: the station adds little to the copy itself)
 *   idleRssMB           the station's node process with a library drive and no card, after 30 s
 *   idleCpuPercent      its CPU (utime + stime) over those 30 s, % of one core
 *   ingestPeakRssMB     the station's peak RSS while it ingests the card (VmHWM, reset before)
 * Caches are dropped before each card run so the card is read from disk. Needs root (loop
 * devices, mounts). Ends with one JSON line {"bench":"appliance", ...}.
 * `--quick`: a 512 MB card and a 10 s idle window.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { timed } from './lib/proc.js';

const quick = process.argv.includes('--quick');
const CARD_BYTES = (quick ? 512 : 1000) * 1e6;
const JPEGS = quick ? 10 : 20;
const MOV_BYTES = 96 * 1024 * 1024;
const IDLE_SECONDS = quick ? 10 : 30;
const BIN = resolve(import.meta.dirname, '..', 'bin', 'outpost');
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const sh = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const CLK_TCK = Number(sh('getconf', ['CLK_TCK'])) || 100;

/** Loop devices this bench attached: detached in `finally`, by name (never anyone else's). */
const attached = new Set<string>();
function attach(image: string, partscan = true): string {
  const dev = sh('losetup', [...(partscan ? ['-fP'] : ['-f']), '--show', image]);
  attached.add(dev);
  return dev;
}
function detach(dev: string): void {
  try {
    sh('losetup', ['-d', dev]);
  } catch {
    /* already gone */
  }
  attached.delete(dev);
}

function dropCaches(): void {
  execFileSync('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter(Boolean);
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return Number(f[11]) + Number(f[12]);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false,
  timeoutMs: number,
  tail: () => string = () => '',
): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${tail()}`);
    await sleep(20);
  }
}

/** The card: DCIM/ with 12-MP JPEGs (real, noisy: ~MBs each) and random-byte .MOV clips, ~CARD_BYTES in all. */
async function makeCard(work: string): Promise<{ image: string; files: number; bytes: number }> {
  const content = join(work, 'card-content');
  const dir = join(content, 'DCIM', '100MEDIA');
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  let files = 0;
  for (let i = 0; i < JPEGS; i++) {
    const jpeg = await sharp({
      create: {
        width: 4000,
        height: 3000,
        channels: 3,
        background: { r: 40 + i * 7, g: 90, b: 140 },
        noise: { type: 'gaussian', mean: 110 + i, sigma: 24 },
      },
    })
      .jpeg({ quality: 88 })
      .toBuffer();
    writeFileSync(join(dir, `IMG_${1000 + i}.JPG`), jpeg);
    bytes += jpeg.length;
    files++;
  }
  for (let i = 0; bytes < CARD_BYTES; i++) {
    const size = Math.min(MOV_BYTES, CARD_BYTES - bytes);
    const chunks: Buffer[] = [];
    for (let o = 0; o < size; o += 8 << 20) chunks.push(randomBytes(Math.min(8 << 20, size - o)));
    writeFileSync(join(dir, `MVI_${2000 + i}.MOV`), Buffer.concat(chunks));
    bytes += size;
    files++;
  }
  // An SD card's worth of ext4 around it (journal, inode tables), filled without mounting.
  mkdirSync(join(work, 'cards'));
  const image = join(work, 'cards', 'card.img');
  writeFileSync(image, '');
  sh('truncate', ['-s', `${Math.ceil((bytes * 1.12) / 2 ** 20) + 64}M`, image]);
  sh('mkfs.ext4', ['-q', '-F', '-L', 'BENCHCARD', '-d', content, image]);
  rmSync(content, { recursive: true, force: true });
  return { image, files, bytes };
}

/** A fresh library drive: an ext4 image (outside loopFilesUnder: the station never touches it) mounted here. */
async function libraryDrive(work: string, name: string, env: Record<string, string>): Promise<string> {
  const image = join(work, 'libs', `${name}.img`);
  mkdirSync(join(work, 'libs'), { recursive: true });
  writeFileSync(image, '');
  sh('truncate', ['-s', `${Math.ceil((CARD_BYTES * 1.6) / 2 ** 20) + 256}M`, image]);
  sh('mkfs.ext4', ['-q', '-F', '-L', name, image]);
  const dev = attach(image, false);
  const mp = join(work, name);
  mkdirSync(mp);
  sh('mount', ['-o', 'noatime', dev, mp]);
  const r = await timed(BIN, ['init-drive', mp, '--label', name], env);
  if (r.code !== 0) throw new Error(`init-drive ${name}: ${r.stderr}`);
  return mp;
}

interface Lights {
  CARD: { look: string; reason: string };
  DRIVE_A: { look: string; reason: string };
}

const work = await mkdtemp(join(tmpdir(), 'outpost-bench-appliance-'));
let station: ChildProcess | undefined;
try {
  if (process.getuid?.() !== 0) throw new Error('bench:appliance needs root (loop devices, mounts)');
  if (!existsSync(BIN)) throw new Error('build first: npm run build');
  const cards = join(work, 'cards');
  const mountRoot = join(work, 'media');
  const statusFile = join(work, 'run', 'status.json');
  const cfg = join(work, 'config.yaml');
  mkdirSync(join(work, 'watched'));
  writeFileSync(
    cfg,
    [
      'log: { level: info }',
      'station:',
      `  statusFile: ${statusFile}`,
      `  watchRoots: [${join(work, 'watched')}]`,
      '  devices:',
      '    manage: true',
      '    includeLoop: true',
      `    loopFilesUnder: ${cards}`,
      `    mountRoot: ${mountRoot}`,
      `  clock: { stateFile: ${join(work, 'clock.json')} }`,
      'server: { host: 127.0.0.1, port: 0 }',
      'indicators: { driver: virtual }',
      'uplink: { enabled: false }',
      'scrub: { enabled: false }',
      '',
    ].join('\n'),
  );
  const env = { OUTPOST_CONFIG: cfg, TZ: 'UTC' };

  log(`card: ${quick ? '512 MB' : '~1 GB'} ext4 image (${JPEGS} 12-MP JPEGs + random-byte .MOV clips)...`);
  const card = await makeCard(work);
  const cardMB = card.bytes / 1e6;
  log(
    `  ${card.files} files, ${cardMB.toFixed(0)} MB, image ${(statSync(card.image).size / 2 ** 20).toFixed(0)} MiB`,
  );
  const libHand = await libraryDrive(work, 'lib-hand', env);
  const libStation = await libraryDrive(work, 'lib-station', env);

  // --- by hand, the baseline (no station running: it would take the loop device) -----------------
  log('by hand: losetup, mount -o ro, outpost ingest, umount, losetup -d');
  dropCaches();
  const handMnt = join(work, 'hand-card');
  mkdirSync(handMnt);
  const h0 = performance.now();
  const handDev = attach(card.image);
  sh('mount', ['-o', 'ro', handDev, handMnt]);
  const ingest = await timed(BIN, ['ingest', handMnt, '--library', libHand, '--json', '--no-progress'], env);
  if (ingest.code !== 0) throw new Error(`outpost ingest failed: ${ingest.stderr}`);
  sh('umount', [handMnt]);
  detach(handDev);
  const byHandSeconds = (performance.now() - h0) / 1000;
  const handSummary = JSON.parse(ingest.stdout) as { copied: number };
  if (handSummary.copied !== card.files)
    throw new Error(`by hand: ${handSummary.copied} of ${card.files} files copied`);
  log(
    `  ${byHandSeconds.toFixed(2)}s end to end (outpost ingest ${ingest.seconds.toFixed(2)}s, ${round1(cardMB / ingest.seconds)} MB/s, peak RSS ${ingest.peakRssMB} MB)`,
  );

  // --- the station ----------------------------------------------------------------------------------
  log('station: start, idle, then the card');
  let stderr = '';
  const marks = new Map<string, number>();
  station = spawn(BIN, ['station', '--library', libStation, '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  const pid = station.pid!;
  station.stderr!.on('data', (b: Buffer) => {
    const now = performance.now();
    stderr += b.toString();
    for (const msg of ['device detected', 'ingest finished', 'device unmounted: safe to remove'])
      if (!marks.has(msg) && stderr.includes(`"msg":"${msg}"`)) marks.set(msg, now);
  });
  const tail = (): string => `\n--- station log (end) ---\n${stderr.slice(-4000)}`;
  const lights = (): Lights | undefined => {
    try {
      return (JSON.parse(readFileSync(statusFile, 'utf8')) as { indicators: Lights }).indicators;
    } catch {
      return undefined;
    }
  };
  const ts0 = performance.now();
  await waitFor('the station', () => stderr.includes('"msg":"station started"'), 30_000, tail);
  await waitFor('DRIVE A green', () => lights()?.DRIVE_A.look === 'green', 30_000, tail);
  log(`  ready (DRIVE A green) after ${((performance.now() - ts0) / 1000).toFixed(2)}s`);

  // Idle: a library drive, no card, nothing to do but poll /sys/block and tick the LEDs.
  await sleep(5000);
  const c0 = cpuTicks(pid);
  const i0 = performance.now();
  await sleep(IDLE_SECONDS * 1000);
  const idleCpuPercent = round2(((cpuTicks(pid) - c0) / CLK_TCK / ((performance.now() - i0) / 1000)) * 100);
  const idleRssMB = round1(procStatus(pid, 'VmRSS'));
  log(`  idle ${IDLE_SECONDS}s: RSS ${idleRssMB} MB, CPU ${idleCpuPercent}% of a core`);

  // The card: caches dropped, attached, timed until the CARD light flashes green.
  if (lights()?.CARD.look !== 'off')
    throw new Error(`CARD is ${lights()?.CARD.look} before the card${tail()}`);
  dropCaches();
  writeFileSync(`/proc/${pid}/clear_refs`, '5\n'); // reset VmHWM: the peak from here on
  let sampledPeak = 0;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, procStatus(pid, 'VmRSS'))), 50);
  const t0 = performance.now();
  const cardDev = attach(card.image);
  const green = await waitFor(
    'CARD flashing green',
    () => {
      const c = lights()?.CARD;
      if (c?.look === 'red-flash') throw new Error(`CARD red: ${c.reason}${tail()}`);
      return c?.look === 'green-flash' && c;
    },
    30 * 60_000,
    tail,
  );
  const cardToGreenSeconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const ingestPeakRssMB = round1(Math.max(procStatus(pid, 'VmHWM'), sampledPeak));
  const summary = /"msg":"ingest finished"/.test(stderr)
    ? (JSON.parse(stderr.split('\n').find((l) => l.includes('"msg":"ingest finished"'))!) as {
        copied: number;
      })
    : undefined;
  if (summary?.copied !== card.files)
    throw new Error(`station: ${summary?.copied} of ${card.files} files copied${tail()}`);
  const at = (m: string): string => (marks.has(m) ? `${((marks.get(m)! - t0) / 1000).toFixed(2)}s` : '?');
  log(
    `  attach → CARD green-flash ${cardToGreenSeconds.toFixed(2)}s ("${green.reason}"; detected ${at('device detected')}, ingest finished ${at('ingest finished')}, unmounted ${at('device unmounted: safe to remove')}), peak RSS ${ingestPeakRssMB} MB`,
  );
  if (mountPoints().some((p) => p.startsWith(`${mountRoot}/`)))
    throw new Error('the card is still mounted after the green flash');

  station.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => station!.once('close', r));
  if (code !== 0) throw new Error(`station exited ${code}${tail()}`);
  detach(cardDev);

  const ratio = round2(byHandSeconds / cardToGreenSeconds);
  log(
    `cardToGreenSeconds ${round2(cardToGreenSeconds)}, byHandSeconds ${round2(byHandSeconds)}, ratio ${ratio} (target >= ~0.9), idleRssMB ${idleRssMB}, idleCpuPercent ${idleCpuPercent}, ingestPeakRssMB ${ingestPeakRssMB} (target < 250)`,
  );
  process.stdout.write(
    JSON.stringify({
      bench: 'appliance',
      cardToGreenSeconds: round2(cardToGreenSeconds),
      byHandSeconds: round2(byHandSeconds),
      ratio,
      byHandIngestSeconds: round2(ingest.seconds),
      idleRssMB,
      idleCpuPercent,
      idleSeconds: IDLE_SECONDS,
      ingestPeakRssMB,
      byHandPeakRssMB: ingest.peakRssMB,
      cardMB: Math.round(cardMB),
      cardFiles: card.files,
      quick,
    }) + '\n',
  );
} finally {
  if (station && station.exitCode === null && station.signalCode === null) {
    station.kill('SIGTERM');
    const closed = new Promise((r) => station!.once('close', r));
    if ((await Promise.race([closed, sleep(20_000, 'timeout')])) === 'timeout') {
      station.kill('SIGKILL');
      await closed;
    }
  }
  for (const m of mountPoints()
    .filter((p) => p.startsWith(`${work}/`))
    .reverse())
    try {
      sh('umount', [m]);
    } catch {
      try {
        sh('umount', ['-l', m]);
      } catch {
        /* gone */
      }
    }
  for (const d of [...attached]) detach(d);
  // Never delete through a mount that is still there.
  if (mountPoints().some((p) => p.startsWith(`${work}/`)))
    log(`left ${work} in place: something is still mounted in it`);
  else rmSync(work, { recursive: true, force: true });
}
