/**
 * A planned timelapse encoded with ffmpeg: the pure command builder ({@link timelapseArgs}) and the
 * run ({@link encodeTimelapse}), which writes the list and chapters to a scratch folder, runs
 * ffmpeg at low priority, writes `<out>.part`, checks the frame count with ffprobe and renames.
 * The caller hands the result to the library intake (one way in).
 *
 * Why this graph is as cheap as a plain image-sequence encode: the concat demuxer reads each
 * JPEG once; scale (a no-op at the same size), deflicker and the captions run on the snapshots,
 * before `fps` repeats a held snapshot; x264 spends next to nothing on repeated frames; a
 * caption's drawtext is switched off (timeline `enable`) outside its outage.
 */
import { lowPriorityCommand, lowPriorityTools } from '../../adapters/low-priority.js';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OutpostError } from '../../core/errors.js';
import type { ProcessRunner } from '../../adapters/process-runner.js';
import type { StreamSpawner } from '../../adapters/spawn-stream.js';
import { ffmpegErrorLine } from '../../media/ffprobe.js';
import {
  chaptersMetadata,
  checkTimelapseSettings,
  concatList,
  gapTitle,
  type TimelapsePlan,
  type TimelapseSettings,
} from './plan.js';

/**
 * The caption font: the one the recorder's burned-in clock uses (Debian/Raspberry Pi OS package
 * `fonts-dejavu-core`). Without it the timelapse is made with chapters only.
 */
export const TIMELAPSE_FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';

/** Demuxers the concat list may open: itself and single JPEG/PNG pictures (snapshots are untrusted). */
export const TIMELAPSE_DEMUXERS = ['concat', 'image2', 'jpeg_pipe', 'png_pipe'];

/**
 * Filtergraph escaping, as in src/recorder/live/overlay.ts: option-level `\ ' :` get a backslash,
 * then the value goes in single quotes for the graph parser.
 */
