/**
 * Exposure lock, pure parts: rpicam-vid's metadata as it writes it (rpicam-apps
 * output/output.cpp: `[` only for a file, `{`, one `    "Name": value` line per control, `}`,
 * `,` between frames, `]` at exit; values from libcamera's ControlValue::toString), settle
 * detection, and the controls that lock the result.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  lockedControls,
  parseRpicamMetadata,
  settledExposure,
  withLockedControls,
  type RpicamFrame,
} from '../../../src/recorder/exposure-lock.js';
import { rpicamControlArgs, rpicamControlProblems } from '../../../src/recorder/rpicam-controls.js';
import { parseSource } from '../../../src/recorder/sources.js';

/** One frame's controls as rpicam-vid prints them (values already as toString() gives them). */
type RawFrame = [string, string][];

/** Frames written the way rpicam-vid writes them; `toFile` adds the `[` a file gets. */
function render(frames: RawFrame[], opts: { toFile?: boolean; closed?: boolean } = {}): string {
  let out = opts.toFile ? '[\n' : '';
  frames.forEach((f, i) => {
    if (i > 0) out += ',\n';
    out += '{';
    f.forEach(([k, v], j) => {
      const q = v.includes('/') ? '"' : '';
      out += `${j > 0 ? ',' : ''}\n    "${k}": ${q}${v}${q}`;
    });
    out += '\n}';
  });
  if (opts.closed ?? true) out += '\n]\n';
  return out;
}

const f6 = (x: number): string => x.toFixed(6); // std::to_string(float)

/** A Pi camera settling from a dark start: exposure and gain converge on 20000 µs × 2.5. */
function settling(
  n: number,
  opts: { aeLocked?: boolean; aeState?: boolean; start?: number; fps?: number } = {},
): RawFrame[] {
  const fps = opts.fps ?? 30;
  const frames: RawFrame[] = [];
  for (let i = 0; i < n; i++) {
    const k = Math.pow(0.7, i);
    const exposure = Math.round(20000 + (5000 - 20000) * k);
    const gain = 2.5 + (1 - 2.5) * k;
    const red = 1.9 + (1.2 - 1.9) * k;
    const blue = 1.6 + (2.2 - 1.6) * k;
    const f: RawFrame = [
      ['SensorTimestamp', String(1_000_000_000 + Math.round((i * 1e9) / fps))],
      ['ScalerCrop', '(0, 0)/4056x3040'],
      ['DigitalGain', f6(1.0 + 0.01 * (i % 2))],
      ['ColourGains', `[ ${f6(red)}, ${f6(blue)} ]`],
      ['SensorBlackLevels', '[ 4096, 4096, 4096, 4096 ]'],
      ['ColourCorrectionMatrix', `[ ${Array.from({ length: 9 }, () => f6(0.5)).join(', ')} ]`],
      ['FrameDuration', String(Math.round(1e6 / fps))],
      ['ColourTemperature', String(4500)],
      ['Lux', f6(350 - 200 * k)],
      ['ExposureTime', String(exposure)],
      ['AnalogueGain', f6(gain)],
      ['FocusFoM', '1023'],
    ];
    if (opts.aeLocked) f.push(['AeLocked', Math.abs(k) < 0.02 ? 'true' : 'false']);
    if (opts.aeState) f.push(['AeState', Math.abs(k) < 0.02 ? '2' : '1']);
    frames.push(f);
  }
  return frames;
}

