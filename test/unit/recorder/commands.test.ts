import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureArgs, keyframeExpr, shouldCopy } from '../../../src/recorder/capture-command.js';
import { liveFilter } from '../../../src/recorder/live/overlay.js';
import { ProgressParser } from '../../../src/recorder/progress.js';
import { parseSegmentList } from '../../../src/recorder/segments.js';
import { parseAudioSource, parseSource, redactUrl } from '../../../src/recorder/sources.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/recorder/supervisor.js';
import { isOutpostError } from '../../../src/core/errors.js';

const seg = {
  kind: 'continuous' as const,
  dir: '/d/rec/gate/r1',
  listFile: '/d/rec/gate/r1/list.csv',
  seconds: 10,
};

/** The arguments following `flag` (first occurrence after `from`). */
function after(args: string[], flag: string, from = 0): string | undefined {
  const i = args.indexOf(flag, from);
  return i < 0 ? undefined : args[i + 1];
}

describe('parseSource', () => {
  it('test pattern in real time', () => {
    const s = parseSource('testsrc:?size=320x240&rate=15');
    assert.deepEqual(s.inputArgs, ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15']);
    assert.equal(s.codec, 'raw');
    assert.equal(s.fps, 15);
  });
  it('files loop in real time, behind file: so a colon is not a protocol', () => {
    const s = parseSource('/media/demo:1.mp4');
    assert.deepEqual(s.inputArgs, ['-stream_loop', '-1', '-re', '-i', 'file:/media/demo:1.mp4']);
    assert.equal(s.codec, 'unknown');
    assert.deepEqual(parseSource('file:/x.mp4').inputArgs.at(-1), 'file:/x.mp4');
  });
  it('RTSP over TCP with a timeout; the password never shows in logs', () => {
    const s = parseSource('rtsp://admin:secret@10.0.0.2/stream1');
    assert.equal(after(s.inputArgs, '-rtsp_transport'), 'tcp');
    assert.ok(s.inputArgs.includes('-timeout'));
    assert.equal(redactUrl(s.url), 'rtsp://admin:***@10.0.0.2/stream1');
  });
  it('v4l2 webcams: format, size, rate; h264 webcams are copied', () => {
    const s = parseSource('v4l2:/dev/video0?format=h264&size=1280x720&fps=15');
    assert.deepEqual(s.inputArgs, [
      '-f',
      'v4l2',
      '-input_format',
      'h264',
      '-video_size',
      '1280x720',
      '-framerate',
      '15',
      '-i',
      '/dev/video0',
    ]);
    assert.equal(s.codec, 'h264');
    assert.equal(parseSource('v4l2:/dev/video2').codec, 'mjpeg');
  });
  it('rpicam-vid feeds stdin with inline headers and a keyframe a second', () => {
    const s = parseSource('rpicam:?width=1920&height=1080&fps=30');
    assert.equal(s.feeder?.cmd, 'rpicam-vid');
    assert.deepEqual(s.feeder?.args.slice(0, 3), ['-t', '0', '-n']);
    assert.ok(s.feeder?.args.includes('--inline'));
    assert.equal(after(s.feeder!.args, '--intra'), '30');
    assert.deepEqual(s.feeder?.args.slice(-2), ['-o', '-']);
    assert.deepEqual(s.inputArgs.slice(-2), ['-i', 'pipe:0']);
    assert.equal(s.codec, 'h264');
  });
  it('passes Pi camera controls on to rpicam-vid, checked, and refuses the rest with every problem', () => {
    const s = parseSource(
      'rpicam:?width=640&height=480&shutter=10000&iso=400&awb=daylight&roi=0.25,0.25,0.5,0.5&sync=server',
    );
    const a = s.feeder!.args;
    assert.equal(after(a, '--shutter'), '10000');
    assert.equal(after(a, '--gain'), '4', 'ISO 400 is an analogue gain of 4');
    assert.equal(after(a, '--awb'), 'daylight');
    assert.equal(after(a, '--roi'), '0.25,0.25,0.5,0.5');
    assert.equal(after(a, '--sync'), 'server');
    assert.deepEqual(a.slice(-2), ['-o', '-'], 'the output stays last');
    assert.throws(
      () => parseSource('rpicam:?brightness=3&awb=purple&roi=0,0,2,1&bogus=1&gain=2&iso=200'),
      (e: unknown) =>
        isOutpostError(e) &&
        e.code === 'RECORDER_SOURCE' &&
        ['brightness', 'awb', 'roi', 'bogus', 'gain and iso'].every((k) => e.message.includes(k)),
    );
  });
  it('refuses what it does not know, with a typed error', () => {
    for (const bad of ['', 'camera1', 'v4l2:video0', 'testsrc:?size=big', 'rpicam:?codec=raw'])
      assert.throws(
        () => parseSource(bad),
        (e: unknown) => isOutpostError(e) && e.code === 'RECORDER_SOURCE',
        bad,
      );
  });
});

describe('captureArgs', () => {
  it('re-encodes with keyframes on the segment grid, csv list, reset timestamps', () => {
    const a = captureArgs({ source: parseSource('testsrc:'), copy: false, segments: seg });
    assert.equal(after(a, '-c:v'), 'libx264');
    assert.equal(after(a, '-force_key_frames'), keyframeExpr(10));
    assert.equal(keyframeExpr(10), 'expr:gte(t,n_forced*10)');
    assert.equal(after(a, '-f', a.indexOf('-force_key_frames')), 'segment');
    assert.equal(after(a, '-segment_time'), '10');
    assert.equal(after(a, '-reset_timestamps'), '1');
    assert.equal(after(a, '-segment_list'), seg.listFile);
    assert.equal(after(a, '-segment_list_type'), 'csv');
    assert.equal(after(a, '-segment_format'), 'mp4');
    assert.equal(a.at(-1), '/d/rec/gate/r1/%06d.mp4');
    assert.equal(after(a, '-progress'), 'pipe:1');
    assert.ok(a.includes('-nostdin'));
    assert.ok(!a.some((x) => x.startsWith('pipe:3') || x.startsWith('pipe:4')));
  });
  it('stream-copies H.264 without keyframe forcing', () => {
    const a = captureArgs({ source: parseSource('v4l2:/dev/video0?format=h264'), copy: true, segments: seg });
    assert.equal(after(a, '-c:v'), 'copy');
    assert.ok(!a.includes('-force_key_frames'));
    assert.equal(shouldCopy('h264', 'auto'), true);
    assert.equal(shouldCopy('mjpeg', 'auto'), false);
    assert.equal(shouldCopy('h264', 'never'), false);
  });
  it('motion ring: 1 s MPEG-TS; grey frames on fd 3 and MJPEG on fd 4 when asked', () => {
    const a = captureArgs({
      source: parseSource('rpicam:'),
      copy: true,
      segments: {
        kind: 'ring',
        dir: '/dev/shm/o/gate/ring/r1',
        listFile: '/dev/shm/o/gate/ring/r1/list.csv',
        seconds: 1,
      },
      grey: { fps: 5, width: 214, height: 120 },
      mjpeg: { fps: 5, width: 640, timestamp: true, quality: 7, fontFile: '/f/Mono.ttf' },
    });
    assert.equal(after(a, '-segment_format'), 'mpegts');
    assert.ok(a.includes('/dev/shm/o/gate/ring/r1/%06d.ts'));
    const b = a.indexOf('pipe:3');
    const c = a.indexOf('pipe:4');
    assert.ok(b > 0 && c > b);
    assert.equal(a[a.lastIndexOf('-f', b) + 1], 'rawvideo');
    assert.equal(a[b - 1], 'gray');
    // The exact size the reader splits frames by (never -2).
    assert.equal(a[a.lastIndexOf('-vf', b) + 1], 'fps=5,scale=214:120:flags=area,format=gray');
    assert.equal(a[c - 1], 'mjpeg');
    // One source of the live filter string (src/recorder/live/overlay.ts).
    assert.equal(
      a[a.lastIndexOf('-vf', c) + 1],
      liveFilter({ fps: 5, width: 640, timestamp: true, fontFile: '/f/Mono.ttf' }),
    );
    assert.ok(a[a.lastIndexOf('-vf', c) + 1]!.includes('Mono.ttf'));
    assert.ok(!a.includes('-nostdin'), 'the feeder writes to stdin');
  });
});

describe('sound from a microphone', () => {
  it('is a second input, AAC in the segments only, gated with the picture', () => {
    const mic = parseAudioSource('alsa:plughw:1,0');
    assert.deepEqual(mic.slice(-2), ['-i', 'plughw:1,0']);
    assert.equal(mic[mic.indexOf('-f') + 1], 'alsa');
    const a = captureArgs({
      source: parseSource('rpicam:?width=640&height=480&fps=10'),
      audioInput: mic,
      copy: true,
      segments: { kind: 'continuous', dir: '/d', listFile: '/d/l.csv', seconds: 10 },
      transform: { startAtMs: 1_700_000_000_000 },
      mjpeg: { fps: 5, width: 320, timestamp: false, quality: 7 },
    });
    // Two inputs: the camera's pipe, then the microphone.
    assert.deepEqual(
      a.flatMap((x, i) => (x === '-i' ? [a[i + 1]] : [])),
      ['pipe:0', 'plughw:1,0'],
    );
    const seg = a.indexOf('segment');
    const segArgs = a.slice(0, seg);
    assert.ok(segArgs.includes('1:a:0') && segArgs.includes('aac'), 'the segments carry the sound');
    assert.match(segArgs[segArgs.indexOf('-af') + 1]!, /^aselect='gte\(time\(0\),1700000000\.000\)'/);
    assert.ok(a.slice(seg).includes('-an'), 'the live view has no sound');
    for (const bad of ['alsa:', 'alsa:hw 1', 'pulse:default', 'alsa:$(reboot)'])
      assert.throws(
        () => parseAudioSource(bad),
        (e) => isOutpostError(e) && e.code === 'RECORDER_SOURCE',
        bad,
      );
  });
});

describe('the RTSP stream output', () => {
  it('comes last, copies an H.264 source even behind a start gate, and cannot end the recording', () => {
    const a = captureArgs({
      source: parseSource('rpicam:?width=640&height=480&fps=10'),
      copy: false,
      segments: { kind: 'continuous', dir: '/d', listFile: '/d/l.csv', seconds: 10 },
      transform: { startAtMs: 1_700_000_000_000 },
      mjpeg: { fps: 5, width: 320, timestamp: false, quality: 7 },
      rtsp: { url: 'rtsp://127.0.0.1:8554/cam?token=abc', copy: true },
    });
    const tee = a.lastIndexOf('tee');
    assert.equal(a[tee - 1], '-f');
    assert.match(
      a[tee + 1]!,
      /^\[f=rtsp:rtsp_transport=tcp:onfail=ignore\]rtsp:\/\/127\.0\.0\.1:8554\/cam\?token=abc\|/,
    );
    assert.equal(tee, a.length - 2, 'the last output: fd 3 and 4 keep their outputs');
    const own = a.slice(a.lastIndexOf('-map'));
    assert.deepEqual(own.slice(own.indexOf('-c:v'), own.indexOf('-c:v') + 2), ['-c:v', 'copy']);
    assert.ok(!own.includes('-vf'), 'the live stream is not held back by the gate');
  });
});

describe('ProgressParser', () => {
  it('reports complete blocks across chunk boundaries', () => {
    const p = new ProgressParser();
    assert.deepEqual(p.push('frame=10\nout_time_us=400000\nspe'), []);
    const r = p.push('ed=1.01x\nprogress=continue\nframe=20\ndrop_frames=3\nout_time_us=N/A\nprogress=end\n');
    assert.deepEqual(r, [
      { frame: 10, outTimeMs: 400, dropFrames: 0, speed: 1.01, end: false },
      { frame: 20, outTimeMs: 0, dropFrames: 3, end: true },
    ]);
  });
});

describe('parseSegmentList', () => {
  it('closed segments with ffmpeg start/end; keeps a half-written line for later', () => {
    const r = parseSegmentList(
      '000000.mp4,0.000000,10.000000\n"a,b.mp4",10.000000,20.040000\n000002.mp4,20.04',
      '/r',
      5,
    );
    assert.deepEqual(r.segments, [
      { index: 5, path: '/r/000000.mp4', startS: 0, endS: 10 },
      { index: 6, path: '/r/a,b.mp4', startS: 10, endS: 20.04 },
    ]);
    assert.equal(r.rest, '000002.mp4,20.04');
  });
});

describe('backoffDelay', () => {
  it('doubles up to the cap, with bounded jitter', () => {
    const mid = (): number => 0.5;
    assert.equal(backoffDelay(0, DEFAULT_BACKOFF, mid), 1000);
    assert.equal(backoffDelay(3, DEFAULT_BACKOFF, mid), 8000);
    assert.equal(backoffDelay(20, DEFAULT_BACKOFF, mid), 60_000);
    assert.equal(
      backoffDelay(0, DEFAULT_BACKOFF, () => 0),
      800,
    );
    assert.equal(
      backoffDelay(0, DEFAULT_BACKOFF, () => 1),
      1200,
    );
  });
});
