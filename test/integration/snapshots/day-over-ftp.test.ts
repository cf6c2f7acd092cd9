/**
 * Issue 16 §4: three IP cameras each send 1,440 JPEGs (one a minute) across a midnight in a
 * non-UTC zone, with a 30-minute outage, to the station's FTP server, with three real clients
 * (lftp, Python's ftplib, curl). Every upload becomes exactly one item; the nightly pass makes
 * each camera-day's timelapse with frames = covered minutes and the gap held and marked; a camera
 * whose clock is 3 minutes ahead is noticed from its file names and changes nothing.
 *
 * Time: capture time is the server's receive time. The test plays the clock: each upload's
 * receive time is the minute its file stands for (accept wraps the service), so a day passes in
 * a minute.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { initDrive } from '../../../src/library/drive.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { getItem, listItems } from '../../../src/library/catalog/items.js';
import { snapshotDays } from '../../../src/library/catalog/snapshots.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { startSnapshotFtp, type SnapshotFtp } from '../../../src/snapshots/ftp/index.js';
import { SnapshotService } from '../../../src/snapshots/service.js';
import { hashFile } from '../../../src/library/intake/index.js';

const ZONE = 'America/Santiago'; // UTC−3 in December
const DAY1 = '2026-12-04';
const DAY2 = '2026-12-05';
/** 12:00 local on DAY1. */
const START = Date.parse(`${DAY1}T15:00:00Z`);
const MIN = 60_000;
const N = 1440;
/** Minutes 300–329 (17:00–17:29 local on DAY1) were never sent: the outage. */
const GAP = { from: 300, to: 330 };
const FPS = 24;

