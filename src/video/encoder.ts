/**
 * Which H.264 encoder a full re-encode uses (an export preset, or a source smart cut cannot
 * serve): the Raspberry Pi 4's hardware encoder (`h264_v4l2m2m`, through the kernel's V4L2
 * memory-to-memory device) when it works here, else libx264. A Pi 5 has no hardware encoder, and
 * Debian's ffmpeg lists `h264_v4l2m2m` on every machine, so "listed" proves nothing: a
 * five-frame test encode decides, once per process.
 *
 * Smart cuts never use it: the few frames re-encoded at a cut must match the source's own
 * stream (profile, level, B-frames) to be joined with the copied frames, which only libx264 with
 * matching settings does.
 */
import type { ProcessRunner } from '../adapters/process-runner.js';

export type H264EncoderChoice = 'auto' | 'libx264' | 'h264_v4l2m2m';
export type H264Encoder = 'libx264' | 'h264_v4l2m2m';

export interface PickedEncoder {
  codec: H264Encoder;
  /** Why the hardware encoder is not used though asked for (or tried), when it is not. */
  note?: string;
}

const tried = new WeakMap<ProcessRunner, Promise<string | undefined>>();

/** undefined when the hardware encoder works; else ffmpeg's first line saying why not. */
function hardwareProblem(runner: ProcessRunner): Promise<string | undefined> {
  let p = tried.get(runner);
  if (!p) {
    p = runner
      .run(
        'ffmpeg',
        [
          '-nostdin',
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          'color=c=gray:s=320x240:r=25',
          '-frames:v',
          '5',
          '-pix_fmt',
          'yuv420p',
          '-c:v',
          'h264_v4l2m2m',
          '-b:v',
          '1M',
          '-f',
          'null',
          '-',
        ],
        { timeoutMs: 20_000 },
      )
      .then(
        (r) =>
          r.code === 0
            ? undefined
            : (r.stderr.trim().split('\n').find(Boolean) ?? `ffmpeg exited with ${String(r.code)}`),
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
    tried.set(runner, p);
  }
  return p;
}

export async function pickH264Encoder(
  runner: ProcessRunner,
  choice: H264EncoderChoice,
): Promise<PickedEncoder> {
  if (choice === 'libx264') return { codec: 'libx264' };
  const problem = await hardwareProblem(runner);
  if (problem === undefined) return { codec: 'h264_v4l2m2m' };
  return choice === 'h264_v4l2m2m'
    ? {
        codec: 'libx264',
        note: `the hardware encoder h264_v4l2m2m does not work here (${problem}): libx264 was used`,
      }
    : { codec: 'libx264' };
}

/** A bit rate for the hardware encoder (it has no quality scale): by the picture's height. */
export function hardwareBitrate(height: number): string {
  if (height >= 1000) return '8M';
  if (height >= 700) return '5M';
  if (height >= 460) return '2500k';
  return '1200k';
}

/** ffmpeg's output arguments of a full re-encode with `codec`, at `fps`, `height` lines high. */
export function fullEncodeArgs(
  codec: H264Encoder,
  o: { height: number; fps: number; scale?: number | undefined },
): string[] {
  const scale = o.scale ? ['-vf', `scale=-2:${o.scale}`] : [];
  const rate = ['-r', String(Math.round(o.fps * 1000) / 1000)];
  return codec === 'h264_v4l2m2m'
    ? [
        ...scale,
        '-c:v',
        'h264_v4l2m2m',
        '-b:v',
        hardwareBitrate(o.scale ?? o.height),
        '-pix_fmt',
        'yuv420p',
        ...rate,
      ]
    : [...scale, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', ...rate];
}
