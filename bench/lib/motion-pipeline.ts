/**
 * Outpost's motion pipeline on a clip, run as its own process so its CPU and memory are its own:
 * ffmpeg decodes and writes low-res grey frames (as the capture process's detector output does),
 * this process splits them into frames, runs the detector and the event tracker.
 *
 *   node motion-pipeline.js <clip> <width> <height> <fps>
 *
 * Prints one JSON line: CPU seconds of ffmpeg (from /proc/self/stat cutime+cstime once it was
 * reaped: its only child) and of this process (process.cpuUsage, from just before ffmpeg starts),
 * peak RSS of this process, frames, and the events (motion spans on the clip's time line).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_MOTION_CONFIG as C,
  detectorOptions,
  eventOptions,
} from '../../src/recorder/motion/config.js';
import { createMotionDetector } from '../../src/recorder/motion/detector.js';
import { EventTracker, type MotionEvent } from '../../src/recorder/motion/events.js';
import { greyInputArgs, greyOutputArgs, readGreyFrames } from '../../src/recorder/motion/grey-frames.js';

const CLK_TCK = 100;

function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

function vmHwmMB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

async function main(): Promise<void> {
  const [clip, ws, hs, fpss] = process.argv.slice(2);
  if (!clip || !ws || !hs || !fpss) throw new Error('usage: motion-pipeline <clip> <width> <height> <fps>');
  const width = Number(ws);
  const height = Number(hs);
  const fps = Number(fpss);
  const children0 = childrenCpuSeconds();
  const cpu0 = process.cpuUsage();
  const ff = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      ...greyInputArgs(),
      '-i',
      clip,
      ...greyOutputArgs({ fps, width, height }),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const closed = new Promise<number | null>((r) => ff.on('close', (code) => r(code)));
  const detector = createMotionDetector(detectorOptions(C, width, height));
  const tracker = new EventTracker(eventOptions(C));
  const events: MotionEvent[] = [];
  let frames = 0;
  let last = 0;
  for await (const f of readGreyFrames(ff.stdout!, { width, height, fps })) {
    frames++;
    last = f.t;
    for (const u of tracker.push(f.t, detector.detect(f.data))) if (u.type === 'end') events.push(u.event);
  }
  for (const u of tracker.flush(last)) events.push(u.event);
  const code = await closed;
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}`);
  const own = process.cpuUsage(cpu0);
  const out = {
    ffmpegCpuSeconds: childrenCpuSeconds() - children0,
    nodeCpuSeconds: (own.user + own.system) / 1e6,
    peakRssMB: vmHwmMB(),
    frames,
    events: events.map((e) => ({ from: e.motionStart, to: e.motionEnd, peakScore: e.peakScore, box: e.box })),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
