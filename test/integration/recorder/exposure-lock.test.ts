/**
 * Exposure lock as far as it goes without a Pi: the real process runner with a fake
 * `rpicam-vid` first on PATH. For `--metadata -` the fake acts as the camera metering: it
 * streams per-frame metadata the way rpicam-vid does (no `[` on stdout, `]` at exit), its
 * exposure converging, for `-t` milliseconds at `--framerate`; FAKE_RPICAM_MODE makes it fail
 * (no camera), print nothing, or ignore -t. Otherwise it sends H.264 like the recorder's fake
 * (rpicam-fake.test.ts), so the locked controls can be followed into a real recording.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { isOutpostError } from '../../../src/core/errors.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { withLockedControls } from '../../../src/recorder/exposure-lock.js';
import { meterExposure } from '../../../src/recorder/exposure-meter.js';
import { Recorder } from '../../../src/recorder/recorder.js';
import { realRecorderDeps } from '../../kit/recorder.js';
import { systemClock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { EXPOSURE_LOCK_LEAD_S } from '../../../src/fleet/fleet-config.js';
import { cameraPlanSchema, lockedExposureSchema, sessionPlanSchema } from '../../../src/fleet/protocol.js';
import { RecorderRecordingPort } from '../../../src/station/fleet-recording.js';

let base: string;
let drive: Drive;
let oldPath: string | undefined;

/** The camera metering: exposure 5000 → 20000 µs, gain 1 → 2.5, colour gains settling (0.7^i). */
const FAKE_METER = `
const args = process.argv.slice(2);
const opt = (f, d) => { const i = args.indexOf(f); return i < 0 ? d : args[i + 1]; };
const t = Number(opt('-t', '5000'));
const fps = Number(opt('--framerate', '30'));
const mode = process.env.FAKE_RPICAM_MODE || 'converge';
if (mode === 'fail') {
  process.stderr.write('[0:00:00.100] INFO Camera camera_manager.cpp:330 libcamera v0.5.0\\n');
  process.stderr.write('ERROR: *** no cameras available ***\\n');
  process.exit(255);
}
if (mode === 'silent') setTimeout(() => process.exit(0), t);
else {
  const f6 = (x) => x.toFixed(6);
  const start = Date.now();
  let i = 0;
  const timer = setInterval(() => {
    if (mode !== 'hang' && Date.now() - start >= t) {
      clearInterval(timer);
      process.stdout.write('\\n]\\n');
      return;
    }
    const k = Math.pow(0.7, i);
    const lines = [
      ['SensorTimestamp', String(5e9 + Math.round((i * 1e9) / fps))],
      ['ScalerCrop', '"(0, 0)/4056x3040"'],
      ['DigitalGain', f6(1.004)],
      ['ColourGains', '[ ' + f6(1.9 - 0.7 * k) + ', ' + f6(1.6 + 0.6 * k) + ' ]'],
      ['FrameDuration', String(Math.round(1e6 / fps))],
      ['Lux', f6(400 - 300 * k)],
      ['ExposureTime', String(Math.round(20000 - 15000 * k))],
      ['AnalogueGain', f6(2.5 - 1.5 * k)],
      ['AeLocked', k < 0.02 ? 'true' : 'false'],
    ];
    process.stdout.write((i ? ',\\n' : '') + '{' + lines.map(([n, v], j) => (j ? ',' : '') + '\\n    "' + n + '": ' + v).join('') + '\\n}');
    i++;
  }, 1000 / fps);
}
`;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'outpost-aelock-'));
  drive = await initDrive(join(base, 'drive'), { now: new Date() });
  const bin = join(base, 'bin');
  await mkdir(bin);
  await writeFile(join(base, 'meter.mjs'), FAKE_METER);
  await writeFile(
    join(bin, 'rpicam-vid'),
    [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > ${join(base, 'argv.txt')}`,
      `case " $* " in *" --metadata "*) exec ${process.execPath} ${join(base, 'meter.mjs')} "$@";; esac`,
      'exec ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=320x240:rate=10 \\',
      '  -c:v libx264 -preset ultrafast -g 10 -bsf:v h264_mp4toannexb -f h264 -',
      '',
    ].join('\n'),
  );
  await chmod(join(bin, 'rpicam-vid'), 0o755);
  oldPath = process.env.PATH;
  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
});

afterEach(() => {
  delete process.env.FAKE_RPICAM_MODE;
});

after(async () => {
  process.env.PATH = oldPath;
  await rm(base, { recursive: true, force: true });
});

const SOURCE = 'rpicam:?width=320&height=240&fps=30&awb=daylight&iso=200&brightness=0.1';

async function argv(): Promise<string[]> {
  return (await readFile(join(base, 'argv.txt'), 'utf8')).trim().split('\n');
}

describe('exposure lock: meterExposure with a fake rpicam-vid', { timeout: 60_000 }, () => {
  it('meters at the camera size, rate and controls and returns the converged values', async () => {
    const t0 = Date.now();
    const r = await meterExposure({ runner: nodeProcessRunner, source: SOURCE, settleMs: 1500 });
    const took = Date.now() - t0;
    const a = await argv();
    const after = (flag: string): string | undefined => a[a.indexOf(flag) + 1];
    assert.equal(after('-t'), '1500');
    assert.equal(after('--width'), '320');
    assert.equal(after('--framerate'), '30');
    assert.equal(after('--awb'), 'daylight');
    assert.equal(after('--brightness'), '0.1');
    assert.equal(after('--gain'), '2', 'iso=200 metered as given');
    assert.deepEqual(a.slice(-6), ['--metadata', '-', '--metadata-format', 'json', '-o', '/dev/null']);
    assert.ok(a.includes('-n'));

    assert.equal(r.status, 'settled');
    if (r.status !== 'settled') return;
    assert.equal(r.by, 'ae-locked');
    assert.ok(Math.abs(r.shutterUs - 20000) <= 2, `shutter ${r.shutterUs}`);
    assert.ok(Math.abs(r.analogueGain - 2.5) < 0.01, `gain ${r.analogueGain}`);
    assert.ok(Math.abs(r.colourGains![0] - 1.9) < 0.01 && Math.abs(r.colourGains![1] - 1.6) < 0.01);
    // -t honoured: about 1.5 s of 30 fps frames.
    assert.ok(r.frames >= 15 && r.frames <= 46, `frames ${r.frames}`);
    assert.ok(took >= 1400 && took < 10_000, `took ${took} ms`);
    assert.ok(r.settledAfterMs > 300 && r.settledAfterMs < 500, `settled after ${r.settledAfterMs} ms`);
  });

  it('a camera that keeps going past -t is stopped at timeoutMs; the frames so far count', async () => {
    process.env.FAKE_RPICAM_MODE = 'hang';
    const r = await meterExposure({
      runner: nodeProcessRunner,
      source: SOURCE,
      settleMs: 500,
      timeoutMs: 1500,
    });
    assert.equal(r.status, 'settled');
    assert.ok(r.frames >= 20, `frames ${r.frames}`);
  });

  it('too short to settle: the last values, said to be unsettled', async () => {
    const r = await meterExposure({ runner: nodeProcessRunner, source: SOURCE, settleMs: 200 });
    assert.equal(r.status, 'unsettled');
    if (r.status === 'unsettled') assert.match(r.why, /frames|moving/);
  });

  it('rpicam-vid failing (no camera): RECORDER_SOURCE with its last words and a hint', async () => {
    process.env.FAKE_RPICAM_MODE = 'fail';
    await assert.rejects(meterExposure({ runner: nodeProcessRunner, source: SOURCE, settleMs: 500 }), (e) => {
      assert.ok(isOutpostError(e));
      assert.equal(e.code, 'RECORDER_SOURCE');
      assert.match(e.message, /rpicam-vid failed \(exit 255\).*no cameras available/);
      assert.match(e.hint, /rpicam-hello --list-cameras/);
      return true;
    });
  });

  it('rpicam-vid printing no metadata: RECORDER_SOURCE saying so', async () => {
    process.env.FAKE_RPICAM_MODE = 'silent';
    await assert.rejects(meterExposure({ runner: nodeProcessRunner, source: SOURCE, settleMs: 300 }), (e) => {
      assert.ok(isOutpostError(e));
      assert.equal(e.code, 'RECORDER_SOURCE');
      assert.match(e.message, /no exposure metadata/);
      assert.match(e.hint, /--metadata/);
      return true;
    });
  });

  it('rpicam-vid not installed: TOOL_MISSING naming rpicam-apps', async () => {
    await assert.rejects(
      meterExposure({ runner: nodeProcessRunner, source: SOURCE, cmd: 'rpicam-vid-not-here' }),
      (e) => {
        assert.ok(isOutpostError(e));
        assert.equal(e.code, 'TOOL_MISSING');
        assert.match(e.hint, /rpicam-apps/);
        return true;
      },
    );
  });

  it('a source that is not rpicam: is refused before anything runs', async () => {
    await assert.rejects(meterExposure({ runner: nodeProcessRunner, source: 'testsrc:' }), (e) => {
      assert.ok(isOutpostError(e));
      assert.equal(e.code, 'RECORDER_SOURCE');
      return true;
    });
  });

  it('the locked controls reach the recording rpicam-vid as --shutter --gain --awbgains', async () => {
    const r = await meterExposure({ runner: nodeProcessRunner, source: SOURCE, settleMs: 1200 });
    assert.equal(r.status, 'settled');
    const locked = withLockedControls(SOURCE.replace('fps=30', 'fps=10'), r);
    const rec = new Recorder(
      { name: 'pi', source: locked, mode: 'continuous', segmentSeconds: 1, copy: 'auto', stallSeconds: 10 },
      { minFreeBytes: 0, deleteUnsent: false, ringRoot: join(base, 'ring') },
      drive,
      realRecorderDeps(),
    );
    const segments: string[] = [];
    rec.on('segment', (s) => segments.push(s.path));
    await rec.start();
    for (let i = 0; i < 80 && segments.length < 1; i++) await new Promise((res) => setTimeout(res, 100));
    await rec.stop();
    const a = await argv();
    const after = (flag: string): string | undefined => a[a.indexOf(flag) + 1];
    assert.equal(after('--shutter'), String(r.shutterUs));
    assert.equal(after('--gain'), String(Number(r.analogueGain.toFixed(3))));
    assert.equal(after('--awbgains'), r.colourGains!.map((g) => Number(g.toFixed(4))).join(','));
    assert.equal(after('--brightness'), '0.1', 'other controls kept');
    assert.ok(!a.includes('--awb'), 'awb dropped: the gains fix white balance');
    assert.equal(a.filter((x) => x === '--gain').length, 1, 'iso replaced by the locked gain');
    assert.deepEqual(a.slice(-2), ['-o', '-']);
    assert.ok(segments.length >= 1, 'recorded');
  });
});

describe(
  'exposure lock in a fleet session (RecorderRecordingPort, fake rpicam-vid)',
  { timeout: 60_000 },
  () => {
    it('meters before the instant, records with the locked values, and reports them for the manifest', async () => {
      const port = new RecorderRecordingPort({
        cameras: ['pi'],
        drive,
        settings: { minFreeBytes: 0, deleteUnsent: false, ringRoot: join(base, 'ring') },
        deps: realRecorderDeps(),
        clock: systemClock,
        log: silentLogger,
      });
      const plan = cameraPlanSchema.parse({
        camera: 'pi',
        source: SOURCE.replace('fps=30', 'fps=10'),
        mode: 'continuous',
        segmentSeconds: 1,
        live: false,
        exposureLockS: 2,
      });
      // The conductor's lead for a 2 s lock: settle + rpicam's start + the pipeline's.
      const lead = Math.ceil(2 + EXPOSURE_LOCK_LEAD_S) * 1000;
      const at = new Date(Date.now() + lead);
      const session = sessionPlanSchema.parse({
        id: 'sess_lock_0001',
        group: 'lab',
        name: 'locked',
        startAt: at.toISOString(),
        maxDurationS: 60,
        cameras: [plan],
      });
      const segments: string[] = [];
      const handle = await port.start(plan, session, at, {
        segment: (s) => segments.push(s.path),
        gap: () => undefined,
        failed: (why) => assert.fail(why),
      });
      try {
        // Metered first, and still on time: the first frame within a second of the instant.
        assert.ok(
          Math.abs(handle.firstFrameAt.getTime() - at.getTime()) < 1000,
          `first frame ${handle.firstFrameAt.getTime() - at.getTime()} ms from the instant`,
        );
        const x = handle.applied?.exposure;
        assert.ok(x, 'the locked exposure is reported');
        assert.equal(x.status, 'settled');
        assert.ok(
          Math.abs(x.shutterUs - 20000) < 200 && Math.abs(x.analogueGain - 2.5) < 0.03,
          JSON.stringify(x),
        );
        assert.ok(lockedExposureSchema.safeParse(x).success, 'it travels in a started event');
        const a = await argv();
        assert.equal(a[a.indexOf('--shutter') + 1], String(x.shutterUs), 'the recording runs locked');
        for (let i = 0; i < 60 && segments.length < 1; i++) await new Promise((res) => setTimeout(res, 100));
        assert.ok(segments[0]?.startsWith('library/lab/locked/pi/'), segments.join());
      } finally {
        await handle.stop();
        await port.close();
      }
    });
  },
);
