import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SIGNED_OFFSET_US,
  TIMING_FD,
  TIMING_FRAME_BYTES,
  TIMING_MARK,
  timingFilter,
  timingOutputArgs,
} from '../../../../src/recorder/timing/frame-branch.js';
import {
  FramecrcTimingParser,
  PixelTimingParser,
  type FrameTime,
} from '../../../../src/recorder/timing/frame-parse.js';
import { frameAtWall, framesOfSegment } from '../../../../src/recorder/timing/frame-split.js';
import { framesCsv, FRAMES_HEADER, ttlCsv } from '../../../../src/recorder/timing/sidecar-csv.js';

/** A 48-byte timing frame as ffmpeg's geq writes it. */
function pixelFrame(cameraUs: number, ptsUs: number, wallUs: number, mark = TIMING_MARK): Buffer {
  const b = Buffer.alloc(TIMING_FRAME_BYTES);
  const put = (at: number, bytes: number, v: number): void => {
    for (let i = 0; i < bytes; i++) {
      b[at + i] = v % 256;
      v = Math.floor(v / 256);
    }
  };
  put(0, 6, cameraUs + SIGNED_OFFSET_US);
  put(6, 6, ptsUs + SIGNED_OFFSET_US);
  put(12, 7, wallUs);
  b[19] = mark;
  return b;
}

describe('timing output argv', () => {
  it('re-encoded: the gate and fps of the recording, not its turning and scaling; fd 5', () => {
    const { args, format } = timingOutputArgs({
      copy: false,
      transform: { startAtMs: 1_700_000_000_000, fps: 10, rotation: 90, width: 640, height: 480 },
    });
    assert.equal(format, 'pixels');
    assert.equal(args.at(-1), `pipe:${TIMING_FD}`);
    assert.equal(args[args.indexOf('-flush_packets') + 1], '1');
    const vf = args[args.indexOf('-vf') + 1]!;
    assert.match(vf, /select='gte\(time\(0\),1700000000\.000\)',setpts=PTS-STARTPTS,fps=10/);
    assert.doesNotMatch(vf, /transpose|scale=/);
    // The camera time is written before the gate, the recording's after it.
    assert.ok(vf.indexOf('geq') < vf.indexOf('select') && vf.lastIndexOf('geq') > vf.indexOf('fps=10'));
    assert.equal(args[args.indexOf('-f') + 1], 'rawvideo');
  });
  it('no transform: no gate in the chain; the wall clock is read once per frame', () => {
    const vf = timingFilter(undefined);
    assert.doesNotMatch(vf, /select/);
    assert.match(vf, /st\(1,floor\(time\(0\)\*1000000\)\)/);
    assert.doesNotMatch(vf, /setpts=RTCTIME/, 'the pts must stay the recording’s (-progress out_time)');
  });
  it('stream copy: packets copied to framecrc, nothing decoded', () => {
    const { args, format } = timingOutputArgs({ copy: true });
    assert.equal(format, 'framecrc');
    assert.deepEqual(args.slice(0, 8), [
      '-map',
      '0:v:0',
      '-an',
      '-c:v',
      'copy',
      '-f',
      'framecrc',
      '-flush_packets',
    ]);
    assert.ok(!args.includes('-vf'));
  });
});

describe('PixelTimingParser', () => {
  it('decodes the three times of each frame across chunk boundaries', () => {
    const p = new PixelTimingParser();
    const a = pixelFrame(5_000_000, 0, 1_796_543_000_123_456);
    const b = pixelFrame(5_066_667, 66_667, 1_796_543_000_190_000);
    const all = Buffer.concat([a, b]);
    const got = [
      ...p.push(all.subarray(0, 30), 1),
      ...p.push(all.subarray(30, 70), 2),
      ...p.push(all.subarray(70), 3),
    ];
    assert.equal(got.length, 2);
    assert.deepEqual(
      got.map((f) => [f.n, f.cameraS, f.ptsS, f.wallMs, f.arrivedMs]),
      [
        [0, 5, 0, 1_796_543_000_123.456, 2],
        [1, 5.066667, 0.066667, 1_796_543_000_190, 3],
      ],
    );
  });
  it('negative times (a source starting below zero) survive the offset', () => {
    const [f] = new PixelTimingParser().push(pixelFrame(-40_000, -40_000, 1), 0);
    assert.equal(f!.cameraS, -0.04);
    assert.equal(f!.ptsS, -0.04);
  });
  it('a frame out of step (bad mark) is counted and skipped, its number used up', () => {
    const p = new PixelTimingParser();
    const got = p.push(Buffer.concat([pixelFrame(0, 0, 1, 0), pixelFrame(1, 1, 2)]), 0);
    assert.equal(p.bad, 1);
    assert.deepEqual(
      got.map((f) => f.n),
      [1],
    );
  });
});

