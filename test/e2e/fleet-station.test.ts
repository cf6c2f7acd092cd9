import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, outpost, spawnOutpost } from '../kit/cli.js';
import { probeVideo } from '../kit/ffprobe.js';
import { freePort } from '../kit/ports.js';

/**
 * The fleet agent inside `outpost station` (fleet.enabled in its config): the station's own
 * camera records into `library/cam/<date>/` until a session takes it; during the session it
 * records into `library/<group>/<session>/cam/` and the standing recorder is stopped (one
 * pipeline per camera); after the session the standing recorder is back. A second station with
 * no library drive refuses the session with NO_LIBRARY.
 */
const ROOT = 'e2e/station-fleet';
let work: string;
let url: string;
const procs: ChildProcess[] = [];
const logs = new Map<string, () => string>();
let lib: string;

async function stationConfig(name: string, dir: string): Promise<string> {
  const cfg = join(dir, 'config.yaml');
  await writeFile(
    cfg,
    [
      'station:',
      `  statusFile: ${join(dir, 'run', 'status.json')}`,
      `  clock:\n    stateFile: ${join(dir, 'state', 'clock.json')}`,
      '  devices:\n    manage: false',
      `  cameraSettingsFile: ${join(dir, 'state', 'camera-settings.json')}`,
      'recorder:\n  minFreeGB: 0',
      'cameras:',
      '  - name: cam',
      '    source: "testsrc:?size=160x120&rate=10"',
      '    segmentSeconds: 2',
      '    live: { enabled: false }',
      'fleet:',
      '  enabled: true',
      `  station: ${name}`,
      '  minFreeGB: 0',
      `  broker: { url: "${url}", root: ${ROOT} }`,
    ].join('\n'),
  );
  return cfg;
}

function spawnStation(name: string, args: string[], cfg: string): void {
  const p = spawnOutpost(['station', '--no-server', '--log-level', 'info', ...args], { OUTPOST_CONFIG: cfg });
  let log = '';
  p.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  p.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  logs.set(name, () => log);
  procs.push(p);
}

/** Start times (ms) of the files in a folder, from their names (`YYYYMMDD-HHmmss_<hash>.mp4`, UTC). */
async function startsIn(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const day of await readdir(dir).catch(() => [] as string[])) {
    const files = await readdir(join(dir, day)).catch(() => [day]);
    for (const f of files) {
      const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})_/.exec(f);
      if (m) out.push(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
    }
  }
  return out.sort((a, b) => a - b);
}

const until = async (what: () => Promise<boolean>, ms: number, label: string): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline)
      assert.fail(
        `${label} within ${ms} ms\n${[...logs.values()].map((l) => l().slice(-2000)).join('\n---\n')}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-fleet-station-'));
  const port = await freePort();
  url = `mqtt://127.0.0.1:${port}`;
  const broker = spawnOutpost(['fleet', 'broker', '--port', String(port)]);
  procs.push(broker);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    broker.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (/listening/.test(out)) resolve();
    });
    broker.once('exit', (code) => reject(new Error(`broker exited ${code}: ${out}`)));
  });
  lib = join(work, 'lib');
  assert.equal((await outpost(['init-drive', lib, '--label', 'A'])).code, 0);
  const one = join(work, 'st-1');
  const two = join(work, 'st-2');
  const empty = join(work, 'nothing-mounted');
  await Promise.all([one, two, empty].map((d) => mkdir(d, { recursive: true })));
  spawnStation('st-1', ['--library', lib, '--watch', empty], await stationConfig('st-1', one));
  spawnStation('st-2', ['--watch', empty], await stationConfig('st-2', two));
});

after(async () => {
  const stop = async (p: ChildProcess): Promise<void> => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 8000);
    await exited;
    clearTimeout(t);
  };
  await Promise.all(procs.slice(1).map(stop));
  if (procs[0]) await stop(procs[0]);
  await rm(work, { recursive: true, force: true });
});

