/**
 * Video poster frame (ffmpeg) and, from it, the same thumbnail/preview/pHash as photos; and the
 * small H.264 streaming copy when the original needs one (video-preview.ts).
 * ffmpeg writes the JPEG to its stdout; the poster reaches the drive through writeFileAtomic
 * (tmp + fsync + rename), so a killed ffmpeg never leaves a half-written poster behind.
 */
import { stat } from 'node:fs/promises';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import type { RenderOptions } from './derive-image.js';
import { isEnvironmentFault } from './faults.js';
import { ffmpegErrorLine, probeAv, untrustedInputArgs, type AvProbe } from './ffprobe.js';
import type { DeriveResult, DeriveTargets, MediaWarning } from './types.js';
import { makeVideoPreview, needsVideoPreview } from './video-preview.js';

/** Where to grab the poster: 1 s in, or 10 % of a shorter clip (past fade-ins, inside short clips). */
export function posterSeekS(durationS: number | undefined): number {
  if (durationS === undefined || !Number.isFinite(durationS) || durationS <= 0) return 0;
  return Math.min(1, Math.round(durationS * 100) / 1000);
}

/**
 * ffmpeg arguments for one full-size JPEG frame. `-ss` before `-i` seeks in the demuxer
 * (fast: no decoding of the skipped part). `output` is a path, or `pipe:1` for stdout. The input
 * is held to local files and media demuxers (untrustedInputArgs).
 */
export function posterArgs(input: string, output: string, seekS: number): string[] {
  const out = output === '-' || output.startsWith('pipe:') ? output : `file:${output}`;
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-ss',
    seekS.toFixed(3),
    ...untrustedInputArgs(),
    '-i',
    `file:${input}`,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-frames:v',
    '1',
    '-q:v',
    '3',
    '-c:v',
    'mjpeg',
    '-f',
    'image2pipe',
    '-y',
    out,
  ];
}

function isJpeg(b: Buffer): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

async function grabFrame(
  runner: ProcessRunner,
  filePath: string,
  seekS: number,
  signal: AbortSignal | undefined,
): Promise<{ frame?: Buffer; error?: string }> {
  const res = await runner.run('ffmpeg', posterArgs(filePath, 'pipe:1', seekS), {
    ...(signal ? { signal } : {}),
    timeoutMs: 120_000,
    maxStdoutBytes: 128 * 1024 * 1024,
  });
  signal?.throwIfAborted();
  if (res.code === 0 && isJpeg(res.stdout)) return { frame: res.stdout };
  return {
    error:
      ffmpegErrorLine(res.stderr, filePath) ?? `ffmpeg exited with ${res.code ?? res.signal} and no frame`,
  };
}

/** Poster, thumbnail, preview and pHash of a video. Never throws for a bad file. */
export async function deriveVideo(
  runner: ProcessRunner,
  filePath: string,
  targets: DeriveTargets,
  opts: RenderOptions & {
    signal?: AbortSignal;
    /** This file's ffprobe result when the caller already has it (ingest probed it moments ago). */
    probe?: AvProbe | undefined;
  },
): Promise<DeriveResult> {
  const none = (warnings: MediaWarning[]): DeriveResult => ({
    thumb: false,
    preview: false,
    poster: false,
    warnings,
  });
  const probe = opts.probe ?? (await probeAv(runner, filePath, 'UTC', opts.signal));
  if (probe.warnings.length > 0) {
    const why = probe.warnings.map((w) => w.message).join('; ');
    return none([{ code: 'NO_DERIVATIVES', message: `No poster or thumbnail: ${why}` }]);
  }
  if (!probe.hasVideo) {
    return none([
      { code: 'NO_DERIVATIVES', message: 'No poster or thumbnail: the file has no video stream' },
    ]);
  }

  const seek = posterSeekS(probe.facts.durationS);
  let grab: { frame?: Buffer; error?: string };
  try {
    grab = await grabFrame(runner, filePath, seek, opts.signal);
    // Some files cannot seek (broken index, variable frame timing): the first frame will do.
    if (!grab.frame && seek > 0) grab = await grabFrame(runner, filePath, 0, opts.signal);
  } catch (e) {
    if (isEnvironmentFault(e)) throw e;
    grab = { error: (e as Error).message };
  }
  if (!grab.frame) {
    return none([
      {
        code: 'NO_DERIVATIVES',
        message: `No poster or thumbnail: ffmpeg could not decode a frame (${grab.error})`,
      },
    ]);
  }

  await writeFileAtomic(targets.posterPath, grab.frame);
  // sharp (libvips) loads only when a frame is to be rendered: probing videos never needs it.
  const { deriveFromSource } = await import('./derive-image.js');
  const images = await deriveFromSource({ input: grab.frame }, targets, opts);
  if (!images.rendered) {
    return {
      thumb: false,
      preview: false,
      poster: true,
      warnings: [
        {
          code: 'NO_DERIVATIVES',
          message: `No thumbnail or preview: the poster frame could not be decoded (${images.error ?? 'unknown error'})`,
        },
      ],
    };
  }
  return { thumb: true, preview: true, poster: true, phash: images.phash, warnings: [] };
}

/**
 * The small streaming copy of a video when the original needs one (video-preview.ts). Made in
 * the background after ingest, not while a card waits. Never throws for a bad file; rejects for
 * a full or failing drive and when aborted.
 */
export async function deriveVideoCopy(
  runner: ProcessRunner,
  filePath: string,
  target: string,
  signal?: AbortSignal,
): Promise<{ video: boolean; warnings: MediaWarning[] }> {
  const probe = await probeAv(runner, filePath, 'UTC', signal);
  if (!probe.hasVideo || probe.warnings.length > 0) return { video: false, warnings: [] };
  const { size } = await stat(filePath);
  if (!needsVideoPreview(probe.facts, size)) return { video: false, warnings: [] };
  const out = await makeVideoPreview(runner, filePath, target, {
    hasAudio: probe.facts.codecs?.audio !== undefined,
    durationS: probe.facts.durationS,
    signal,
  });
  if (out.made) return { video: true, warnings: [] };
  return {
    video: false,
    warnings: [
      {
        code: 'NO_DERIVATIVES',
        message: `No small streaming copy: ffmpeg could not encode one (${out.error}); the original plays instead`,
      },
    ],
  };
}
