/**
 * meterExposure with a scripted process runner: the metering command line, and how each way
 * rpicam-vid can end (done, killed at the timeout, failed, silent, missing, aborted) comes out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessRunner, RunOptions, RunResult } from '../../../src/adapters/process-runner.js';
import { OutpostError, isOutpostError } from '../../../src/core/errors.js';
import { meterExposure, meteringArgs } from '../../../src/recorder/exposure-meter.js';

/** rpicam-vid's stdout for `n` steady frames (no `[`: stdout), closed with `]` unless cut. */
function metadata(n: number, closed = true): string {
  const frames = Array.from(
    { length: n },
    (_, i) =>
      `{\n    "SensorTimestamp": ${1e9 + i * 33_333_333},\n    "ExposureTime": 12000,\n    "AnalogueGain": 3.000000,\n    "ColourGains": [ 1.500000, 2.000000 ]\n}`,
  );
  return frames.join(',\n') + (closed ? '\n]\n' : '');
}

function runner(
  result: Partial<RunResult> | Error,
  seen: { args?: readonly string[]; opts?: RunOptions } = {},
): ProcessRunner {
  return {
    run(_cmd, args, opts) {
      seen.args = args;
      seen.opts = opts;
      if (result instanceof Error) return Promise.reject(result);
      return Promise.resolve({ code: 0, signal: null, stdout: Buffer.alloc(0), stderr: '', ...result });
    },
  };
}

const SOURCE =
  'rpicam:?codec=h264&width=640&height=480&fps=20&camera=1&sync=server&roi=0.2,0.2,0.6,0.6&ev=-1';

describe('meteringArgs', () => {
  it('the camera size, rate, index and controls; raw frames to /dev/null; metadata on stdout; no sync', () => {
    assert.deepEqual(meteringArgs(SOURCE, 2500), [
      '-t', '2500', '-n', '--codec', 'yuv420', '--width', '640', '--height', '480', '--framerate', '20',
      '--camera', '1', '--ev', '-1', '--roi', '0.2,0.2,0.6,0.6',
      '--metadata', '-', '--metadata-format', 'json', '-o', '/dev/null',
    ]); // prettier-ignore
  });

  it('refuses what is not a good rpicam: source', () => {
    assert.throws(
      () => meteringArgs('v4l2:/dev/video0', 1000),
      (e) => isOutpostError(e) && e.code === 'RECORDER_SOURCE',
    );
    assert.throws(
      () => meteringArgs('rpicam:?shutter=0', 1000),
      (e) => isOutpostError(e) && e.code === 'RECORDER_SOURCE',
    );
  });
});

describe('meterExposure (scripted runner)', () => {
  it('settled values from a clean run; timeout and output cap passed to the runner', async () => {
    const seen: { args?: readonly string[]; opts?: RunOptions } = {};
    const r = await meterExposure({
      runner: runner({ stdout: Buffer.from(metadata(30)) }, seen),
      source: SOURCE,
      settleMs: 1000,
    });
    assert.equal(r.status, 'settled');
    assert.deepEqual([r.shutterUs, r.analogueGain, r.colourGains], [12000, 3, [1.5, 2]]);
    assert.equal(seen.opts?.timeoutMs, 11_000);
    assert.ok((seen.opts?.maxStdoutBytes ?? 0) > 0);
  });

  it('killed at the timeout after some frames: those frames are used', async () => {
    const r = await meterExposure({
      runner: runner({
        code: null,
        signal: 'SIGKILL',
        stdout: Buffer.from(metadata(20, false).slice(0, -30)),
      }),
      source: SOURCE,
    });
    assert.equal(r.status, 'settled');
    assert.equal(r.frames, 19);
  });

  it('killed with nothing: RECORDER_SOURCE', async () => {
    await assert.rejects(
      meterExposure({ runner: runner({ code: null, signal: 'SIGKILL' }), source: SOURCE }),
      (e) =>
        isOutpostError(e) &&
        e.code === 'RECORDER_SOURCE' &&
        /no frames before it was stopped/.test(e.message),
    );
  });

  it('a failed run is an error even when it printed frames', async () => {
    await assert.rejects(
      meterExposure({
        runner: runner({
          code: 255,
          stdout: Buffer.from(metadata(15)),
          stderr: 'ERROR: *** camera busy ***\n',
        }),
        source: SOURCE,
      }),
      (e) => isOutpostError(e) && e.code === 'RECORDER_SOURCE' && /exit 255.*camera busy/.test(e.message),
    );
  });

  it('a clean run with no exposure metadata: RECORDER_SOURCE', async () => {
    await assert.rejects(
      meterExposure({ runner: runner({ stdout: Buffer.from('{\n    "Lux": 3.0\n}\n]\n') }), source: SOURCE }),
      (e) => isOutpostError(e) && e.code === 'RECORDER_SOURCE' && /none with ExposureTime/.test(e.message),
    );
  });

  it('rpicam-vid missing: TOOL_MISSING with the rpicam-apps hint; other errors pass through', async () => {
    await assert.rejects(
      meterExposure({
        runner: runner(new OutpostError('TOOL_MISSING', 'rpicam-vid is not installed')),
        source: SOURCE,
      }),
      (e) => isOutpostError(e) && e.code === 'TOOL_MISSING' && /rpicam-apps/.test(e.hint),
    );
    const boom = new Error('boom');
    await assert.rejects(meterExposure({ runner: runner(boom), source: SOURCE }), (e) => e === boom);
  });

  it('aborted: the abort reason, not a result', async () => {
    const ac = new AbortController();
    ac.abort(new Error('session cancelled'));
    await assert.rejects(
      meterExposure({ runner: runner({ code: null, signal: 'SIGKILL' }), source: SOURCE, signal: ac.signal }),
      /session cancelled/,
    );
  });
});
