/**
 * `npm run bench:snapshots`: IP cameras' snapshots (issue 16 §5). Prints figures on stderr and one
 * JSON line on stdout.
 *
 *   ingestPerSec          snapshots taken in per second (FTP → checked → library item → thumbnail)
 *                         while 9 cameras upload at once (curl, one connection each)
 *   ftpCpuPerSnapshotMs   CPU of the station process per snapshot (user + system): FTP server,
 *                         hashing, JPEG check and thumbnail, the library intake, the catalogue
 *   cpuShareAt9PerMin     what 9 cameras × 1 snapshot a minute cost, % of one core (target < 1 %)
 *   rawFtpRatio           our wall time ÷ the same uploads into a bare ftp-srv writing plain files
 *                         (the raw server: no check, no hash, no catalogue) — the price of keeping them
 *   timelapseRatio        one camera-day (1,440 1080p JPEGs, a 30-minute gap) ÷ plain
 *                         `ffmpeg -pattern_type glob … -c:v libx264 -preset veryfast -crf 24` (≤ 1.1)
 *   timelapseFrameError   frames off the expected count (0, ±1)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtpSrv } from 'ftp-srv';
import { silentLogger } from '../src/adapters/logger.js';
import { nodeProcessRunner } from '../src/adapters/process-runner.js';
import { initDrive } from '../src/library/drive.js';
import { driveLayout } from '../src/library/layout.js';
import { createMediaAnalyzer } from '../src/media/analyzer.js';
import { startSnapshotFtp } from '../src/snapshots/ftp/index.js';
import { SnapshotService } from '../src/snapshots/service.js';
import { benchTimelapse } from './snapshots-timelapse.js';

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const CAMERAS = 9;
const PER_CAMERA = Number(process.env.SNAP_PER_CAMERA ?? 60);
const round2 = (n: number): number => Math.round(n * 100) / 100;

function exec(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${code}: ${err.slice(-800)}`)),
    );
  });
}

/** Each camera's 1080p JPEGs (moving test pictures, ~150–300 kB like a CCTV snapshot). */
async function makeSnapshots(dir: string): Promise<string[]> {
  const dirs: string[] = [];
  for (let c = 0; c < CAMERAS; c++) {
    const d = join(dir, `cam${c}`);
    mkdirSync(d, { recursive: true });
    await exec('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=1920x1080:rate=1,hue=h=${c * 40}`,
      '-frames:v',
      String(PER_CAMERA),
      '-q:v',
      '4',
      join(d, `c${c}-%04d.jpg`),
    ]);
    dirs.push(d);
  }
  return dirs;
}

/** All cameras at once: one curl per camera, every file over one connection. Wall ms. */
async function uploadAll(port: number, dirs: string[], user: (c: number) => string): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    dirs.map((d, c) => {
      const files = readdirSync(d).sort();
      return exec(
        'curl',
        ['-sS', '-u', `${user(c)}:password-${c}`, '-T', `{${files.join(',')}}`, `ftp://127.0.0.1:${port}/`],
        d,
      );
    }),
  );
  return performance.now() - t0;
}

