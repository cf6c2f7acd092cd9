import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SessionManifest } from '../../src/fleet/manifest.js';
import { json, outpost, spawnOutpost } from '../kit/cli.js';
import { countFrames, probeVideo } from '../kit/ffprobe.js';
import { freePort } from '../kit/ports.js';

/**
 * Six stations as six `outpost fleet agent` processes, each with its own library drive and a
 * `testsrc:` camera, the broker as `outpost fleet broker`, and `outpost fleet start` conducting:
 * every camera records from the session's instant with its own settings (checked with ffprobe
 * on the library segments) into `library/<group>/<session>/<camera>/`, stops at max duration, and
 * the manifest lists the segments by hash. One station's ffmpeg is killed mid-session: its
 * recorder restarts, and the manifest reports the gap.
 */
const ROOT = 'e2e/fleet';
let work: string;
let url: string;
const procs: ChildProcess[] = [];
const libs = new Map<string, string>();
const STATIONS = ['pi-1', 'pi-2', 'pi-3', 'pi-4', 'pi-5', 'pi-6'];

const started = (p: ChildProcess, what: RegExp): Promise<void> =>
  new Promise((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (what.test(out)) resolve();
    });
    p.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-fleet-rec-'));
  const port = await freePort();
  url = `mqtt://127.0.0.1:${port}`;
  const broker = spawnOutpost(['fleet', 'broker', '--port', String(port)]);
  procs.push(broker);
  await started(broker, /listening/);
  for (const s of STATIONS) {
    const lib = join(work, s);
    libs.set(s, lib);
    assert.equal((await outpost(['init-drive', lib])).code, 0);
    const p = spawnOutpost([
      'fleet',
      'agent',
      '--library',
      lib,
      '--station',
      s,
      '--broker',
      url,
      '--root',
      ROOT,
    ]);
    procs.push(p);
    await started(p, /outpost fleet agent/);
  }
});
/** SIGTERM, and SIGKILL if it has not exited within 5 s. */
async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

after(async () => {
  // The stations first (they say goodbye to the broker), then the broker.
  await Promise.all(procs.slice(1).map(stop));
  if (procs[0]) await stop(procs[0]);
  await rm(work, { recursive: true, force: true });
});

const probe = probeVideo;

/** The ffmpeg processes whose command line names `dir` (a station's library). */
async function ffmpegsUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const argv = (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (/ffmpeg$/.test(argv[0] ?? '') && argv.some((a) => a.startsWith(dir))) pids.push(Number(p));
  }
  return pids;
}

const exists = (p: string) =>
  readdir(p).then(
    (x) => x.length > 0,
    () => false,
  );

