/**
 * The in-process MP4/MOV reader against ffprobe as the oracle: for every kind of file a camera or
 * phone writes (moov first or last, H.264/HEVC/MPEG-4/MJPEG, AAC/MP3/PCM, rotation, GPS, Apple's
 * keys, 64-bit boxes), both must yield the same MediaFacts; what the reader cannot be sure of
 * (fragmented MP4, MP3 audio) goes to ffprobe.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import type { ProcessRunner } from '../../../src/adapters/process-runner.js';
import { ffprobeAv, probeAv } from '../../../src/media/ffprobe.js';
import { readIsoBmff } from '../../../src/media/isobmff.js';
import type { MediaFacts } from '../../../src/media/types.js';

const ZONE = 'America/Lima';
const TESTSRC = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25'];
const SINE = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];

async function ffmpeg(args: string[]): Promise<void> {
  const r = await nodeProcessRunner.run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], {
    timeoutMs: 60_000,
  });
  if (r.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/** A runner that counts the processes it starts. */
function counting(): ProcessRunner & { runs: string[] } {
  const runs: string[] = [];
  return {
    runs,
    run(cmd, args, opts) {
      runs.push(cmd);
      return nodeProcessRunner.run(cmd, args, opts);
    },
  } as ProcessRunner & { runs: string[] };
}

/** Facts equal but for rounding: bit rate within 1 %, frame rate within 0.01, duration 0.05 s. */
function assertSameFacts(got: MediaFacts, want: MediaFacts, name: string): void {
  const strip = (f: MediaFacts): MediaFacts => {
    const { extra, durationS: _d, ...rest } = f;
    const e = { ...extra };
    delete e.bitrate;
    delete e.fps;
    return { ...rest, ...(Object.keys(e).length ? { extra: e } : {}) };
  };
  assert.deepEqual(strip(got), strip(want), `${name}: facts differ from ffprobe's`);
  const near = (a: unknown, b: unknown, tol: number, what: string): void => {
    assert.equal(typeof a, typeof b, `${name}: ${what} present in one only`);
    if (typeof a === 'number' && typeof b === 'number')
      assert.ok(Math.abs(a - b) <= tol, `${name}: ${what} ${a} vs ffprobe ${b}`);
  };
  near(got.durationS, want.durationS, 0.05, 'duration');
  near(got.extra?.fps, want.extra?.fps, 0.01, 'fps');
  const gb = got.extra?.bitrate;
  const wb = want.extra?.bitrate;
  if (typeof gb === 'number' && typeof wb === 'number')
    assert.ok(Math.abs(gb - wb) <= wb * 0.01, `${name}: bitrate ${gb} vs ffprobe ${wb}`);
}

/** Write a clockwise rotation into the first tkhd's matrix (version 0: it sits 40 bytes into the body). */
async function rotate(path: string, cw: number): Promise<void> {
  const buf = await readFile(path);
  const at = buf.indexOf('tkhd', 0, 'latin1');
  assert.ok(at > 0 && buf[at + 4] === 0, 'a version-0 tkhd');
  const m = at + 4 + 4 + 20 + 16;
  const rad = (cw * Math.PI) / 180;
  const fixed = (v: number): number => Math.round(v) * 65536;
  buf.writeInt32BE(fixed(Math.cos(rad)), m);
  buf.writeInt32BE(fixed(Math.sin(rad)), m + 4);
  buf.writeInt32BE(fixed(-Math.sin(rad)), m + 12);
  buf.writeInt32BE(fixed(Math.cos(rad)), m + 16);
  await writeFile(path, buf);
}

