import type { Command } from 'commander';
import { recorderDeps } from '../../recorder/deps.js';
import type { Config } from '../../config/schema.js';
import { OutpostError } from '../../core/errors.js';
import { validateMonitor } from '../../core/naming.js';
import { openDrive } from '../../library/drive.js';
import type { MotionEventSaved } from '../../recorder/motion-mode.js';
import { Recorder, type CameraSettings, type SegmentEvent } from '../../recorder/recorder.js';
import type { VideoTransform } from '../../recorder/transform.js';
import { cameraSettingsOf, recorderSettingsOf } from '../../station/camera-settings.js';
import { buildContext, requireLibrary } from '../context.js';
import { run } from '../run.js';

/** `10s`, `2m`, `1h`, or plain seconds. */
export function parseSeconds(v: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(v.trim());
  const n = m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'] ?? 1) : NaN;
  if (!Number.isFinite(n) || n <= 0)
    throw new OutpostError('USAGE', `${what} "${v}" is not a duration`, { hint: 'Use e.g. 10s, 2m or 1h.' });
  return n;
}

interface RecordOptions {
  source?: string;
  library?: string;
  mode?: string;
  segment?: string;
  camera?: string;
  duration?: string;
  copy?: string;
  rotate?: string;
  hflip?: boolean;
  vflip?: boolean;
  size?: string;
  fps?: string;
  json?: boolean;
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('record a camera into the library (continuous segments, or motion events)')
    .option('--source <url>', 'testsrc:, file:/clip.mp4, rtsp://…, http(s)://…, v4l2:/dev/video0 or rpicam:')
    .option('--library <drive>', 'library drive (default: `library` in the config)')
    .option('--mode <mode>', 'continuous or motion', 'continuous')
    .option('--segment <duration>', 'segment length in continuous mode', '10s')
    .option(
      '--camera <name>',
      'camera name: the folder under library/ (a camera in the config when no --source)',
    )
    .option('--duration <duration>', 'stop after this long (scripts, tests); default: until Ctrl-C')
    .option('--copy <when>', 'stream-copy the video: auto (when H.264), always, never', 'auto')
    .option('--rotate <degrees>', 'turn the picture clockwise: 0, 90, 180 or 270 (re-encodes)')
    .option('--hflip', 'mirror the picture left to right (re-encodes)')
    .option('--vflip', 'flip the picture upside down (re-encodes)')
    .option('--size <WxH>', 'record at this size, e.g. 1280x720 (re-encodes)')
    .option('--fps <n>', 'record at this frame rate (re-encodes)')
    .option('--json', 'print one JSON object per line: each segment, then a summary')
    .action((o: RecordOptions, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const drive = await openDrive(requireLibrary(o.library, ctx));
        const cam = cameraFromOptions(o, ctx.config);
        const recorder = new Recorder(cam, recorderSettingsOf(ctx.config), drive, recorderDeps(ctx));
        const segments: SegmentEvent[] = [];
        const line = (obj: unknown): void => void process.stdout.write(JSON.stringify(obj) + '\n');
        recorder.on('segment', (s) => {
          segments.push(s);
          if (o.json) line({ event: 'segment', ...s });
          else process.stdout.write(`${s.start}  ${(s.durationS ?? 0).toFixed(3)} s  ${s.path}\n`);
        });
        const events: MotionEventSaved[] = [];
        recorder.on('motion-event', (e) => {
          events.push(e);
          if (o.json) line({ event: 'motion-event', ...e });
          else
            process.stdout.write(
              `${e.start}  motion ${(e.durationS ?? 0).toFixed(1)} s, peak ${e.peakScore.toFixed(1)}  ${e.path}\n`,
            );
        });
        recorder.on('segment-failed', (f) => {
          if (o.json) line({ event: 'segment-failed', ...f });
          else process.stderr.write(`segment not kept: [${f.code}] ${f.message}\n`);
        });
        recorder.on('budget', (b) => {
          for (const w of b.warnings) process.stderr.write(`storage: ${w.message}\n`);
        });
        const stopped = new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
          if (o.duration) setTimeout(resolve, parseSeconds(o.duration, '--duration') * 1000).unref();
        });
        await recorder.start();
        if (!o.json)
          process.stderr.write(
            `recording ${cam.name} (${cam.mode}) from ${recorder.status().source}; Ctrl-C stops\n`,
          );
        await stopped;
        await recorder.stop();
        const st = recorder.status();
        const summary = {
          camera: cam.name,
          mode: cam.mode,
          segments: segments.length,
          events: events.length,
          seconds:
            Math.round([...segments, ...events].reduce((s, x) => s + (x.durationS ?? 0), 0) * 1000) / 1000,
          restarts: st.restarts,
          failedSegments: st.failedSegments,
          copy: st.copy,
        };
        if (o.json) line({ event: 'summary', ...summary });
        else
          process.stdout.write(
            `${cam.mode === 'motion' ? `${summary.events} motion events` : `${summary.segments} segments`}, ${summary.seconds} s recorded${summary.restarts ? `, ${summary.restarts} restarts` : ''}\n`,
          );
        return st.state === 'failed' ? 3 : 0;
      }),
    );
}

