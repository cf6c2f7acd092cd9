/**
 * bench:motion — Outpost's motion pipeline against Debian's `motion` daemon on the same clip.
 *   cpuRatio       CPU seconds per minute of 640×480 15 fps H.264 input: ours (ffmpeg decode →
 *                  grey frames 5 fps 160×120 → detector → events, in a process of its own; median
 *                  of 3 runs) ÷ the motion daemon (fed the same stream live over loopback)
 *   recall, precision              our events against the clip's ground truth
 *   motionRecall, motionPrecision  the motion daemon's events against the same truth
 *   peakRssMB      peak RSS of our pipeline process (the detector side of the recorder)
 * The clip (150 s) is generated here: a corpus photo, sensor noise, an object crossing during
 * known intervals, lighting changes with nothing moving. An event matches a truth interval when
 * they overlap. Ends with one JSON line {"bench":"motion", ...}.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { motionInstalled, runMotionDaemon } from './lib/motion-daemon.js';
import { median, timed } from './lib/proc.js';
import { BENCH_CLIP, makeMotionClip, scoreEvents } from '../test/kit/motion-clips.js';

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const round2 = (x: number): number => Math.round(x * 100) / 100;
const W = 640;
const H = 480;
const FPS = 15;
/** The analysis frames (DEFAULT_MOTION_CONFIG: 5 fps, 120 px high). */
const GREY = { width: 160, height: 120, fps: 5 };

interface PipelineRun {
  ffmpegCpuSeconds: number;
  nodeCpuSeconds: number;
  peakRssMB: number;
  frames: number;
  events: { from: number; to: number }[];
}

/** Compiled JS when `npm run build` made it (what the station runs), else through tsx. */
function pipelineCommand(): string[] {
  const compiled = resolve(import.meta.dirname, '..', 'dist', 'bench', 'lib', 'motion-pipeline.js');
  if (existsSync(compiled)) return [compiled];
  return ['--import', 'tsx', resolve(import.meta.dirname, 'lib', 'motion-pipeline.ts')];
}

async function ours(clip: string): Promise<PipelineRun> {
  const r = await timed(process.execPath, [
    ...pipelineCommand(),
    clip,
    String(GREY.width),
    String(GREY.height),
    String(GREY.fps),
  ]);
  if (r.code !== 0) throw new Error(`motion pipeline failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PipelineRun;
}

async function main(): Promise<void> {
  if (!motionInstalled()) {
    log('the motion daemon is missing: installing it (apt-get install -y motion)');
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'motion'], {
      stdio: 'inherit',
    });
  }
  const work = mkdtempSync(join(tmpdir(), 'outpost-bench-motion-'));
  try {
    const clip = join(work, 'clip.mp4');
    log(`generating a ${BENCH_CLIP.durationS} s ${W}×${H} ${FPS} fps clip with ground truth…`);
    const truth = await makeMotionClip(clip, { ...BENCH_CLIP, width: W, height: H, fps: FPS });
    const minutes = truth.durationS / 60;

    const runs: PipelineRun[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await ours(clip);
      runs.push(r);
      log(
        `  outpost run ${i}: ffmpeg ${r.ffmpegCpuSeconds.toFixed(2)} s + node ${r.nodeCpuSeconds.toFixed(2)} s CPU, ${r.frames} frames, ${r.events.length} events, peak RSS ${r.peakRssMB} MB`,
      );
    }
    const ourCpu = median(runs.map((r) => r.ffmpegCpuSeconds + r.nodeCpuSeconds));
    const ourScore = scoreEvents(runs[0]!.events, truth);

    log(`running the motion daemon on the same clip (real time, ${truth.durationS} s)…`);
    const daemon = await runMotionDaemon({
      clip,
      durationS: truth.durationS,
      workDir: work,
      width: W,
      height: H,
      fps: FPS,
      eventGap: 10,
      log,
    });
    const theirScore = scoreEvents(daemon.events, truth);
    log(
      `  motion: ${daemon.cpuSeconds.toFixed(2)} s CPU, ${daemon.events.length} events, peak RSS ${daemon.peakRssMB} MB`,
    );
    log(`  truth:  ${JSON.stringify(truth.motion.map((m) => [m.from, m.to]))}`);
    log(`  ours:   ${JSON.stringify(runs[0]!.events.map((e) => [round2(e.from), round2(e.to)]))}`);
    log(`  motion: ${JSON.stringify(daemon.events.map((e) => [round2(e.from), round2(e.to)]))}`);

    const oursPerMin = ourCpu / minutes;
    const theirsPerMin = daemon.cpuSeconds / minutes;
    const result = {
      bench: 'motion',
      cpuRatio: round2(oursPerMin / theirsPerMin),
      recall: round2(ourScore.recall),
      precision: round2(ourScore.precision),
      motionRecall: round2(theirScore.recall),
      motionPrecision: round2(theirScore.precision),
      peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)),
      cpuSecondsPerMinute: round2(oursPerMin),
      motionCpuSecondsPerMinute: round2(theirsPerMin),
      eventsDuringLighting: ourScore.duringLighting.length,
      motionEventsDuringLighting: theirScore.duringLighting.length,
      motionPeakRssMB: daemon.peakRssMB,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