describe('MP4/MOV read in-process, checked against ffprobe', () => {
  let dir: string;
  const files: Record<string, string[]> = {
    'h264-aac-moov-last.mp4': [
      ...TESTSRC,
      ...SINE,
      ...['-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest'],
      ...['-metadata', 'creation_time=2026-11-21T14:02:03Z'],
    ],
    'h264-faststart-rotated-gps.mp4': [
      ...TESTSRC,
      ...['-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart'],
      ...['-metadata', 'location=-12.0464-077.0428/'],
      ...['-metadata', 'creation_time=2026-03-01T23:30:00Z'],
    ],
    'rot180.mov': [...TESTSRC, ...['-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast']],
    'rot270.mp4': [...TESTSRC, ...['-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast']],
    'mjpeg-pcm.mov': [
      ...TESTSRC,
      ...SINE,
      ...['-t', '1', '-c:v', 'mjpeg', '-c:a', 'pcm_s16le', '-shortest', '-f', 'mov'],
      ...['-metadata', 'make=Bushnell', '-metadata', 'model=Core DS'],
    ],
    'mpeg4-mp3.mp4': [
      ...TESTSRC,
      ...SINE,
      ...['-t', '1', '-c:v', 'mpeg4', '-c:a', 'libmp3lame', '-shortest'],
    ],
    'hevc.mp4': [
      ...TESTSRC,
      ...['-t', '1', '-c:v', 'libx265', '-x265-params', 'log-level=none', '-tag:v', 'hvc1'],
    ],
    'apple-keys.mov': [
      ...TESTSRC,
      ...['-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', 'use_metadata_tags'],
      ...['-metadata', 'com.apple.quicktime.creationdate=2024-05-01T10:20:30+0200'],
      ...['-metadata', 'com.apple.quicktime.make=Apple', '-metadata', 'com.apple.quicktime.model=iPhone 12'],
      ...['-metadata', 'com.apple.quicktime.location.ISO6709=+48.8577+002.2950+035.000/'],
    ],
    'audio-only.m4a': [...SINE, ...['-t', '1', '-c:a', 'aac']],
    'fragmented.mp4': [
      ...TESTSRC,
      ...['-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10'],
      ...['-movflags', 'frag_keyframe+empty_moov'],
    ],
  };

  /** Clockwise display rotations, set in the video track's matrix as a phone does (ffmpeg 5's muxer ignores `rotate`). */
  const rotations: Record<string, number> = {
    'h264-faststart-rotated-gps.mp4': 90,
    'rot180.mov': 180,
    'rot270.mp4': 270,
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-isobmff-'));
    for (const [name, args] of Object.entries(files)) {
      await ffmpeg([...args, join(dir, name)]);
      if (rotations[name] !== undefined) await rotate(join(dir, name), rotations[name]);
    }
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const name of Object.keys(files)) {
    it(`${name}: the same facts as ffprobe`, async () => {
      const path = join(dir, name);
      const runner = counting();
      const quick = await probeAv(runner, path, ZONE);
      const oracle = await ffprobeAv(nodeProcessRunner, path, ZONE);
      assert.deepEqual(quick.warnings, oracle.warnings);
      assert.equal(quick.hasVideo, oracle.hasVideo);
      assertSameFacts(quick.facts, oracle.facts, name);
      // Fragments carry their durations outside the moov; MP3's channels are in its frames.
      if (/^(fragmented|mpeg4-mp3)/.test(name)) assert.deepEqual(runner.runs, ['ffprobe'], 'ffprobe decides');
      else assert.deepEqual(runner.runs, [], `${name}: read without starting a process`);
    });
  }

  it('reads what the cases are about (not merely "both empty")', async () => {
    const f = async (n: string): Promise<MediaFacts> => (await probeAv(counting(), join(dir, n), ZONE)).facts;
    const a = await f('h264-aac-moov-last.mp4');
    assert.deepEqual(a.codecs, { container: 'mov,mp4,m4a,3gp,3g2,mj2', video: 'h264', audio: 'aac' });
    assert.deepEqual(a.capturedAt, { local: '2026-11-21T09:02:03', source: 'video' });
    assert.equal(a.width, 320);
    const r = await f('h264-faststart-rotated-gps.mp4');
    assert.equal(r.orientation, 6);
    assert.deepEqual(r.gps, { lat: -12.0464, lon: -77.0428 });
    assert.equal((await f('rot180.mov')).orientation, 3);
    assert.equal((await f('rot270.mp4')).orientation, 8);
    const apple = await f('apple-keys.mov');
    assert.deepEqual(apple.capturedAt, { local: '2024-05-01T10:20:30', offset: '+02:00', source: 'video' });
    assert.equal(apple.model, 'iPhone 12');
    assert.equal((await f('mjpeg-pcm.mov')).make, 'Bushnell');
    assert.equal((await f('hevc.mp4')).codecs?.video, 'hevc');
  });

  it('a 64-bit (largesize) mdat before the moov is walked over', async () => {
    const src = join(dir, 'h264-aac-moov-last.mp4');
    const whole = await open(src, 'r');
    const size = (await stat(src)).size;
    const buf = Buffer.alloc(size);
    await whole.read(buf, 0, size, 0);
    await whole.close();
    // Rewrite every top-level 32-bit mdat header as a 64-bit one (8 more bytes; chunk offsets in
    // the moov then point 8 bytes early, which facts do not depend on).
    const parts: Buffer[] = [];
    for (let o = 0; o < size;) {
      const n = buf.readUInt32BE(o);
      const type = buf.toString('latin1', o + 4, o + 8);
      if (type === 'mdat') {
        const h = Buffer.alloc(16);
        h.writeUInt32BE(1, 0);
        h.write('mdat', 4, 'latin1');
        h.writeBigUInt64BE(BigInt(n + 8), 8);
        parts.push(h, buf.subarray(o + 8, o + n));
      } else parts.push(buf.subarray(o, o + n));
      o += n;
    }
    const big = join(dir, 'largesize.mp4');
    await writeFile(big, Buffer.concat(parts));
    const fh = await open(big, 'r');
    try {
      const out = await readIsoBmff(fh, (await stat(big)).size);
      assert.equal(out?.streams?.length, 2);
      assert.equal(out?.format?.tags?.creation_time, '2026-11-21T14:02:03.000000Z');
    } finally {
      await fh.close();
    }
  });

  it('a truncated MP4 (moov cut off) is left to ffprobe, which says what is wrong', async () => {
    const src = join(dir, 'h264-aac-moov-last.mp4');
    const size = (await stat(src)).size;
    const fh = await open(src, 'r');
    const cut = Buffer.alloc(size - 200);
    await fh.read(cut, 0, cut.length, 0);
    await fh.close();
    const path = join(dir, 'truncated.mp4');
    await writeFile(path, cut);
    const runner = counting();
    const p = await probeAv(runner, path, ZONE);
    assert.deepEqual(runner.runs, ['ffprobe']);
    assert.equal(p.warnings[0]?.code, 'DECODE_FAILED');
  });

  it('random bytes under a video name: refused without starting ffprobe, and ffprobe agrees', async () => {
    const path = join(dir, 'MVI_0001.MP4');
    await writeFile(path, randomBytes(1 << 20));
    const runner = counting();
    const p = await probeAv(runner, path, ZONE);
    assert.deepEqual(runner.runs, []);
    assert.equal(p.hasVideo, false);
    assert.equal(p.warnings[0]?.code, 'DECODE_FAILED');
    assert.match(p.warnings[0]!.message, /starts like no audio or video container/);
    const oracle = await ffprobeAv(nodeProcessRunner, path, ZONE);
    assert.equal(oracle.warnings[0]?.code, 'DECODE_FAILED', 'ffprobe reads nothing there either');
  });
});