function cameraFromOptions(o: RecordOptions, config: Config): CameraSettings {
  const configured = o.camera ? config.cameras.find((c) => c.name === o.camera) : undefined;
  if (!o.source && !configured)
    throw new OutpostError('USAGE', 'no camera source given', {
      hint: 'Pass --source <url>, or --camera <name> of a camera in the config.',
    });
  if (o.mode !== 'continuous' && o.mode !== 'motion')
    throw new OutpostError('USAGE', `--mode must be continuous or motion, not "${o.mode}"`);
  if (o.copy !== 'auto' && o.copy !== 'always' && o.copy !== 'never')
    throw new OutpostError('USAGE', `--copy must be auto, always or never, not "${o.copy}"`);
  const base = configured
    ? cameraSettingsOf(configured, config)
    : cameraSettingsOf(
        { name: o.camera ?? 'camera', source: o.source!, mode: o.mode, segmentSeconds: 10 },
        config,
      );
  const transform = transformFromOptions(o);
  return {
    ...base,
    name: validateMonitor(o.camera ?? base.name),
    ...(o.source ? { source: o.source } : {}),
    mode: o.mode,
    segmentSeconds: parseSeconds(o.segment ?? '10s', '--segment'),
    copy: o.copy,
    ...(transform ? { transform } : {}),
  };
}

/** --rotate, --hflip, --vflip, --size, --fps; every bad one said at once. */
function transformFromOptions(o: RecordOptions): VideoTransform | undefined {
  const problems: string[] = [];
  const rotation = o.rotate === undefined ? 0 : Number(o.rotate);
  if (![0, 90, 180, 270].includes(rotation))
    problems.push(`--rotate must be 0, 90, 180 or 270, not "${o.rotate}"`);
  const size = o.size === undefined ? undefined : /^(\d{2,4})x(\d{2,4})$/.exec(o.size);
  if (o.size !== undefined && (!size || Number(size[1]) < 16 || Number(size[2]) < 16))
    problems.push(`--size must be WIDTHxHEIGHT of at least 16x16, e.g. 1280x720, not "${o.size}"`);
  const fps = o.fps === undefined ? undefined : Number(o.fps);
  if (fps !== undefined && !(fps >= 0.1 && fps <= 240))
    problems.push(`--fps must be a number from 0.1 to 240, not "${o.fps}"`);
  if (problems.length) throw new OutpostError('USAGE', problems.join('; '));
  const t: VideoTransform = {
    ...(rotation ? { rotation: rotation as 90 | 180 | 270 } : {}),
    ...(o.hflip ? { hflip: true } : {}),
    ...(o.vflip ? { vflip: true } : {}),
    ...(size ? { width: Number(size[1]), height: Number(size[2]) } : {}),
    ...(fps ? { fps } : {}),
  };
  return Object.keys(t).length ? t : undefined;
}