async function ours(
  work: string,
  dirs: string[],
): Promise<{ wallMs: number; cpuMs: number; stored: number }> {
  const drive = join(work, 'drive');
  await initDrive(drive, { now: new Date() });
  const cameras = dirs.map((_, c) => `cam${c}`);
  const service = new SnapshotService(
    {
      cameras: cameras.map((name) => ({
        name,
        timeZone: 'UTC',
        intervalS: undefined,
        keepDays: 30,
        maxBytes: undefined,
        keepHourlyDays: Infinity,
      })),
      defaultZone: 'UTC',
      timelapse: {
        enabled: false,
        fps: 24,
        crf: 24,
        preset: 'veryfast',
        maxWidth: 1920,
        deflicker: false,
        at: '00:10',
        gapFactor: 2.5,
      },
      upload: 'timelapse',
      uplink: false,
      nameTemplate: '{YYYY}{MM}{DD}-{HH}{mm}{ss}_{hash16}.{ext}',
      thumbnailSize: 320,
      previewSize: 1600,
      driftWarnS: 120,
    },
    {
      clock: { now: () => new Date() },
      log: silentLogger,
      runner: nodeProcessRunner,
      analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
      timers: { set: () => undefined, clear: () => undefined },
    },
  );
  await service.attach(driveLayout(drive));
  let stored = 0;
  const ftp = await startSnapshotFtp({
    host: '127.0.0.1',
    port: 0,
    passivePorts: { min: 32100, max: 32199 },
    publicAddress: '127.0.0.1',
    users: cameras.map((camera, c) => ({ user: `u${c}`, password: `password-${c}`, camera })),
    areaDir: join(work, 'area'),
    tmpDir: () => service.tmpDir(),
    maxFileBytes: 20e6,
    maxConnections: 50,
    idleTimeoutMs: 60_000,
    login: { maxFailures: 5, windowMs: 60_000 },
    accept: async (u) => {
      const r = await service.receive({
        camera: u.camera,
        file: u.file,
        uploadPath: u.path,
        receivedAt: u.receivedAt,
        via: 'ftp',
      });
      if (r.created) stored++;
    },
    log: silentLogger,
    clock: { now: () => new Date() },
  });
  // Warm up sharp and the catalogue outside the measurement.
  const cpu0 = process.cpuUsage();
  const wallMs = await uploadAll(ftp.port, dirs, (c) => `u${c}`);
  const cpu = process.cpuUsage(cpu0);
  await ftp.close();
  await service.close();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, stored };
}

/** The raw server: ftp-srv's own file system writing plain files, nothing else. */
async function raw(work: string, dirs: string[]): Promise<{ wallMs: number; cpuMs: number }> {
  const root = join(work, 'raw');
  mkdirSync(root, { recursive: true });
  const srv = new FtpSrv({
    url: 'ftp://127.0.0.1:0',
    pasv_url: '127.0.0.1',
    pasv_min: 32200,
    pasv_max: 32299,
    anonymous: false,
    greeting: 'raw',
    log: silentBunyan as never,
  });
  srv.on('login', ({ username }: { username: string }, resolve: (o: { root: string }) => void) => {
    const d = join(root, username);
    mkdirSync(d, { recursive: true });
    resolve({ root: d });
  });
  await srv.listen();
  const port = (srv as unknown as { server: { address(): { port: number } } }).server.address().port;
  const cpu0 = process.cpuUsage();
  const wallMs = await uploadAll(port, dirs, (c) => `u${c}`);
  const cpu = process.cpuUsage(cpu0);
  await srv.close();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const noop = (): void => undefined;
const silentBunyan: Record<string, unknown> = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
};
silentBunyan.child = () => silentBunyan;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'outpost-bench-snap-'));
  try {
    log(`snapshots: ${CAMERAS} cameras × ${PER_CAMERA} 1080p JPEGs`);
    const dirs = await makeSnapshots(join(work, 'jpegs'));
    const r = await raw(work, dirs);
    const o = await ours(work, dirs);
    const total = CAMERAS * PER_CAMERA;
    if (o.stored !== total) throw new Error(`stored ${o.stored} of ${total}`);
    const perSnap = o.cpuMs / total;
    log(
      `  ours: ${(o.wallMs / 1000).toFixed(2)} s wall, ${(o.cpuMs / 1000).toFixed(2)} s CPU, ${total} stored`,
    );
    log(`  raw ftp-srv: ${(r.wallMs / 1000).toFixed(2)} s wall, ${(r.cpuMs / 1000).toFixed(2)} s CPU`);
    log('timelapse: one camera-day of 1080p snapshots');
    const tl = await benchTimelapse(join(work, 'timelapse'), Number(process.env.SNAP_TL_RUNS ?? 3));
    log(`  ours ${tl.ourS.toFixed(1)} s, plain ffmpeg ${tl.plainS.toFixed(1)} s, ${tl.frames} frames`);
    const result = {
      bench: 'snapshots',
      ingestPerSec: round2(total / (o.wallMs / 1000)),
      ftpCpuPerSnapshotMs: round2(perSnap),
      cpuShareAt9PerMin: round2(((perSnap * 9) / 60_000) * 100),
      rawFtpRatio: round2(o.wallMs / r.wallMs),
      rawFtpCpuPerSnapshotMs: round2(r.cpuMs / total),
      timelapseRatio: tl.timelapseRatio,
      timelapseFrameError: tl.timelapseFrameError,
      snapshots: total,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