function graphValue(v: string): string {
  const escaped = v.replace(/[\\':]/g, (c) => `\\${c}`);
  return `'${escaped.replace(/'/g, "'\\''")}'`;
}

/** `t` of a frame that lies between frame positions a and b (half a frame of slack each way). */
function betweenFrames(a: number, b: number, fps: number): string {
  const at = (f: number): string => ((f - 0.5) / fps).toFixed(6);
  return `between(t,${at(a)},${at(b)})`;
}

/**
 * The filter chain: fit to `maxWidth` (never up; even sizes for 4:2:0), deflicker, one caption
 * per outage on the held snapshot, 4:2:0 limited range, then `fps` makes the constant rate.
 * `font`: undefined leaves the captions out.
 */
export function timelapseFilter(plan: TimelapsePlan, s: TimelapseSettings, font: string | undefined): string {
  const w = s.maxWidth - (s.maxWidth % 2);
  const chain = [`scale=w=${graphValue(`trunc(min(${w},iw)/2)*2`)}:h=-2`];
  if (s.deflicker) chain.push('deflicker=size=5');
  if (font !== undefined)
    for (const g of plan.gaps)
      chain.push(
        [
          `drawtext=fontfile=${graphValue(font)}`,
          `text=${graphValue(gapTitle(g))}`,
          'expansion=none',
          `fontsize=${graphValue('max(12,h/28)')}`,
          'fontcolor=white',
          'box=1',
          'boxcolor=black@0.6',
          'boxborderw=4', // a number, not an expression, in ffmpeg 5
          `x=${graphValue('h/40')}`,
          `y=${graphValue('h-th-h/40')}`,
          `enable=${graphValue(betweenFrames(g.startFrame, g.endFrame, plan.fps))}`,
        ].join(':'),
      );
  chain.push('format=yuv420p', `fps=${plan.fps}`);
  return chain.join(',');
}

/** Where the run keeps its inputs and output. `font`: the caption font (none: no captions). */
export interface TimelapsePaths {
  list: string;
  metadata: string;
  out: string;
  font?: string;
}

/**
 * ffmpeg's arguments: the concat list (local files, image demuxers only), the chapters, H.264 at
 * `preset`/`crf`, exactly `plan.frames` frames, progress on stdout, MP4 with the index first.
 */
export function timelapseArgs(plan: TimelapsePlan, paths: TimelapsePaths, s: TimelapseSettings): string[] {
  checkTimelapseSettings(s);
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-v',
    'error',
    '-nostats',
    '-progress',
    'pipe:1',
    '-protocol_whitelist',
    'file',
    '-format_whitelist',
    TIMELAPSE_DEMUXERS.join(','),
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    `file:${paths.list}`,
    '-protocol_whitelist',
    'file',
    '-f',
    'ffmetadata',
    '-i',
    `file:${paths.metadata}`,
    '-map',
    '0:v:0',
    '-map_metadata',
    '1',
    '-map_chapters',
    '1',
    '-vf',
    timelapseFilter(plan, s, paths.font),
    '-c:v',
    'libx264',
    '-preset',
    s.preset,
    '-crf',
    String(s.crf),
    '-pix_fmt',
    'yuv420p',
    // The repeated last file of the list makes one frame too many (or more at a high fps).
    '-frames:v',
    String(plan.frames),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    `file:${paths.out}`,
  ];
}

/** The frame counter of ffmpeg's `-progress` output: the last `frame=N` in a chunk of lines. */
export function progressFrame(text: string): number | undefined {
  let frame: number | undefined;
  for (const m of text.matchAll(/^frame=(\d+)\s*$/gm)) frame = Number(m[1]);
  return frame;
}

/** ffprobe's arguments for the frame count (packets: no decode) and the duration of the video. */
export function verifyArgs(path: string): string[] {
  return [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_packets',
    '-show_entries',
    'stream=nb_read_packets:format=duration',
    '-of',
    'json',
    `file:${path}`,
  ];
}

export function parseVerify(stdout: string): { frames: number; durationS: number } {
  const j = JSON.parse(stdout) as {
    streams?: { nb_read_packets?: string }[];
    format?: { duration?: string };
  };
  return {
    frames: Number(j.streams?.[0]?.nb_read_packets ?? NaN),
    durationS: Number(j.format?.duration ?? NaN),
  };
}

export interface EncodeDeps {
  /** ffprobe and the nice/ionice check. */
  runner: ProcessRunner;
  /** ffmpeg, whose progress is streamed. */
  spawner: StreamSpawner;
  /** The list and chapters go in a folder made here (and removed). */
  tmpDir: string;
  /** Run ffmpeg under `nice -n 19 ionice -c 3` (those that exist). */
  lowPriority: boolean;
  /** Caption font; default {@link TIMELAPSE_FONT_FILE}. Missing: chapters only. */
  fontFile?: string;
  onProgress?(frame: number, frames: number): void;
  signal?: AbortSignal;
}

export interface EncodeResult {
  frames: number;
  durationS: number;
  /** Whether outages are captioned in the picture (false: no font; chapters still mark them). */
  captions: boolean;
}

/**
 * Encodes `plan` to `out` (MP4). Throws TIMELAPSE_FAILED when ffmpeg fails or the video's frame
 * count is off `plan.frames` by more than one; TOOL_MISSING without ffmpeg/ffprobe. Nothing is
 * left at `out` unless it succeeds.
 */
export async function encodeTimelapse(
  plan: TimelapsePlan,
  out: string,
  s: TimelapseSettings,
  deps: EncodeDeps,
): Promise<EncodeResult> {
  deps.signal?.throwIfAborted();
  const work = await mkdtemp(join(deps.tmpDir, 'timelapse-'));
  const part = `${out}.part`;
  try {
    const absolute = { ...plan, entries: plan.entries.map((e) => ({ ...e, file: resolve(e.file) })) };
    const list = join(work, 'list.ffconcat');
    const metadata = join(work, 'chapters.txt');
    await writeFile(list, concatList(absolute));
    await writeFile(metadata, chaptersMetadata(plan));
    const font = deps.fontFile ?? TIMELAPSE_FONT_FILE;
    const captions = plan.gaps.length > 0 && existsSync(font);
    const args = timelapseArgs(plan, { list, metadata, out: part, ...(captions ? { font } : {}) }, s);
    const cmd = deps.lowPriority
      ? lowPriorityCommand('ffmpeg', args, await lowPriorityTools(deps.runner))
      : { cmd: 'ffmpeg', args };

    const child = deps.spawner.spawn(cmd.cmd, cmd.args, deps.signal ? { signal: deps.signal } : {});
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 16 * 1024) stderr += b.toString('utf8');
    });
    let pending = '';
    child.stdout.on('data', (b: Buffer) => {
      pending += b.toString('utf8');
      const cut = pending.lastIndexOf('\n');
      if (cut < 0) return;
      const frame = progressFrame(pending.slice(0, cut));
      pending = pending.slice(cut + 1);
      if (frame !== undefined) deps.onProgress?.(Math.min(frame, plan.frames), plan.frames);
    });
    const exit = await child.exited;
    deps.signal?.throwIfAborted();
    if (exit.error) throw exit.error;
    if (exit.code !== 0)
      throw new OutpostError(
        'TIMELAPSE_FAILED',
        `ffmpeg could not make the timelapse of ${plan.date}: ${ffmpegErrorLine(stderr) ?? `exit ${exit.code ?? exit.signal}`}`,
      );

    const probe = await deps.runner.run('ffprobe', verifyArgs(part), {
      timeoutMs: 120_000,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    deps.signal?.throwIfAborted();
    const got = probe.code === 0 ? parseVerify(probe.stdout.toString('utf8')) : undefined;
    if (!got || !(Math.abs(got.frames - plan.frames) <= 1))
      throw new OutpostError(
        'TIMELAPSE_FAILED',
        got
          ? `the timelapse of ${plan.date} has ${got.frames} frames, not ${plan.frames}`
          : `ffprobe cannot read the timelapse of ${plan.date}: ${ffmpegErrorLine(probe.stderr) ?? `exit ${probe.code}`}`,
      );
    await rename(part, out);
    return { frames: got.frames, durationS: got.durationS, captions };
  } catch (e) {
    await rm(part, { force: true });
    throw e;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Kept here too: the timelapse's tests and callers import them from this module. */
export { lowPriorityCommand, lowPriorityTools };
