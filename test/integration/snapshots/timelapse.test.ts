import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { nodeStreamSpawner } from '../../../src/adapters/spawn-stream.js';
import {
  encodeTimelapse,
  lowPriorityCommand,
  lowPriorityTools,
  TIMELAPSE_FONT_FILE,
} from '../../../src/snapshots/timelapse/encode.js';
import {
  dayBounds,
  planTimelapse,
  type TimelapseFrame,
  type TimelapseSettings,
} from '../../../src/snapshots/timelapse/plan.js';
import { countFrames } from '../../kit/ffprobe.js';

const W = 320;
const H = 240;
const FPS = 10;
const S: TimelapseSettings = { fps: FPS, crf: 28, preset: 'ultrafast', maxWidth: 1920, deflicker: false };
const ZONE = 'Europe/Madrid';
const DATE = '2024-06-12';
/** Snapshot i was received at 10:00 local + i minutes; minutes 100..129 are an outage. */
const COUNT = 200;
const GAP = [100, 130] as const;

async function ffmpeg(args: string[], stdout = false): Promise<Buffer> {
  const r = await nodeProcessRunner.run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
  return stdout ? r.stdout : Buffer.alloc(0);
}

async function ffprobeJson(file: string, entries: string[]): Promise<Record<string, unknown>> {
  const r = await nodeProcessRunner.run('ffprobe', ['-v', 'error', ...entries, '-of', 'json', file]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString('utf8')) as Record<string, unknown>;
}

/** Frame `n` of a video (or the only picture of a JPEG) as 8-bit gray pixels. */
async function grayFrame(file: string, n?: number): Promise<Buffer> {
  return ffmpeg(
    [
      '-i',
      file,
      ...(n === undefined ? [] : ['-vf', `select=eq(n\\,${n})`]),
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      'pipe:1',
    ],
    true,
  );
}

/** Mean absolute difference of two gray pictures inside a box. */
function meanDiff(a: Buffer, b: Buffer, box: { x0: number; y0: number; x1: number; y1: number }): number {
  assert.equal(a.length, W * H);
  assert.equal(b.length, W * H);
  let sum = 0;
  let n = 0;
  for (let y = box.y0; y < box.y1; y++)
    for (let x = box.x0; x < box.x1; x++) {
      sum += Math.abs(a[y * W + x]! - b[y * W + x]!);
      n++;
    }
  return sum / n;
}

/** Where the caption goes: bottom left. The rest of the picture: the top half. */
const CAPTION = { x0: 8, y0: H - 18, x1: 150, y1: H - 8 };
const TOP = { x0: 0, y0: 0, x1: W, y1: Math.round(H / 2) };