describe('parseRpicamMetadata', () => {
  it('reads a whole file (with its [ and ]), Rectangle values quoted, arrays as arrays', () => {
    const frames = parseRpicamMetadata(render(settling(5), { toFile: true }));
    assert.equal(frames.length, 5);
    assert.equal(frames[0]!.ScalerCrop, '(0, 0)/4056x3040');
    assert.equal(frames[0]!.ExposureTime, 5000);
    assert.deepEqual(frames[0]!.ColourGains, [1.2, 2.2]);
    assert.equal((frames[0]!.SensorBlackLevels as number[]).length, 4);
  });

  it('reads stdout, which has no opening [', () => {
    const text = render(settling(4));
    assert.ok(text.startsWith('{'));
    assert.equal(parseRpicamMetadata(text).length, 4);
  });

  it('keeps the complete frames of a stream cut off mid-frame', () => {
    const whole = render(settling(6), { closed: false });
    const cut = whole.slice(0, whole.lastIndexOf('"ExposureTime"') + 10);
    const frames = parseRpicamMetadata(cut);
    assert.equal(frames.length, 5);
    assert.ok(frames.every((f) => typeof f.ExposureTime === 'number'));
  });

  it('keeps values that are not JSON (a Size, nan) as text, and the frame', () => {
    const text = render([
      [
        ['ExposureTime', '10000'],
        ['OutputSize', '640x480'],
        ['Lux', 'nan'],
        ['AnalogueGain', '1.000000'],
      ],
    ]);
    const [f] = parseRpicamMetadata(text);
    assert.deepEqual(f, { ExposureTime: 10000, OutputSize: '640x480', Lux: 'nan', AnalogueGain: 1 });
  });

  it('skips log lines and garbage around frames; garbage alone gives nothing', () => {
    const text = `Preview window unavailable\n${render(settling(2))}[0:01:02.3] INFO Camera\n`;
    assert.equal(parseRpicamMetadata(text).length, 2);
    assert.deepEqual(parseRpicamMetadata('ERROR: *** no cameras available ***\n'), []);
    assert.deepEqual(parseRpicamMetadata(''), []);
    assert.deepEqual(parseRpicamMetadata('\u0000\u0001binary{{]]'), []);
  });

  it('reads compact JSON frames, one a line', () => {
    const text = '[{"ExposureTime": 100, "AnalogueGain": 1.5},\n{"ExposureTime": 200, "AnalogueGain": 2}';
    assert.deepEqual(
      parseRpicamMetadata(text).map((f) => f.ExposureTime),
      [100, 200],
    );
  });
});

describe('settledExposure', () => {
  it('a settling sequence without AE state: settled where exposure × gain stops moving', () => {
    const r = settledExposure(parseRpicamMetadata(render(settling(60))));
    assert.equal(r.status, 'settled');
    if (r.status !== 'settled') return;
    assert.equal(r.by, 'stable');
    assert.ok(Math.abs(r.shutterUs - 20000) <= 5, `shutter ${r.shutterUs}`);
    assert.ok(Math.abs(r.analogueGain - 2.5) < 0.01);
    assert.ok(Math.abs(r.colourGains![0] - 1.9) < 0.01 && Math.abs(r.colourGains![1] - 1.6) < 0.01);
    assert.equal(r.frames, 60);
    assert.equal(r.meteredMs, Math.round((59 * 1000) / 30));
    // 0.7^i: exposure × gain within 3 % of the final from about frame 13-15; colour gains about 8.
    assert.ok(r.settledAfterMs >= 300 && r.settledAfterMs <= 600, `settled after ${r.settledAfterMs} ms`);
    assert.ok(r.digitalGain !== undefined && r.lux !== undefined);
  });

  it('AeLocked: settled from the start of the final locked run', () => {
    const r = settledExposure(parseRpicamMetadata(render(settling(40, { aeLocked: true }))));
    assert.equal(r.status, 'settled');
    if (r.status !== 'settled') return;
    assert.equal(r.by, 'ae-locked');
    // 0.7^i < 0.02 from i = 11.
    assert.equal(r.settledAfterMs, Math.round((11 * 1000) / 30));
  });

  it('AeState (libcamera ≥ 0.4): converged counts as locked', () => {
    const r = settledExposure(parseRpicamMetadata(render(settling(40, { aeState: true }))));
    assert.equal(r.status, 'settled');
    if (r.status === 'settled') assert.equal(r.by, 'ae-locked');
  });

  it('never settled: the last values, and why', () => {
    const r = settledExposure(parseRpicamMetadata(render(settling(8, { aeLocked: true }))));
    assert.equal(r.status, 'unsettled');
    if (r.status !== 'unsettled') return;
    assert.equal(r.settledAfterMs, null);
    assert.equal(r.frames, 8);
    assert.match(r.why, /only 8 frames/);
    const moving = settledExposure(parseRpicamMetadata(render(settling(12))), { window: 5 });
    assert.equal(moving.status, 'unsettled');
    if (moving.status === 'unsettled')
      assert.match(moving.why, /auto-exposure still moving: .* over the last 5/);
  });

  it('auto-white-balance still moving while AE is locked: unsettled', () => {
    const frames: RpicamFrame[] = Array.from({ length: 20 }, (_, i) => ({
      ExposureTime: 10000,
      AnalogueGain: 2,
      AeLocked: true,
      ColourGains: [1 + i * 0.05, 1.5],
    }));
    const r = settledExposure(frames);
    assert.equal(r.status, 'unsettled');
    if (r.status === 'unsettled') assert.match(r.why, /white-balance/);
  });

  it('times from FrameDuration, else from fps, when there are no sensor timestamps', () => {
    const steady = (extra: RpicamFrame): RpicamFrame[] =>
      Array.from({ length: 12 }, () => ({ ExposureTime: 10000, AnalogueGain: 2, ...extra }));
    const byDuration = settledExposure(steady({ FrameDuration: 40000 }));
    assert.equal(byDuration.status === 'settled' && byDuration.meteredMs, 440);
    const byFps = settledExposure(steady({}), { fps: 10 });
    assert.equal(byFps.status === 'settled' && byFps.meteredMs, 1100);
    assert.equal(
      byFps.status === 'settled' && byFps.colourGains,
      undefined,
      'a mono sensor has no colour gains',
    );
  });

  it('no frames, or frames without exposure: a typed failure', () => {
    assert.deepEqual(settledExposure([]), { status: 'no-frames', frames: 0, why: 'no frame metadata' });
    const r = settledExposure([{ Lux: 3 }, { FocusFoM: 2 }]);
    assert.equal(r.status, 'no-frames');
    if (r.status === 'no-frames') assert.match(r.why, /2 frames of metadata, none with ExposureTime/);
  });
});

