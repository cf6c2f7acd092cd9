/**
 * Smart cut with real ffmpeg (src/video/join.ts): H.264 clips with a 2 s GOP and B-frames, with
 * one keyframe per 10 s, and a variable-frame-rate clip (the fallback). Copied frames must decode
 * to the source's frames (framemd5), the frame count must be exact, the sound as long as the
 * picture within an AAC frame, and no more than one GOP re-encoded at each cut.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { joinPieces } from '../../../src/video/join.js';

let work: string;
const FPS = 25;

async function ff(args: string[]): Promise<string> {
  const r = await nodeProcessRunner.run('ffmpeg', ['-nostdin', '-hide_banner', '-y', ...args], {
    timeoutMs: 300_000,
  });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.toString('utf8') + r.stderr;
}

async function md5s(file: string): Promise<string[]> {
  return (await ff(['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-']))
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)!.trim());
}

async function clip(name: string, gop: number, extra: string[] = []): Promise<string> {
  const out = join(work, name);
  await ff([
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=640x360:rate=${FPS}`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    '40',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-g',
    String(gop),
    '-keyint_min',
    String(gop),
    '-sc_threshold',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    ...extra,
    out,
  ]);
  return out;
}

async function lengths(file: string): Promise<{ frames: number; v: number; a: number }> {
  const r = await nodeProcessRunner.run('ffprobe', [
    '-v',
    'error',
    '-count_packets',
    '-show_entries',
    'stream=codec_type,nb_read_packets,duration',
    '-of',
    'json',
    file,
  ]);
  const s = (
    JSON.parse(r.stdout.toString('utf8')) as {
      streams: { codec_type: string; nb_read_packets: string; duration: string }[];
    }
  ).streams;
  const v = s.find((x) => x.codec_type === 'video')!;
  const a = s.find((x) => x.codec_type === 'audio')!;
  return { frames: Number(v.nb_read_packets), v: Number(v.duration), a: Number(a.duration) };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-smartcut-'));
});
after(async () => rm(work, { recursive: true, force: true }));

describe('smart cut', { timeout: 300_000 }, () => {
  for (const [label, gop] of [
    ['2 s GOP with B-frames', 2 * FPS],
    ['long GOP (a keyframe per 10 s)', 10 * FPS],
  ] as const)
    it(`${label}: copied frames bit-identical, exact frame count, ≤ one GOP re-encoded per cut`, async () => {
      const src = await clip(`src-${gop}.mp4`, gop);
      const out = join(work, `cut-${gop}.mp4`);
      // Cut at non-keyframe points: 3.24 s → 31.56 s (from 16.24 s in: the coarse sound seek).
      for (const [inS, outS] of [
        [3.24, 31.56],
        [16.24, 37.0],
      ] as const) {
        const r = await joinPieces(
          { pieces: [{ path: src, inS, outS, videoS: 40, audioS: 40 }], mode: 'smart', out },
          { runner: nodeProcessRunner, tmpDir: work, lowPriority: true },
        );
        const want = Math.round((outS - inS) * FPS);
        const got = await lengths(out);
        assert.equal(got.frames, want, `${inS}–${outS}: frames`);
        assert.equal(r.frames, want);
        assert.ok(Math.abs(got.a - got.v) <= 0.0214, `${inS}–${outS}: A ${got.a} V ${got.v}`);
        assert.equal(r.gopFrames, gop);
        for (const n of r.reencodedPerCut)
          assert.ok(n > 0 && n <= gop, `${n} frames re-encoded (GOP ${gop})`);
        // Every frame after the first re-encoded stretch and before the last is the source's.
        const a = await md5s(out);
        const b = await md5s(src);
        const head = r.reencodedPerCut[0]!;
        const tail = r.reencodedPerCut[1] ?? 0;
        const first = Math.round(inS * FPS);
        assert.deepEqual(a.slice(head, a.length - tail), b.slice(first + head, first + a.length - tail));
        // The re-encoded frames are near the source's (same picture), not copies: they differ.
        assert.notDeepEqual(a.slice(0, head), b.slice(first, first + head));
        assert.equal((await ff(['-v', 'error', '-i', out, '-f', 'null', '-'])).trim(), '');
      }
      assert.deepEqual(
        (await readdir(work)).filter((f) => f.startsWith('video-')),
        [],
        'scratch removed',
      );
    });

  it('keyframe mode is lossless and widens to the keyframes', async () => {
    const src = await clip('src-k.mp4', 2 * FPS);
    const out = join(work, 'cut-k.mp4');
    const r = await joinPieces(
      { pieces: [{ path: src, inS: 3.24, outS: 9.5, videoS: 40, audioS: 40 }], mode: 'keyframe', out },
      { runner: nodeProcessRunner, tmpDir: work, lowPriority: true },
    );
    assert.equal(r.mode, 'keyframe');
    assert.equal(r.frames, 8 * FPS);
    assert.ok(Math.abs(r.widened.start - 1.24) < 0.001 && Math.abs(r.widened.end - 0.5) < 0.001);
    assert.deepEqual(await md5s(out), (await md5s(src)).slice(2 * FPS, 10 * FPS));
  });

  it('a variable-frame-rate clip falls back to a full re-encode and says so', async () => {
    // A phone's clip: 30 fps for 5 s, then 15 fps (frame times kept as they are: -fps_mode vfr).
    const src = join(work, 'vfr.mp4');
    await ff([
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=30',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      '12',
      '-vf',
      'setpts=if(lt(N\\,150)\\,N/30\\,5+(N-150)/15)/TB',
      '-fps_mode',
      'vfr',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      src,
    ]);
    const out = join(work, 'vfr-cut.mp4');
    const r = await joinPieces(
      { pieces: [{ path: src, inS: 2.3, outS: 8.1, videoS: 12, audioS: 12 }], mode: 'smart', out },
      { runner: nodeProcessRunner, tmpDir: work, lowPriority: true },
    );
    assert.equal(r.mode, 'reencode');
    assert.match(r.reason ?? '', /variable/);
    const got = await lengths(out);
    assert.ok(Math.abs(got.v - 5.8) < 0.1, `duration ${got.v}`);
    assert.equal((await ff(['-v', 'error', '-i', out, '-f', 'null', '-'])).trim(), '');
  });
});