describe('the fleet agent inside outpost station', { timeout: 180_000 }, () => {
  it('a session borrows the station camera and gives it back; no library drive is a refusal', async () => {
    const own = join(lib, 'library', 'cam');
    await until(
      async () => (await startsIn(own)).length >= 1,
      30_000,
      'the standing recorder placed a segment',
    );
    await until(
      async () => {
        const st = json<{ stations: { station: string; online: boolean }[] }>(
          await outpost(['fleet', 'status', '--broker', url, '--root', ROOT, '--json']),
        );
        return ['st-1', 'st-2'].every((s) => st.stations.find((x) => x.station === s)?.online);
      },
      20_000,
      'both stations online',
    );
    const cfg = join(work, 'fleet.yaml');
    await writeFile(
      cfg,
      [
        'group: lab',
        'session: borrowed',
        `broker: { url: "${url}", root: ${ROOT} }`,
        'maxDuration: 7s',
        'startDelay: 2',
        'defaults: { source: "testsrc:?size=160x120&rate=10", segment: 2s }',
        'cameras:',
        '  - { station: st-1 }',
        '  - { station: st-2 }',
      ].join('\n'),
    );
    const sessions = join(work, 'sessions');
    const r = await outpost(['fleet', 'start', cfg, '--sessions', sessions, '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const report = json<{
      accepted: string[];
      refused: { station: string; code: string; reason: string }[];
      session: { id: string };
    }>(r);
    assert.deepEqual(report.accepted, ['st-1']);
    assert.equal(report.refused[0]?.station, 'st-2');
    assert.equal(report.refused[0]?.code, 'NO_LIBRARY');
    assert.match(report.refused[0]!.reason, /no library drive/);

    const m = json<{
      stations: Record<
        string,
        {
          cameras: Record<
            string,
            { actualAt: string | null; stoppedAt: string | null; segments: { path: string }[] }
          >;
        }
      >;
    }>(await outpost(['fleet', 'show', report.session.id, '--sessions', sessions, '--json']));
    const cam = m.stations['st-1']!.cameras.cam!;
    assert.ok(cam.actualAt && cam.stoppedAt, JSON.stringify(cam));
    assert.ok(cam.segments.length >= 2, `${cam.segments.length} session segments`);
    for (const s of cam.segments)
      assert.match(s.path, /^library\/lab\/borrowed\/cam\/\d{8}-\d{6}_[0-9a-f]{16}\.mp4$/);
    const [from, to] = [Date.parse(cam.actualAt), Date.parse(cam.stoppedAt)];
    // One pipeline per camera: no standing segment began while the session recorded.
    const during = (await startsIn(own)).filter((t) => t > from + 1000 && t < to - 1000);
    assert.deepEqual(during, [], 'the standing recorder was stopped during the session');
    // And it is back after the session.
    await until(
      async () => (await startsIn(own)).some((t) => t >= to - 1000),
      30_000,
      'the standing recorder is back',
    );
  });

  it("config push sets the stations' own cameras: applied, refused (no such camera), silent (away)", async () => {
    const cfg = join(work, 'push.yaml');
    await writeFile(
      cfg,
      [
        'group: lab',
        `broker: { url: "${url}", root: ${ROOT} }`,
        'maxDuration: 1h',
        'defaults: { source: "ignored:", segment: 1s }',
        'cameras:',
        '  - { station: st-1, rotation: 90 }',
        '  - { station: st-2, camera: nope }',
        '  - { station: ghost }',
      ].join('\n'),
    );
    const pushedAt = Date.now();
    const r = await outpost(['fleet', 'config', 'push', cfg, '--json'], { timeoutMs: 30_000 });
    assert.equal(r.code, 3, `a refusal exits 3: ${r.stderr}`);
    const err = json<{
      error: {
        code: string;
        details: {
          applied: Record<
            string,
            Record<string, { rotation: number; segmentSeconds: number; overridden: string[] }>
          >;
          refused: { station: string; camera: string; reason: string }[];
          silent: string[];
        };
      };
    }>(r).error;
    assert.equal(err.code, 'FLEET_CONFIG_REFUSED');
    const report = err.details;
    assert.equal(report.applied['st-1']?.cam?.rotation, 90);
    assert.equal(report.applied['st-1']?.cam?.segmentSeconds, 1);
    assert.deepEqual(report.applied['st-1']?.cam?.overridden.sort(), ['rotation', 'segmentSeconds']);
    assert.deepEqual(
      report.refused.map((x) => `${x.station}/${x.camera}`),
      ['st-2/nope'],
    );
    assert.match(report.refused[0]!.reason, /no camera nope on station st-2/);
    assert.deepEqual(report.silent, ['ghost']);
    assert.match(r.stderr, /FLEET_CONFIG_REFUSED/);
    // st-1 records turned from now on (160x120 → 120x160), and keeps the setting in its file.
    let turned = '';
    await until(
      async () => {
        for (const day of await readdir(join(lib, 'library', 'cam')))
          for (const f of await readdir(join(lib, 'library', 'cam', day))) {
            const p = join(lib, 'library', 'cam', day, f);
            if ((await stat(p)).mtimeMs > pushedAt + 500 && probeVideo(p).width === 120) turned = p;
          }
        return !!turned;
      },
      20_000,
      'a turned segment after the push',
    );
    assert.equal(probeVideo(turned).height, 160);
    const kept = JSON.parse(
      await readFile(join(work, 'st-1', 'state', 'camera-settings.json'), 'utf8'),
    ) as Record<string, object>;
    assert.deepEqual(kept.cam, { rotation: 90, segmentSeconds: 1 });
  });
});