describe('FramecrcTimingParser', () => {
  const text = [
    '#software: Lavf59.27.100',
    '#tb 0: 1/1200000',
    '#media_type 0: video',
    '0,          0,          0,   120000,     5517, 0x123c5217',
    '0,     120000,     120000,   120000,     2763, 0xa3d5528c, F=0x0',
    '0,     240000, -9223372036854775808,   120000,     1635, 0x02112cc8, F=0x0',
    '',
  ].join('\n');
  it('pts by the time base; keyframes; a missing pts falls back to the dts', () => {
    const p = new FramecrcTimingParser();
    const got: FrameTime[] = [];
    for (let i = 0; i < text.length; i += 17)
      got.push(...p.push(Buffer.from(text.slice(i, i + 17)), 1000 + i));
    assert.deepEqual(
      got.map((f) => [f.n, f.ptsS, f.cameraS, f.key]),
      [
        [0, 0, 0, true],
        [1, 0.1, 0.1, false],
        [2, 0.2, 0.2, false],
      ],
    );
    assert.ok(got.every((f) => f.wallMs === f.arrivedMs));
  });
  it('lines before the time base are not frames', () => {
    assert.deepEqual(new FramecrcTimingParser().push(Buffer.from('0, 0, 0, 1, 2, 0x1\n'), 0), []);
  });
});

function frame(n: number, ptsS: number, wallMs = 1000 + ptsS * 1000): FrameTime {
  return { n, ptsS, cameraS: ptsS + 7, wallMs, arrivedMs: wallMs + 1, key: true };
}

describe('framesOfSegment', () => {
  const run = [0, 1, 2, 3, 4, 5, 6].map((i) => frame(i, i / 3));
  it('frames with start ≤ pts < end, numbered from 0, pts relative to the segment file', () => {
    const rows = framesOfSegment(run, 1, 2);
    assert.deepEqual(
      rows.map((r) => [r.frame, r.ptsS, r.cameraS]),
      [
        [0, 0, 8],
        [1, 0.333333, 8 + 1 / 3],
        [2, 0.666667, 8 + 2 / 3],
      ],
    );
  });
  it('the list’s µs rounding does not move a boundary frame', () => {
    assert.equal(framesOfSegment(run, 1.000001, 2.000001)[0]!.ptsS, -0.000001);
    assert.equal(framesOfSegment(run, 0.999999, 1.999999).length, 3);
  });
  it('presentation order (a copy delivers decode order)', () => {
    const rows = framesOfSegment([frame(0, 0.2), frame(1, 0), frame(2, 0.1)], 0, 1);
    assert.deepEqual(
      rows.map((r) => r.ptsS),
      [0, 0.1, 0.2],
    );
  });
});

describe('frameAtWall', () => {
  const rows = [{ wallMs: 10 }, { wallMs: 20 }, { wallMs: 30 }];
  it('the last frame not after the instant; none before the first', () => {
    assert.equal(frameAtWall(rows, 9), undefined);
    assert.equal(frameAtWall(rows, 10), rows[0]);
    assert.equal(frameAtWall(rows, 29.9), rows[1]);
    assert.equal(frameAtWall(rows, 1e9), rows[2]);
  });
});

describe('sidecar csv', () => {
  it('frames.csv: header, one row per frame, fixed decimals', () => {
    assert.equal(
      framesCsv([{ frame: 0, ptsS: 0, cameraS: 12.5, wallMs: 1796543000123.25 }]),
      `${FRAMES_HEADER}\n0,0.000000,12.500000,1796543000123.250\n`,
    );
  });
  it('ttl.csv: empty fields where a value does not apply', () => {
    const text = ttlCsv([
      { kind: 'out', chip: 'gpiochip0', line: 17, edge: 'rising', wallMs: 5, frame: 3, ptsS: 0.2 },
      {
        kind: 'in',
        chip: 'gpiochip0',
        line: 22,
        edge: 'falling',
        kernelNs: '123',
        wallMs: 6,
        frame: undefined,
        ptsS: undefined,
      },
    ]);
    assert.deepEqual(text.trim().split('\n').slice(1), [
      'out,gpiochip0,17,rising,,5.000,3,0.200000',
      'in,gpiochip0,22,falling,123,6.000,,',
    ]);
  });
});