interface Cam {
  name: string;
  user: string;
  password: string;
  source: string;
  /** The file name the camera gives minute `i` (its own clock). */
  name_(i: number): string;
  /** The camera's clock minus ours, seconds. */
  skewS: number;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** Camera-local wall clock of minute `i`, shifted by the camera's skew. */
function camLocal(i: number, skewS: number): string {
  const ms = START + i * MIN + skewS * 1000 - 3 * 3_600_000; // UTC−3: local = UTC − 3 h
  return new Date(ms).toISOString().slice(0, 19);
}

const CAMS: Cam[] = [
  {
    // A Dahua that runs 3 minutes fast: <date>/001/jpg/HH/MM/SS[R][0@0][0].jpg
    name: 'gate',
    user: 'gate-cam',
    password: 'gate-password',
    source: 'testsrc=size=160x120:rate=1',
    skewS: 180,
    name_: (i) => {
      const l = camLocal(i, 180);
      return `${l.slice(0, 10)}/001/jpg/${l.slice(11, 13)}/${l.slice(14, 16)}/${l.slice(17, 19)}[R][0@0][0].jpg`;
    },
  },
  {
    // A Hikvision: <ip>_01_<YYYYMMDDhhmmssmmm>_TIMING.jpg
    name: 'yard',
    user: 'yard-cam',
    password: 'yard-password',
    source: 'testsrc2=size=160x120:rate=1',
    skewS: 0,
    name_: (i) => `192.168.1.64_01_${camLocal(i, 0).replace(/[-T:]/g, '')}000_TIMING.jpg`,
  },
  {
    // No time in its names at all.
    name: 'road',
    user: 'road-cam',
    password: 'road-password',
    source: 'mandelbrot=size=160x120:rate=1',
    skewS: 0,
    name_: (i) => `snap${pad(i, 4)}.jpg`,
  },
];

function exec(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`)),
    );
    if (opts.input !== undefined) c.stdin?.end(opts.input);
  });
}

describe('three IP cameras over FTP across a midnight', { timeout: 600_000 }, () => {
  let work: string;
  let ftp: SnapshotFtp;
  let service: SnapshotService;
  let settings: ConstructorParameters<typeof SnapshotService>[0];
  let cat: Catalog;
  let drive: string;
  const clock = { t: START, now: () => new Date(clock.t) };
  /** The minute each uploaded file stands for, by camera and name. */
  const minuteOf = new Map<string, number>();

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-snapday-'));
    drive = join(work, 'drive');
    await initDrive(drive, { now: new Date() });
    settings = {
      cameras: CAMS.map((c) => ({
        name: c.name,
        timeZone: ZONE,
        intervalS: undefined,
        keepDays: 30,
        maxBytes: undefined,
        keepHourlyDays: Infinity,
      })),
      defaultZone: ZONE,
      timelapse: {
        enabled: true,
        fps: FPS,
        crf: 30,
        preset: 'ultrafast',
        maxWidth: 1920,
        deflicker: false,
        at: '00:10',
        gapFactor: 2.5,
      },
      upload: 'timelapse',
      uplink: false,
      nameTemplate: '{YYYY}{MM}{DD}-{HH}{mm}{ss}_{hash16}.{ext}',
      thumbnailSize: 64,
      previewSize: 256,
      driftWarnS: 120,
    };
    service = new SnapshotService(settings, {
      clock,
      log: silentLogger,
      runner: nodeProcessRunner,
      analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
      timers: { set: () => undefined, clear: () => undefined },
    });
    await service.attach((await import('../../../src/library/layout.js')).driveLayout(drive));
    ftp = await startSnapshotFtp({
      host: '127.0.0.1',
      port: 0,
      passivePorts: { min: 31000 + (process.pid % 50) * 20, max: 31019 + (process.pid % 50) * 20 },
      publicAddress: '127.0.0.1',
      users: CAMS.map((c) => ({ user: c.user, password: c.password, camera: c.name })),
      areaDir: join(work, 'area'),
      tmpDir: () => service.tmpDir(),
      maxFileBytes: 5_000_000,
      maxConnections: 20,
      idleTimeoutMs: 20_000,
      login: { maxFailures: 5, windowMs: 60_000 },
      // The test is the clock: the upload arrived at the minute its file stands for.
      accept: async (u) => {
        const i = minuteOf.get(`${u.camera}/${u.path}`);
        if (i === undefined) throw new Error(`unexpected upload ${u.camera}/${u.path}`);
        clock.t = START + i * MIN + (i % 7) * 1000; // a few seconds of jitter
        await service.receive({
          camera: u.camera,
          file: u.file,
          uploadPath: u.path,
          receivedAt: clock.now(),
          via: 'ftp',
        });
      },
      log: silentLogger,
      clock,
    });
    cat = await openCatalog(join(drive, '.outpost', 'catalog.sqlite'));
  });

  after(async () => {
    await ftp?.close();
    await service?.close();
    await cat?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('takes every snapshot in once, through lftp, ftplib and curl, and makes each day’s timelapse', async () => {
    // 1. The cameras' JPEGs, each different (the sources move), laid out as each camera names them.
    for (const c of CAMS) {
      const raw = join(work, 'raw', c.name);
      await mkdir(raw, { recursive: true });
      await exec('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        c.source,
        '-frames:v',
        String(N),
        '-q:v',
        '6',
        join(raw, '%04d.jpg'),
      ]);
      const out = join(work, 'send', c.name);
      for (let i = 0; i < N; i++) {
        if (i >= GAP.from && i < GAP.to) continue;
        const rel = c.name_(i);
        minuteOf.set(`${c.name}/${rel}`, i);
        await mkdir(join(out, rel, '..'), { recursive: true });
        await copyFile(join(raw, `${pad(i + 1, 4)}.jpg`), join(out, rel));
      }
    }
    const sent = N - (GAP.to - GAP.from);
    const port = (ftp as unknown as { port: number }).port;

    const T = (l: string): void => void (process.env.DBG && console.error(l, Math.round(performance.now())));
    T('made');
    // 2. Upload, one client per camera, in time order (each camera sends its minutes in order).
    // gate: lftp, passive (EPSV), mirror -R of its dated folders.
    const gate = CAMS[0]!;
    const sendGate = exec('lftp', [
      '-c',
      `set ftp:passive-mode on; set ftp:prefer-epsv yes; set net:max-retries 2; set xfer:clobber on; ` +
        `open -u ${gate.user},${gate.password} -p ${port} 127.0.0.1; mirror -R --no-perms --no-umask ${join(work, 'send', 'gate')} /`,
    ]);
    // yard: Python's ftplib, plain PASV, one STOR per file in minute order.
    const yard = CAMS[1]!;
    const yardFiles = [...minuteOf.entries()]
      .filter(([k]) => k.startsWith('yard/'))
      .sort((a, b) => a[1] - b[1])
      .map(([k]) => k.slice(5));
    await writeFile(join(work, 'yard.txt'), yardFiles.join('\n'));
    const sendYard = exec('python3', [
      '-c',
      `import ftplib, sys
f = ftplib.FTP()
f.connect('127.0.0.1', ${port})
f.login('${yard.user}', '${yard.password}')
f.set_pasv(True)
f.sendcmd('TYPE I')
for name in open(sys.argv[1]).read().split('\\n'):
    with open(sys.argv[2] + '/' + name, 'rb') as fh:
        f.storbinary('STOR ' + name, fh)
f.quit()`,
      join(work, 'yard.txt'),
      join(work, 'send', 'yard'),
    ]);
    // road: curl, many files per invocation over one connection, without EPSV (PASV).
    const road = CAMS[2]!;
    const roadFiles = [...minuteOf.entries()]
      .filter(([k]) => k.startsWith('road/'))
      .sort((a, b) => a[1] - b[1])
      .map(([k]) => k.slice(5));
    const sendRoad = (async () => {
      for (let i = 0; i < roadFiles.length; i += 200) {
        const batch = roadFiles.slice(i, i + 200);
        await exec(
          'curl',
          [
            '-sS',
            '--disable-epsv',
            '-u',
            `${road.user}:${road.password}`,
            '-T',
            `{${batch.join(',')}}`,
            `ftp://127.0.0.1:${port}/`,
          ],
          { cwd: join(work, 'send', 'road') },
        );
      }
    })();
    await Promise.all([sendGate, sendYard, sendRoad]);
    T('sent');
    // 3. Every upload stored once, as an item of the camera that logged in; nothing half-written.
    const items = await listItems(cat, {});
    for (const c of CAMS) {
      const mine = items.filter((r) => r.card_id === `snap:${c.name}`);
      assert.equal(mine.length, sent, `${c.name}: ${mine.length} items for ${sent} uploads`);
      assert.ok(mine.every((r) => r.state === 'stored' && r.size > 0 && r.monitor === c.name));
    }
    assert.equal(new Set(items.map((r) => r.id)).size, items.length);
    assert.deepEqual(
      (await readdir(join(drive, '.outpost', 'tmp'))).filter((n) => n.startsWith('ftp-')),
      [],
    );
    // Files in their camera's local day folders, and each file's bytes are its id.
    const first = items.find((r) => r.card_id === 'snap:gate')!;
    assert.match(first.path, /^library\/gate\/2026-12-0[45]\//);
    assert.equal(await hashFile(join(drive, first.path)), first.id);
    const dayCounts = snapshotDays(cat)
      .map((d) => `${d.camera} ${d.day}`)
      .sort();
    assert.deepEqual(dayCounts, CAMS.flatMap((c) => [`${c.name} ${DAY1}`, `${c.name} ${DAY2}`]).sort());

    // 4. The gate camera's clock is 3 minutes fast (its file names say so); the others say nothing or agree.
    clock.t = START + N * MIN; // 12:00 local on DAY2
    const status = service.status();
    const drift = (name: string): number | null => status.find((s) => s.camera === name)!.clockDriftS;
    assert.ok(Math.abs(drift('gate')! - 180) <= 10, `gate drift ${drift('gate')}`);
    assert.ok(Math.abs(drift('yard')!) <= 10, `yard drift ${drift('yard')}`);
    assert.equal(drift('road'), null);
    // DAY1's strip shows the outage.
    const view = service.dayView('gate', DAY1);
    assert.deepEqual(
      view.gaps.map((g) => `${g.fromLocal}-${g.toLocal}`),
      ['16:59-17:30'],
    );

    // 5. The night after DAY2: both days' timelapses, each covered minute one frame, the gap held.
    clock.t = Date.parse(`${DAY2}T03:00:00Z`) + 86_400_000 + 10 * MIN; // DAY3 00:10 local
    const { made } = await service.runNightly();
    T('nightly');
    assert.equal(made.length, 6);
    for (const r of made) {
      // DAY1 covers 12:00–23:59 (720 minutes, the 30 missing held); DAY2 00:00–11:59.
      assert.ok(Math.abs(r.frames - 720) <= 1, `${r.camera} ${r.day}: ${r.frames} frames`);
      assert.ok(
        Math.abs(r.durationS - 720 / FPS) <= 1 / FPS + 1e-6,
        `${r.camera} ${r.day}: ${r.durationS} s`,
      );
      assert.equal(r.snapshots, r.day === DAY1 ? 720 - 30 : 720);
      assert.deepEqual(
        r.gaps.map((g) => `${g.fromLocal}-${g.toLocal}`),
        r.day === DAY1 ? ['16:59-17:30'] : [],
      );
    }
    // The video itself: frames counted by ffprobe, and the gap's chapter in it.
    const tl = made.find((r) => r.camera === 'road' && r.day === DAY1)!;
    const row = items.length ? (await listItems(cat, {})).find((r) => r.id === tl.id)! : undefined;
    assert.ok(row && row.card_id === 'timelapse:road' && row.type === 'video');
    const probe = JSON.parse(
      await exec('ffprobe', [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=nb_read_frames',
        '-show_chapters',
        '-of',
        'json',
        join(drive, row.path),
      ]),
    ) as { streams: { nb_read_frames: string }[]; chapters: { tags?: { title?: string } }[] };
    assert.ok(Math.abs(Number(probe.streams[0]!.nb_read_frames) - 720) <= 1);
    assert.ok(
      probe.chapters.some((ch) => /no snapshots 16:59–17:30/.test(ch.tags?.title ?? '')),
      JSON.stringify(probe.chapters),
    );
    // Done days are not made again by the next pass.
    assert.equal((await service.runNightly()).made.length, 0);

    // 6. Retention, 40 days on: with an uplink nothing goes (HQ has not confirmed the timelapses);
    // without one, each day keeps one still per hour, the rest go, their thumbnails stay.
    clock.t += 40 * 86_400_000;
    const withUplink = new SnapshotService(
      { ...settings, uplink: true },
      {
        clock,
        log: silentLogger,
        runner: nodeProcessRunner,
        analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
        timers: { set: () => undefined, clear: () => undefined },
      },
    );
    await withUplink.attach((await import('../../../src/library/layout.js')).driveLayout(drive));
    try {
      assert.equal(await withUplink.runRetention(), 0);
    } finally {
      await withUplink.close();
    }
    const removed = await service.runRetention();
    const after = (await listItems(cat, {})).filter((r) => r.card_id?.startsWith('snap:'));
    const kept = after.filter((r) => r.state === 'stored');
    // DAY1 12:00–23:59 and DAY2 00:00–11:59: 12 + 12 hours per camera.
    assert.equal(kept.length, 3 * 24, `${kept.length} kept`);
    assert.equal(removed, 3 * (sent - 24));
    const keptIds = new Set(kept.map((r) => r.id));
    const goneIds = items
      .filter((r) => r.card_id?.startsWith('snap:') && !keptIds.has(r.id))
      .map((r) => r.id);
    assert.equal(goneIds.length, removed);
    const gone = (await getItem(cat, goneIds[0]!))!;
    assert.equal(gone.state, 'offloaded');
    assert.equal(gone.has_thumb, 1, 'its thumbnail stays for the strip');
    await assert.rejects(access(join(drive, gone.path)), /ENOENT/);
    // The timelapses themselves are untouched.
    assert.ok(
      (await listItems(cat, {}))
        .filter((r) => r.card_id?.startsWith('timelapse:'))
        .every((r) => r.state === 'stored'),
    );
  });
});
