/**
 * The daily timelapse against a plain image-sequence encode of the same snapshots.
 *   timelapseRatio       wall time of ours (plan, concat list with one duration per snapshot,
 *                        chapters, captions, faststart, ffprobe check) ÷ plain
 *                        `ffmpeg -pattern_type glob -i '*.jpg' -c:v libx264 -preset veryfast -crf 24`;
 *                        median of `runs` alternating runs each; target ≤ 1.1
 *   timelapseFrameError  |frames in our video (ffprobe) − the plan's| ; target 0 (±1)
 * One camera-day: 1,440 1920×1080 JPEGs (testsrc2, moving, `-q:v 3`) received once a minute with a
 * few seconds of jitter, less a 30-minute outage (1,410 files). Importable ({@link benchTimelapse});
 * run alone (`node --import tsx bench/snapshots-timelapse.ts [workDir] [runs]`) it prints one JSON
 * line {"bench":"snapshots-timelapse", ...}.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeProcessRunner } from '../src/adapters/process-runner.js';
import { nodeStreamSpawner } from '../src/adapters/spawn-stream.js';
import { encodeTimelapse } from '../src/snapshots/timelapse/encode.js';
import { dayBounds, planTimelapse, type TimelapseSettings } from '../src/snapshots/timelapse/plan.js';
import { median } from './lib/proc.js';

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const DATE = '2024-06-12';
const ZONE = 'Europe/Madrid';
const MINUTES = 1440;
/** The outage: minutes 600..629 (10:00–10:29 local) sent nothing. */
const GAP: readonly [number, number] = [600, 630];
const SETTINGS: TimelapseSettings = {
  fps: 24,
  crf: 24,
  preset: 'veryfast',
  maxWidth: 1920,
  deflicker: false,
};

export interface TimelapseBench {
  timelapseRatio: number;
  timelapseFrameError: number;
  ourS: number;
  plainS: number;
  frames: number;
}

/** `snap-HHMM.jpg` in receive order, so the plain encode's glob takes them in the same order. */
function snapshotName(minute: number): string {
  return `snap-${String(Math.floor(minute / 60)).padStart(2, '0')}${String(minute % 60).padStart(2, '0')}.jpg`;
}

/** Makes the day's snapshots in `dir` (kept between runs: making them takes a while). */
function makeSnapshots(dir: string): void {
  if (existsSync(join(dir, '.complete'))) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`making ${MINUTES} 1920x1080 JPEGs in ${dir}`);
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1920x1080:rate=24',
    '-frames:v',
    String(MINUTES),
    '-q:v',
    '3',
    join(dir, 'f%04d.jpg'),
  ]);
  for (let m = 0; m < MINUTES; m++) {
    const src = join(dir, `f${String(m + 1).padStart(4, '0')}.jpg`);
    if (m >= GAP[0] && m < GAP[1]) rmSync(src);
    else renameSync(src, join(dir, snapshotName(m)));
  }
  execFileSync('touch', [join(dir, '.complete')]);
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function plain(dir: string, out: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await nodeProcessRunner.run('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-pattern_type',
    'glob',
    '-i',
    join(dir, '*.jpg'),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '24',
    out,
  ]);
  if (r.code !== 0) throw new Error(`plain ffmpeg: ${r.stderr}`);
  return seconds(t0);
}

/**
 * Runs the comparison in `workDir` (snapshots in `workDir/snapshots`, kept; outputs removed).
 * `runs`: timed runs of each, alternating (the figure is the ratio of the medians).
 */
export async function benchTimelapse(workDir: string, runs = 3): Promise<TimelapseBench> {
  const snapDir = join(workDir, 'snapshots');
  makeSnapshots(snapDir);
  const { startMs } = dayBounds(DATE, ZONE);
  const files = readdirSync(snapDir).filter((n) => n.endsWith('.jpg'));
  const frames = files.map((n) => {
    const minute = Number(n.slice(5, 7)) * 60 + Number(n.slice(7, 9));
    // A few seconds of network and camera jitter, the same on every run.
    return { file: join(snapDir, n), atMs: startMs + minute * 60_000 + 2000 + ((minute * 37) % 7) * 1000 };
  });
  const outDir = join(workDir, 'out');
  mkdirSync(outDir, { recursive: true });
  const ourTimes: number[] = [];
  const plainTimes: number[] = [];
  let error = 0;
  let planned = 0;
  for (let i = 0; i < runs; i++) {
    const p = await plain(snapDir, join(outDir, 'plain.mp4'));
    plainTimes.push(p);
    const t0 = process.hrtime.bigint();
    const plan = planTimelapse(frames, DATE, ZONE, SETTINGS);
    const res = await encodeTimelapse(plan, join(outDir, 'ours.mp4'), SETTINGS, {
      runner: nodeProcessRunner,
      spawner: nodeStreamSpawner,
      tmpDir: outDir,
      // Idle priority changes nothing on an idle machine and would only add the noise of others.
      lowPriority: false,
    });
    const o = seconds(t0);
    ourTimes.push(o);
    planned = plan.frames;
    error = Math.max(error, Math.abs(res.frames - plan.frames));
    log(
      `run ${i + 1}: plain ${p.toFixed(2)} s, ours ${o.toFixed(2)} s (${res.frames}/${plan.frames} frames)`,
    );
  }
  rmSync(outDir, { recursive: true, force: true });
  const ourS = median(ourTimes);
  const plainS = median(plainTimes);
  return {
    timelapseRatio: Math.round((ourS / plainS) * 1000) / 1000,
    timelapseFrameError: error,
    ourS: Math.round(ourS * 100) / 100,
    plainS: Math.round(plainS * 100) / 100,
    frames: planned,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? join(tmpdir(), 'outpost-bench-timelapse');
  const r = await benchTimelapse(dir, Number(process.argv[3] ?? 3));
  process.stdout.write(`${JSON.stringify({ bench: 'snapshots-timelapse', ...r })}\n`);
}
