import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureArgs } from '../../../src/recorder/capture-command.js';
import { parseAudioSource, parseSource } from '../../../src/recorder/sources.js';
import type { VideoTransform } from '../../../src/recorder/transform.js';
import { probeVideo } from '../../kit/ffprobe.js';

/**
 * Per-camera picture settings through real ffmpeg: the recorded segment has the size, frame rate
 * and orientation asked for (checked with ffprobe and against the untransformed picture).
 */
let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-transform-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Record ~2 s of the test pattern with `t`; the first segment's path. */
async function record(
  name: string,
  t: VideoTransform | undefined,
  ms = 2500,
  audio?: string,
): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  const args = captureArgs({
    source: parseSource('testsrc:?size=320x240&rate=10'),
    ...(audio ? { audioInput: parseAudioSource(audio) } : {}),
    copy: false,
    ...(t ? { transform: t } : {}),
    segments: { kind: 'continuous', dir, listFile: join(dir, 'list.csv'), seconds: 1 },
  });
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  const first = join(dir, '000000.mp4');
  assert.ok(existsSync(first), `no segment: ${err.slice(-500)}`);
  return first;
}

const probe = (p: string): { width: number; height: number; rate: string } => {
  const s = probeVideo(p);
  return { width: s.width, height: s.height, rate: s.avg_frame_rate };
};

/** The first frame as 32×24 grey bytes. */
const frame = (p: string): Buffer =>
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-i',
    p,
    '-frames:v',
    '1',
    '-vf',
    'scale=32:24,format=gray',
    '-f',
    'rawvideo',
    '-',
  ]);

const meanDiff = (a: Buffer, b: Buffer): number => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i]! - b[i]!);
  return d / a.length;
};

describe('recording with rotation, flips, size and frame rate (real ffmpeg)', { timeout: 60_000 }, () => {
  it('90° turns the picture on its side; a size and a frame rate are what the file has', async () => {
    const p = await record('r90', { rotation: 90, fps: 5 });
    assert.deepEqual(probe(p), { width: 240, height: 320, rate: '5/1' });
    const s = await record('scaled', { width: 160, height: 120 });
    const q = probe(s);
    assert.equal(`${q.width}x${q.height}`, '160x120');
  });

  it('a start instant: the pipeline runs from the start, the recording only from the instant', async () => {
    // ffmpeg runs 4.5 s; the gate opens 2.5 s in: about 2 s are recorded (not 4.5).
    const spawnedAt = Date.now();
    const p = await record('gated', { startAtMs: spawnedAt + 2500 }, 4500);
    const dir = join(work, 'gated');
    const list = execFileSync('cat', [join(dir, 'list.csv')]).toString();
    const recordedS = execFileSync('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'csv=p=0',
      p,
    ])
      .toString()
      .trim();
    const total = list
      .trim()
      .split('\n')
      .map((l) => Number(l.split(',')[2]) - Number(l.split(',')[1]))
      .reduce((a, b) => a + b, 0);
    assert.ok(
      total > 1.2 && total < 2.6,
      `recorded ${total} s of a 4.5 s run gated at 2.5 s (${list}; first ${recordedS} s)`,
    );
    // Its time line starts at 0 at the first kept frame.
    assert.ok(Number(list.split(',')[1]) < 0.05, list);
  });

  it('180° is the picture upside down and mirrored; a flip is a mirror', async () => {
    const plain = frame(await record('r0', undefined));
    const turned = frame(await record('r180', { rotation: 180 }));
    const mirrored = frame(await record('hflip', { hflip: true }));
    const reversed = Buffer.from(plain).reverse();
    // Each row of the plain picture read right to left.
    const rowsReversed = Buffer.concat(
      Array.from({ length: 24 }, (_, y) => Buffer.from(plain.subarray(y * 32, y * 32 + 32)).reverse()),
    );
    assert.ok(meanDiff(turned, reversed) < 12, `180° vs reversed: ${meanDiff(turned, reversed)}`);
    assert.ok(
      meanDiff(turned, plain) > 2 * meanDiff(turned, reversed),
      'the turned picture is not the plain one',
    );
    assert.ok(
      meanDiff(mirrored, rowsReversed) < 12,
      `hflip vs rows reversed: ${meanDiff(mirrored, rowsReversed)}`,
    );
    assert.ok(meanDiff(mirrored, plain) > 2 * meanDiff(mirrored, rowsReversed));
  });

  it('burns the time into the corner asked for, and leaves the rest of the picture alone', async () => {
    const plain = frame(await record('plain-ts', undefined));
    const stamped = frame(await record('stamped', { timestamp: { position: 'bottom-right' } }));
    // Rows and columns of the 32×24 thumbnail: the text box is in the bottom-right.
    const region = (b: Buffer, x0: number, y0: number) =>
      Buffer.concat(
        Array.from({ length: 4 }, (_, y) => b.subarray((y0 + y) * 32 + x0, (y0 + y) * 32 + x0 + 8)),
      );
    const corner = meanDiff(region(stamped, 24, 20), region(plain, 24, 20));
    const opposite = meanDiff(region(stamped, 0, 0), region(plain, 0, 0));
    assert.ok(corner > 15, `the bottom-right corner changed by ${corner}`);
    assert.ok(opposite < 6, `the top-left corner changed by ${opposite}`);
  });

  it('records the sound with the picture, gated at the same instant', async () => {
    const probeStreams = (p: string) =>
      (
        JSON.parse(
          execFileSync('ffprobe', [
            '-v',
            'error',
            '-show_entries',
            'stream=codec_type,codec_name,duration',
            '-of',
            'json',
            p,
          ]).toString(),
        ) as { streams: { codec_type: string; codec_name: string; duration: string }[] }
      ).streams;
    const p = await record('sound', undefined, 2500, 'testsrc:');
    const s = probeStreams(p);
    assert.deepEqual(
      s.map((x) => `${x.codec_type}:${x.codec_name}`),
      ['video:h264', 'audio:aac'],
    );
    // A gate 2 s into a 4 s run: the sound starts with the picture, not 2 s before it.
    const gated = await record('sound-gated', { startAtMs: Date.now() + 2000 }, 4000, 'testsrc:');
    const g = probeStreams(gated);
    const [v, a] = [Number(g[0]!.duration), Number(g[1]!.duration)];
    assert.ok(Math.abs(v - a) < 0.5, `video ${v} s, audio ${a} s in the first gated segment`);
    assert.throws(() => parseAudioSource('alsa:hw:1;rm -rf /'), /alsa:<device>/);
  });
});