describe('encodeTimelapse with real ffmpeg', () => {
  let dir: string;
  let snapDir: string;
  let snaps: TimelapseFrame[];
  const name = (i: number): string =>
    i === 3 ? `it's ${i}.jpg` : i === 4 ? `50%${i}.jpg` : `03[R][0@0][${i}].jpg`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-timelapse-'));
    snapDir = join(dir, 'cam 1 [front]');
    await mkdir(snapDir);
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `testsrc=size=${W}x${H}:rate=1`,
      '-frames:v',
      String(COUNT),
      '-q:v',
      '4',
      join(snapDir, 'src%03d.jpg'),
    ]);
    const start = Date.parse('2024-06-12T08:00:00Z'); // 10:00 in Madrid
    snaps = [];
    for (let i = 0; i < COUNT; i++) {
      const src = join(snapDir, `src${String(i + 1).padStart(3, '0')}.jpg`);
      if (i >= GAP[0] && i < GAP[1]) {
        await rm(src);
        continue;
      }
      const file = join(snapDir, name(i));
      await rename(src, file);
      // Receive times jitter by a few seconds, as they do.
      snaps.push({ file, atMs: start + i * 60_000 + ((i * 7919) % 9) * 1000 });
    }
    // A snapshot of the day before and one of the day after: not in this day's video.
    const b = dayBounds(DATE, ZONE);
    snaps.push({ file: join(snapDir, name(0)), atMs: b.startMs - 1 });
    snaps.push({ file: join(snapDir, name(1)), atMs: b.endMs });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has the planned frame count and duration, a chapter for the outage, and its caption only while it is held', async () => {
    const plan = planTimelapse(snaps, DATE, ZONE, S);
    assert.equal(plan.frames, COUNT);
    assert.equal(plan.snapshots, COUNT - (GAP[1] - GAP[0]));
    assert.equal(plan.gaps.length, 1);
    const gap = plan.gaps[0]!;
    assert.equal(gap.startFrame, GAP[0] - 1);
    assert.equal(gap.endFrame, GAP[1]);
    assert.equal(`${gap.fromLocal}–${gap.toLocal}`, '11:39–12:10');

    const out = join(dir, 'out', 'timelapse 2024-06-12.mp4');
    await mkdir(join(dir, 'out'));
    const progress: number[] = [];
    const spawned: string[][] = [];
    const res = await encodeTimelapse(plan, out, S, {
      runner: nodeProcessRunner,
      spawner: {
        spawn: (cmd, args, opts) => {
          spawned.push([cmd, ...args]);
          return nodeStreamSpawner.spawn(cmd, args, opts);
        },
      },
      tmpDir: dir,
      lowPriority: true,
      onProgress: (f, total) => {
        assert.equal(total, COUNT);
        progress.push(f);
      },
    });
    assert.equal(res.frames, COUNT);
    // At idle priority, with whichever of nice and ionice work here.
    const tools = await lowPriorityTools(nodeProcessRunner);
    assert.ok(tools.nice, 'nice works');
    const prefix = lowPriorityCommand('ffmpeg', [], tools);
    assert.deepEqual(spawned[0]!.slice(0, prefix.args.length + 1), [prefix.cmd, ...prefix.args]);
    assert.ok(Math.abs(res.durationS - COUNT / FPS) <= 1 / FPS, String(res.durationS));
    assert.equal(res.captions, existsSync(TIMELAPSE_FONT_FILE));
    assert.ok(progress.length > 0 && progress.at(-1) === COUNT, String(progress));
    assert.deepEqual(await readdir(join(dir, 'out')), ['timelapse 2024-06-12.mp4'], 'no .part left');
    assert.ok(!(await readdir(dir)).some((n) => n.startsWith('timelapse-')), 'scratch folder removed');

    // Decoded, not just counted packets.
    assert.equal(countFrames(out), COUNT);
    const probe = (await ffprobeJson(out, [
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=width,height,pix_fmt,avg_frame_rate:format=duration',
      '-show_chapters',
    ])) as {
      streams: { width: number; height: number; pix_fmt: string; avg_frame_rate: string }[];
      format: { duration: string };
      chapters: { start_time: string; end_time: string; tags: { title: string } }[];
    };
    assert.deepEqual(probe.streams[0], { width: W, height: H, pix_fmt: 'yuv420p', avg_frame_rate: '10/1' });
    assert.ok(Math.abs(Number(probe.format.duration) - COUNT / FPS) <= 1 / FPS);
    const chapter = probe.chapters.find((c) => c.tags.title === 'no snapshots 11:39–12:10');
    assert.ok(chapter, JSON.stringify(probe.chapters.map((c) => c.tags.title)));
    assert.ok(Math.abs(Number(chapter.start_time) - gap.startS) < 0.01, chapter.start_time);
    assert.ok(probe.chapters.some((c) => c.tags.title === '11:00'));

    if (!res.captions) return; // no font here: the chapter is the marker
    const held = await grayFrame(join(snapDir, name(GAP[0] - 1)));
    const inside = await grayFrame(out, Math.round((gap.startFrame + gap.endFrame) / 2));
    // The held snapshot is shown (the top half is its picture), with the caption at the bottom.
    assert.ok(meanDiff(inside, held, TOP) < 6, `held picture: ${meanDiff(inside, held, TOP)}`);
    assert.ok(meanDiff(inside, held, CAPTION) > 20, `caption: ${meanDiff(inside, held, CAPTION)}`);
    // Its first frame is captioned too; the frames just before and after the outage are not.
    const first = await grayFrame(out, gap.startFrame);
    assert.ok(meanDiff(first, held, CAPTION) > 20);
    for (const [frame, snap] of [
      [gap.startFrame - 1, GAP[0] - 2],
      [gap.endFrame, GAP[1]],
    ] as const) {
      const video = await grayFrame(out, frame);
      const jpeg = await grayFrame(join(snapDir, name(snap)));
      assert.ok(meanDiff(video, jpeg, CAPTION) < 6, `frame ${frame}: ${meanDiff(video, jpeg, CAPTION)}`);
      assert.ok(meanDiff(video, jpeg, TOP) < 6);
    }
  });

  it('scales down to maxWidth keeping the aspect; without a font the outage is a chapter only', async () => {
    const s = { ...S, maxWidth: 161, deflicker: true };
    const plan = planTimelapse(snaps, DATE, ZONE, s);
    const out = join(dir, 'small.mp4');
    const res = await encodeTimelapse(plan, out, s, {
      runner: nodeProcessRunner,
      spawner: nodeStreamSpawner,
      tmpDir: dir,
      lowPriority: false,
      fontFile: join(dir, 'no-such-font.ttf'),
    });
    assert.equal(res.captions, false);
    assert.equal(res.frames, COUNT);
    const probe = (await ffprobeJson(out, [
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=width,height',
      '-show_chapters',
    ])) as {
      streams: { width: number; height: number }[];
      chapters: { tags: { title: string } }[];
    };
    assert.deepEqual(probe.streams[0], { width: 160, height: 120 });
    assert.ok(probe.chapters.some((c) => c.tags.title === 'no snapshots 11:39–12:10'));
  });

  it('a snapshot that cannot be decoded: the one before it is held, the day keeps its length', async () => {
    const bad = join(snapDir, 'broken.jpg');
    await writeFile(bad, 'not a jpeg at all');
    const plan = planTimelapse(
      snaps.map((f, i) => (i === 50 ? { ...f, file: bad } : f)),
      DATE,
      ZONE,
      S,
    );
    const out = join(dir, 'broken.mp4');
    const res = await encodeTimelapse(plan, out, S, {
      runner: nodeProcessRunner,
      spawner: nodeStreamSpawner,
      tmpDir: dir,
      lowPriority: false,
    });
    assert.equal(res.frames, COUNT);
    const video = await grayFrame(out, 50);
    const before = await grayFrame(join(snapDir, name(49)));
    assert.ok(meanDiff(video, before, TOP) < 6);
  });

  it('an abort stops ffmpeg and leaves nothing', async () => {
    const plan = planTimelapse(snaps, DATE, ZONE, S);
    const out = join(dir, 'aborted.mp4');
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(
      encodeTimelapse(plan, out, S, {
        runner: nodeProcessRunner,
        spawner: nodeStreamSpawner,
        tmpDir: dir,
        lowPriority: false,
        signal: ac.signal,
      }),
      { name: 'AbortError' },
    );
    assert.ok(!existsSync(out) && !existsSync(`${out}.part`));
  });
});