describe('a fleet of six recording stations (real processes, real ffmpeg)', { timeout: 180_000 }, () => {
  it('start together with per-camera settings, stop at max duration, segments in the manifest', async () => {
    for (let i = 0; ; i++) {
      const st = json<{ stations: { station: string; online: boolean }[] }>(
        await outpost(['fleet', 'status', '--broker', url, '--root', ROOT, '--json']),
      );
      if (STATIONS.every((s) => st.stations.find((x) => x.station === s)?.online)) break;
      assert.ok(i < 20, `stations online: ${JSON.stringify(st.stations)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const cfg = join(work, 'fleet.yaml');
    await writeFile(
      cfg,
      [
        'group: lab-e2e',
        'session: six',
        `broker: { url: "${url}", root: ${ROOT} }`,
        'maxDuration: 8s',
        'startDelay: 3',
        'defaults: { source: "testsrc:?size=320x240&rate=10", segment: 2s }',
        'cameras:',
        '  - { station: pi-1 }',
        '  - { station: pi-2, rotation: 90 }',
        '  - { station: pi-3, resolution: 160x120 }',
        '  - { station: pi-4, fps: 5 }',
        '  - { station: pi-5, hflip: true }',
        '  - { station: pi-6 }',
      ].join('\n'),
    );
    const sessions = join(work, 'sessions');
    const running = outpost(['fleet', 'start', cfg, '--sessions', sessions, '--json'], { timeoutMs: 90_000 });
    // pi-6's first segment is in the library: kill its camera pipeline.
    const sixDir = join(libs.get('pi-6')!, 'library', 'lab-e2e', 'six', 'cam');
    for (let i = 0; !(await exists(sixDir)); i++) {
      assert.ok(i < 200, 'pi-6 placed no segment within 20 s');
      await new Promise((res) => setTimeout(res, 100));
    }
    const killed = await ffmpegsUnder(libs.get('pi-6')!);
    assert.equal(killed.length, 1, `pi-6 runs one ffmpeg: ${killed.join(', ')}`);
    process.kill(killed[0]!, 'SIGKILL');
    const killedAt = Date.now();
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    const report = json<{ accepted: string[]; session: { id: string; startAt: string } }>(r);
    assert.deepEqual(report.accepted, STATIONS);
    const m = json<SessionManifest>(
      await outpost(['fleet', 'show', report.session.id, '--sessions', sessions, '--json']),
    );
    const startMs = Date.parse(report.session.startAt);
    const firsts: number[] = [];
    const expected: Record<string, { width: number; height: number; avg_frame_rate: string }> = {
      'pi-1': { width: 320, height: 240, avg_frame_rate: '10/1' },
      'pi-2': { width: 240, height: 320, avg_frame_rate: '10/1' },
      'pi-3': { width: 160, height: 120, avg_frame_rate: '10/1' },
      'pi-4': { width: 320, height: 240, avg_frame_rate: '5/1' },
      'pi-5': { width: 320, height: 240, avg_frame_rate: '10/1' },
      'pi-6': { width: 320, height: 240, avg_frame_rate: '10/1' },
    };
    for (const s of STATIONS) {
      const cam = m.stations[s]!.cameras.cam!;
      assert.ok(cam.actualAt, `${s} started: ${JSON.stringify(m.stations[s])}`);
      const first = Date.parse(cam.actualAt);
      firsts.push(first);
      assert.ok(
        first >= startMs - 50 && first - startMs < 3000,
        `${s} first frame ${first - startMs} ms after the instant`,
      );
      assert.equal(cam.stopReason, 'max-duration', s);
      assert.ok(cam.segments.length >= 2, `${s}: ${cam.segments.length} segments`);
      for (const seg of cam.segments) {
        assert.match(seg.sha256, /^[0-9a-f]{64}$/);
        assert.ok(
          seg.path.startsWith('library/lab-e2e/six/cam/'),
          `${s}: ${seg.path} is in the session's folder`,
        );
        const file = join(libs.get(s)!, seg.path);
        assert.equal(
          execFileSync('sha256sum', [file]).toString().split(' ')[0],
          seg.sha256,
          `${s} ${seg.path} is the bytes its hash names`,
        );
        // Its frames' times beside it: one row per frame, wall clocks from the session's start on.
        const rows = readFileSync(`${file}.frames.csv`, 'utf8').trim().split('\n');
        assert.equal(rows[0], 'frame,pts_s,camera_s,wall_ms');
        const frames = countFrames(file);
        assert.equal(rows.length - 1, frames, `${s} ${seg.path}: a row per frame`);
        const firstWall = Number(rows[1]!.split(',')[3]);
        assert.ok(
          firstWall >= startMs - 50,
          `${s}: no frame from before the instant (${firstWall - startMs} ms)`,
        );
      }
      assert.deepEqual(cam.applied?.sidecars, ['frames.csv'], s);
      assert.deepEqual(probe(join(libs.get(s)!, cam.segments[0]!.path)), expected[s], s);
      if (s !== 'pi-6') assert.deepEqual(cam.gaps, [], `${s} recorded without a gap`);
    }
    // The killed pipeline: one gap, from its last segment kept to the restarted run's first
    // frame (at most the segment in progress lost), and segments again after it.
    const six = m.stations['pi-6']!.cameras.cam!;
    assert.equal(six.gaps.length, 1, JSON.stringify(six.gaps));
    const gap = six.gaps[0]!;
    assert.equal(gap.reason, 'recorder restarted');
    const [gapFrom, gapTo] = [Date.parse(gap.from), Date.parse(gap.to)];
    assert.ok(gapFrom <= killedAt && gapTo >= killedAt - 100, `gap ${gap.from}–${gap.to} spans the kill`);
    assert.ok(
      gapTo - gapFrom < 2000 + 4000,
      `gap of ${gapTo - gapFrom} ms: one segment and a restart at most`,
    );
    assert.ok(
      six.segments.some((x) => Date.parse(x.start) >= gapTo - 100),
      `pi-6 recorded again after the restart: ${six.segments.map((x) => x.start).join(', ')}`,
    );
    const spread = Math.max(...firsts) - Math.min(...firsts);
    process.stdout.write(`# firstFrameSpreadMs ${spread} (six testsrc recorders, one frame = 100 ms)\n`);
    assert.ok(spread < 2000, `first frames spread over ${spread} ms`);
  });
});
