/**
 * A small H.264 rendition of a video (issue 13 §1.12): what the web app streams first, so an
 * 8-second clip plays over a 1 Mbit/s office link instead of stalling on a 20 Mbit/s original,
 * and a trail camera's AVI/MJPEG (which no browser plays) becomes playable. The original stays
 * one tap away. ffmpeg writes a temporary sibling that is fsynced and renamed into place, so a
 * killed encode never leaves half a file under the rendition's name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from '../adapters/fs-atomic.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { ffmpegErrorLine, untrustedInputArgs } from './ffprobe.js';
import type { MediaFacts } from './types.js';

/** Longest side of the rendition in pixels (16:9 → 640×360). */
export const VIDEO_PREVIEW_MAX_SIDE = 640;
/** Peak video bit rate of the rendition; with 64 kbit/s of audio it streams over 1 Mbit/s. */
export const VIDEO_PREVIEW_MAXRATE_KBPS = 700;
/** An original at or under this bit rate that browsers play is streamed as it is. */
const SMALL_ENOUGH_BPS = 1_500_000;
/** Video codecs and containers every browser the app supports plays (Safari on iPad included). */
const PLAYABLE_VIDEO = new Set(['h264']);
const PLAYABLE_AUDIO = new Set(['aac', 'mp3']);
const PLAYABLE_CONTAINER = /(^|,)(mp4|mov)(,|$)/;

/**
 * Whether a video needs a rendition to play well in the app: browsers cannot play it (AVI, MTS,
 * MJPEG, HEVC on most tablets), or it is bigger than a slow link streams (bit rate above
 * 1.5 Mbit/s or a side above 1280 px). Pure.
 */
export function needsVideoPreview(facts: MediaFacts, sizeBytes: number): boolean {
  const c = facts.codecs ?? {};
  if (!c.video || !PLAYABLE_VIDEO.has(c.video)) return true;
  if (!c.container || !PLAYABLE_CONTAINER.test(c.container)) return true;
  if (c.audio && !PLAYABLE_AUDIO.has(c.audio)) return true;
  if (Math.max(facts.width ?? 0, facts.height ?? 0) > 1280) return true;
  const d = facts.durationS;
  if (d === undefined || !(d > 0)) return true;
  return (sizeBytes * 8) / d > SMALL_ENOUGH_BPS;
}

/**
 * ffmpeg arguments for the rendition: H.264 Main (plays everywhere), the longest side at most
 * 640 px (rotation applied, even sizes), CRF 28 capped at 700 kbit/s, a key frame every 2 s
 * (seeking), mono AAC 64 kbit/s when there is sound, `faststart` (the index first, so playback
 * starts before the whole file has arrived).
 */
export function videoPreviewArgs(input: string, output: string, hasAudio: boolean): string[] {
  const side = VIDEO_PREVIEW_MAX_SIDE;
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    ...untrustedInputArgs(),
    '-i',
    `file:${input}`,
    '-map',
    '0:v:0',
    ...(hasAudio ? ['-map', '0:a:0?'] : ['-an']),
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-vf',
    `scale=w='min(${side},iw)':h='min(${side},ih)':force_original_aspect_ratio=decrease:force_divisible_by=2,format=yuv420p`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-profile:v',
    'main',
    '-crf',
    '28',
    '-maxrate',
    `${VIDEO_PREVIEW_MAXRATE_KBPS}k`,
    '-bufsize',
    `${VIDEO_PREVIEW_MAXRATE_KBPS * 2}k`,
    '-force_key_frames',
    'expr:gte(t,n_forced*2)',
    '-threads',
    '2',
    ...(hasAudio ? ['-c:a', 'aac', '-b:a', '64k', '-ac', '1'] : []),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    '-y',
    `file:${output}`,
  ];
}

export interface VideoPreviewOutcome {
  made: boolean;
  /** Why no rendition was made when one was needed (for a NO_DERIVATIVES warning). */
  error?: string;
}

/**
 * Encode the rendition of `input` to `target`. Resolves `{ made: false, error }` when ffmpeg
 * cannot (a broken file: the item keeps its original for playback); rejects only when aborted or
 * when the drive fails (ENOSPC, EIO), which the caller reports as an environment fault.
 */
export async function makeVideoPreview(
  runner: ProcessRunner,
  input: string,
  target: string,
  opts: { hasAudio: boolean; durationS?: number | undefined; signal?: AbortSignal | undefined },
): Promise<VideoPreviewOutcome> {
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // A minute plus four times the clip's length: a Pi 4 encodes this size several times faster.
    const timeoutMs = 60_000 + 4_000 * Math.max(0, opts.durationS ?? 600);
    const res = await runner.run('ffmpeg', videoPreviewArgs(input, tmp, opts.hasAudio), {
      ...(opts.signal ? { signal: opts.signal } : {}),
      timeoutMs,
      maxStdoutBytes: 1024 * 1024,
    });
    opts.signal?.throwIfAborted();
    const size = (await stat(tmp).catch(() => undefined))?.size ?? 0;
    if (res.code !== 0 || size === 0) {
      // ffmpeg reports a full drive in words: that is the drive's fault, not the file's.
      if (/No space left on device|Disk quota exceeded/i.test(res.stderr))
        throw Object.assign(new Error(`writing a video preview: no space left on the drive`), {
          code: 'ENOSPC',
        });
      return {
        made: false,
        error: ffmpegErrorLine(res.stderr, input) ?? `ffmpeg exited with ${res.code ?? res.signal}`,
      };
    }
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    await fsyncDir(dir);
    return { made: true };
  } finally {
    await rm(tmp, { force: true });
  }
}
