import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { makeVideoPreview, VIDEO_PREVIEW_MAX_SIDE } from '../../../src/media/video-preview.js';
import { CANNOT_MOUNT_MESSAGE, canMount, mountTmpfs } from '../../kit/mounts.js';

const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });

async function ffmpeg(args: string[]): Promise<void> {
  const r = await nodeProcessRunner.run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

interface Probed {
  format: { duration: string; bit_rate: string; format_name: string };
  streams: {
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    channels?: number;
    profile?: string;
  }[];
}

/** ffprobe as the oracle for what the rendition holds. */
async function ffprobe(file: string): Promise<Probed> {
  const r = await nodeProcessRunner.run(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString('utf8')) as Probed;
}

/** Top-level MP4 box types in file order. */
async function topBoxes(file: string): Promise<string[]> {
  const b = await readFile(file);
  const out: string[] = [];
  for (let o = 0; o + 8 <= b.length;) {
    let size = b.readUInt32BE(o);
    const type = b.toString('latin1', o + 4, o + 8);
    if (size === 1) size = Number(b.readBigUInt64BE(o + 8));
    if (size < 8) break;
    out.push(type);
    o += size;
  }
  return out;
}

describe('video streaming copy (real ffmpeg)', () => {
  let dir: string;
  const results = new Map<string, { d: { video: boolean; warnings: unknown[] }; video: string }>();

  async function derive(
    name: string,
  ): Promise<{ d: { video: boolean; warnings: unknown[] }; video: string }> {
    const file = join(dir, name);
    const video = `${file}.video.mp4`;
    const d = await analyzer.videoCopy(file, video, {});
    const r = { d, video };
    results.set(name, r);
    return r;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-video-preview-'));
    // A phone-like clip: 1280×720 of noise (hard to compress) at ~8 Mbit/s with stereo sound.
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=30,noise=alls=40:allf=t',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      '6',
      '-ac',
      '2',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-b:v',
      '8M',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      join(dir, 'phone.mp4'),
    ]);
    // Portrait (a phone held upright): 720×1280 stays upright and fits 640 on its long side.
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=720x1280:rate=25',
      '-t',
      '3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-b:v',
      '4M',
      '-pix_fmt',
      'yuv420p',
      join(dir, 'portrait.mp4'),
    ]);
    // A trail camera's AVI (MJPEG): small, but no browser plays it.
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=15',
      '-t',
      '3',
      '-c:v',
      'mjpeg',
      '-q:v',
      '8',
      join(dir, 'trail.avi'),
    ]);
    // Already small and playable: streamed as it is.
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=15',
      '-t',
      '3',
      '-c:v',
      'libx264',
      '-b:v',
      '200k',
      '-pix_fmt',
      'yuv420p',
      join(dir, 'small.mp4'),
    ]);
    for (const n of ['phone.mp4', 'portrait.mp4', 'trail.avi', 'small.mp4']) await derive(n);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const res = (n: string): { d: { video: boolean; warnings: unknown[] }; video: string } => {
    const r = results.get(n);
    assert.ok(r, n);
    return r;
  };

  it('makes a small H.264 copy of a large clip that streams over 1 Mbit/s', async () => {
    const { d, video } = res('phone.mp4');
    assert.deepEqual(d.warnings, []);
    assert.equal(d.video, true);
    const p = await ffprobe(video);
    const v = p.streams.find((s) => s.codec_type === 'video');
    const a = p.streams.find((s) => s.codec_type === 'audio');
    assert.equal(v?.codec_name, 'h264');
    assert.equal(v?.profile, 'Main');
    assert.deepEqual([v?.width, v?.height], [640, 360]);
    assert.equal(a?.codec_name, 'aac');
    assert.equal(a?.channels, 1);
    assert.ok(Math.abs(Number(p.format.duration) - 6) < 0.3, `duration ${p.format.duration}`);
    assert.ok(Number(p.format.bit_rate) < 1_000_000, `bit rate ${p.format.bit_rate}`);
    const original = (await stat(join(dir, 'phone.mp4'))).size;
    assert.ok((await stat(video)).size < original / 5, 'at least five times smaller');
    // faststart: the index comes before the media data, so playback starts with the first bytes.
    const boxes = await topBoxes(video);
    assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat'), boxes.join(','));
  });

  it('keeps a portrait clip upright within the size limit', async () => {
    const { d, video } = res('portrait.mp4');
    assert.equal(d.video, true);
    const v = (await ffprobe(video)).streams.find((s) => s.codec_type === 'video');
    assert.deepEqual([v?.width, v?.height], [360, VIDEO_PREVIEW_MAX_SIDE]);
  });

  it("makes a trail camera's MJPEG AVI playable in a browser", async () => {
    const { d, video } = res('trail.avi');
    assert.equal(d.video, true);
    const p = await ffprobe(video);
    assert.match(p.format.format_name, /mp4/);
    assert.equal(p.streams.find((s) => s.codec_type === 'video')?.codec_name, 'h264');
    assert.equal(p.streams.filter((s) => s.codec_type === 'audio').length, 0);
  });

  it('streams a small H.264 MP4 as it is (no copy made)', async () => {
    const { d, video } = res('small.mp4');
    assert.equal(d.video, false);
    assert.deepEqual(d.warnings, []);
    await assert.rejects(stat(video), { code: 'ENOENT' });
  });

  it('reports a file ffmpeg cannot encode, leaving nothing behind', async () => {
    const bad = join(dir, 'bad.bin');
    await writeFile(bad, Buffer.alloc(4096, 7));
    const out = join(dir, 'bad-out', 'v.mp4');
    const r = await makeVideoPreview(nodeProcessRunner, bad, out, { hasAudio: false, durationS: 1 });
    assert.equal(r.made, false);
    assert.ok(r.error && r.error.length > 0);
    assert.deepEqual(await readdir(join(dir, 'bad-out')), []);
  });

  it('stops when cancelled, leaving neither the copy nor a temporary file', async () => {
    const out = join(dir, 'cancel', 'v.mp4');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    await assert.rejects(
      makeVideoPreview(nodeProcessRunner, join(dir, 'phone.mp4'), out, {
        hasAudio: true,
        durationS: 6,
        signal: ac.signal,
      }),
    );
    assert.deepEqual(await readdir(join(dir, 'cancel')), []);
  });

  it('on a full drive fails as the drive (ENOSPC), not as the file, and leaves no partial file', async (t) => {
    if (!(await canMount())) return t.skip(CANNOT_MOUNT_MESSAGE);
    const mp = join(dir, 'full');
    const m = await mountTmpfs(mp, 64 * 1024);
    try {
      await assert.rejects(
        makeVideoPreview(nodeProcessRunner, join(dir, 'phone.mp4'), join(mp, 'v.mp4'), {
          hasAudio: true,
          durationS: 6,
        }),
        { code: 'ENOSPC' },
      );
      assert.deepEqual(await readdir(mp), []);
    } finally {
      await m.unmount();
    }
  });
});