describe('lockedControls', () => {
  const x = {
    shutterUs: 19999.6,
    analogueGain: 2.5004321,
    colourGains: [1.8999999, 1.6000001] as [number, number],
  };

  it('shutter, gain and awbgains in the form rpicam-controls.ts accepts', () => {
    const c = lockedControls(x);
    assert.deepEqual(c, { shutter: '20000', gain: '2.5', awbgains: '1.9,1.6' });
    assert.deepEqual(rpicamControlProblems(c), []);
    assert.deepEqual(rpicamControlArgs(c), ['--gain', '2.5', '--shutter', '20000', '--awbgains', '1.9,1.6']);
  });

  it('clamps to the accepted ranges; no awbgains for a mono sensor', () => {
    const c = lockedControls({ shutterUs: 0.2, analogueGain: 0.9 });
    assert.deepEqual(c, { shutter: '1', gain: '1' });
    assert.deepEqual(rpicamControlProblems(c), []);
    assert.deepEqual(
      rpicamControlProblems(lockedControls({ shutterUs: 2e8, analogueGain: 99, colourGains: [40, 0] })),
      [],
    );
  });

  it('withLockedControls: a source URL with the lock, other keys as written', () => {
    const url = withLockedControls(
      'rpicam:?width=320&height=240&fps=10&awb=daylight&iso=200&roi=0.1,0.1,0.8,0.8',
      x,
    );
    assert.equal(
      url,
      'rpicam:?width=320&height=240&fps=10&roi=0.1,0.1,0.8,0.8&shutter=20000&gain=2.5&awbgains=1.9,1.6',
    );
    const args = parseSource(url).feeder!.args;
    const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
    assert.equal(after('--shutter'), '20000');
    assert.equal(after('--gain'), '2.5');
    assert.equal(after('--awbgains'), '1.9,1.6');
    assert.ok(!args.includes('--awb'));
    assert.equal(
      withLockedControls('rpicam:', { shutterUs: 100, analogueGain: 1 }),
      'rpicam:?shutter=100&gain=1',
    );
    // As fleet-recording's withControls writes it (URLSearchParams: commas encoded).
    const encoded = withLockedControls('rpicam:?width=320&roi=0.1%2C0.1%2C0.8%2C0.8&awb=daylight', x);
    assert.equal(
      encoded,
      'rpicam:?width=320&roi=0.1%2C0.1%2C0.8%2C0.8&shutter=20000&gain=2.5&awbgains=1.9,1.6',
    );
    const encodedArgs = parseSource(encoded).feeder!.args;
    assert.equal(encodedArgs[encodedArgs.indexOf('--roi') + 1], '0.1,0.1,0.8,0.8');
  });
});
