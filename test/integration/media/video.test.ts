import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import type { MediaType } from '../../../src/core/media-types.js';
import type { DeriveResult, ProbeResult } from '../../../src/media/types.js';
import { decodedSize, isJpegFile, isWebpFile } from './helpers.js';

const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });
/** UTC+3 all year: 08:20:30Z is 11:20:30 on the station's clock. */
const ZONE = 'Africa/Nairobi';
const TESTSRC = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25'];
const SINE = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'];

async function ffmpeg(args: string[]): Promise<void> {
  const r = await nodeProcessRunner.run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], {
    timeoutMs: 60_000,
  });
  if (r.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

interface Clip {
  probe: ProbeResult;
  derive: DeriveResult;
  poster: string;
  thumb: string;
  preview: string;
}

describe('media analyzer on video and audio', () => {
  let dir: string;
  const clips = new Map<string, Clip>();

  async function analyse(name: string, type: MediaType): Promise<Clip> {
    const file = join(dir, name);
    const c = {
      poster: `${file}.poster.jpg`,
      thumb: `${file}.thumb.webp`,
      preview: `${file}.preview.jpg`,
    };
    const probe = await analyzer.probe(file, type, { timeZone: ZONE });
    const derive = await analyzer.derive(
      file,
      type,
      { posterPath: c.poster, thumbPath: c.thumb, previewPath: c.preview },
      { thumbSize: 160, previewSize: 1600 },
    );
    const clip = { ...c, probe, derive };
    clips.set(name, clip);
    return clip;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-media-video-'));
    await ffmpeg([
      ...TESTSRC,
      ...SINE,
      '-t',
      '2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-metadata',
      'creation_time=2024-05-01T08:20:30Z',
      join(dir, 'clip.mp4'),
    ]);
    // The AVI muxer has no creation_time; camera AVIs carry a RIFF date (ICRD), naive local time.
    await ffmpeg([
      ...TESTSRC,
      '-t',
      '2',
      '-c:v',
      'mjpeg',
      '-q:v',
      '3',
      '-metadata',
      'creation_time=2024-05-01T08:20:30Z',
      '-metadata',
      'date=2024-05-01 10:20:30',
      join(dir, 'clip.avi'),
    ]);
    await ffmpeg([
      ...TESTSRC,
      '-t',
      '2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      'use_metadata_tags',
      '-metadata',
      'com.apple.quicktime.creationdate=2024-05-01T10:20:30+0200',
      '-metadata',
      'creation_time=2024-05-01T08:20:30Z',
      join(dir, 'iphone.mov'),
    ]);
    await ffmpeg([...SINE, '-t', '2', join(dir, 'tone.wav')]);
    await ffmpeg([...SINE, '-t', '2', '-c:a', 'libmp3lame', join(dir, 'tone.mp3')]);
    await ffmpeg([...SINE, '-t', '2', '-c:a', 'aac', join(dir, 'sound-only.mp4')]);
    await writeFile(join(dir, 'zero.mp4'), Buffer.alloc(0));
    await writeFile(
      join(dir, 'random.mp4'),
      Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)),
    );

    await analyse('clip.mp4', 'video');
    await analyse('clip.avi', 'video');
    await analyse('iphone.mov', 'video');
    await analyse('tone.wav', 'audio');
    await analyse('tone.mp3', 'audio');
    await analyse('sound-only.mp4', 'video');
    await analyse('zero.mp4', 'video');
    await analyse('random.mp4', 'video');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const clip = (name: string): Clip => {
    const c = clips.get(name);
    assert.ok(c, name);
    return c;
  };

  it('probes an H.264 MP4: duration, size, codecs, UTC creation time on the station clock', () => {
    const { facts, warnings } = clip('clip.mp4').probe;
    assert.deepEqual(warnings, []);
    assert.ok(Math.abs((facts.durationS ?? 0) - 2) <= 0.1, `duration ${facts.durationS}`);
    assert.equal(facts.width, 320);
    assert.equal(facts.height, 240);
    assert.deepEqual(facts.codecs, { container: 'mov,mp4,m4a,3gp,3g2,mj2', video: 'h264', audio: 'aac' });
    assert.deepEqual(facts.capturedAt, { local: '2024-05-01T11:20:30', source: 'video' });
    assert.equal(facts.extra?.fps, 25);
    assert.equal(facts.extra?.sampleRate, 44100);
  });

  it('probes an MJPEG AVI', () => {
    const { facts, warnings } = clip('clip.avi').probe;
    assert.deepEqual(warnings, []);
    assert.ok(Math.abs((facts.durationS ?? 0) - 2) <= 0.1, `duration ${facts.durationS}`);
    assert.deepEqual(facts.codecs, { container: 'avi', video: 'mjpeg' });
    assert.deepEqual(facts.capturedAt, { local: '2024-05-01T10:20:30', source: 'video' });
  });

  it("keeps an iPhone clip's own offset", () => {
    assert.deepEqual(clip('iphone.mov').probe.facts.capturedAt, {
      local: '2024-05-01T10:20:30',
      offset: '+02:00',
      source: 'video',
    });
  });

  for (const name of ['clip.mp4', 'clip.avi', 'iphone.mov']) {
    it(`makes a decodable full-size poster, a WebP thumb and a JPEG preview for ${name}`, async () => {
      const c = clip(name);
      assert.deepEqual(c.derive.warnings, []);
      assert.equal(c.derive.poster, true);
      assert.equal(c.derive.thumb, true);
      assert.equal(c.derive.preview, true);
      assert.match(c.derive.phash ?? '', /^[0-9a-f]{16}$/);
      assert.ok(await isJpegFile(c.poster));
      assert.ok(await isJpegFile(c.preview));
      assert.ok(await isWebpFile(c.thumb));
      assert.deepEqual(await decodedSize(c.poster), { width: 320, height: 240 });
      assert.deepEqual(await decodedSize(c.preview), { width: 320, height: 240 });
      assert.deepEqual(await decodedSize(c.thumb), { width: 160, height: 120 });
    });
  }

  it('probes audio and makes no derivatives for it, without a warning', async () => {
    for (const [name, codec, container] of [
      ['tone.wav', 'pcm_s16le', 'wav'],
      ['tone.mp3', 'mp3', 'mp3'],
    ] as const) {
      const c = clip(name);
      assert.deepEqual(c.probe.warnings, []);
      assert.ok(
        Math.abs((c.probe.facts.durationS ?? 0) - 2) <= 0.1,
        `${name} duration ${c.probe.facts.durationS}`,
      );
      assert.deepEqual(c.probe.facts.codecs, { container, audio: codec });
      assert.equal(c.probe.facts.extra?.sampleRate, 44100);
      assert.deepEqual(c.derive, { thumb: false, preview: false, poster: false, warnings: [] });
      await assert.rejects(stat(c.poster));
    }
  });

  it('warns when a "video" has no picture', () => {
    const c = clip('sound-only.mp4');
    assert.deepEqual(c.probe.warnings, []);
    assert.equal(c.derive.poster, false);
    assert.deepEqual(
      c.derive.warnings.map((w) => w.code),
      ['NO_DERIVATIVES'],
    );
  });

  it('warns (no throw) for an empty or random-bytes .mp4, and writes nothing', async () => {
    for (const name of ['zero.mp4', 'random.mp4']) {
      const c = clip(name);
      assert.deepEqual(
        c.probe.warnings.map((w) => w.code),
        ['DECODE_FAILED'],
        name,
      );
      assert.match(
        c.probe.warnings[0]?.message ?? '',
        /moov atom not found|Invalid data|starts like no audio or video container/,
      );
      assert.deepEqual(c.probe.facts, {});
      assert.equal(c.derive.poster, false);
      assert.equal(c.derive.thumb, false);
      assert.deepEqual(
        c.derive.warnings.map((w) => w.code),
        ['NO_DERIVATIVES'],
      );
      await assert.rejects(stat(c.poster));
    }
  });
});
