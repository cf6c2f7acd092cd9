/**
 * The RAM ring: the capture process writes 1 s MPEG-TS segments into a tmpfs directory
 * (`/dev/shm/outpost/<camera>/ring/`); this keeps the last `keepSeconds` of them (the pre-roll)
 * plus everything an open event still needs, deletes the rest, and assembles an event's
 * segments into one MP4.
 *
 * Trimming: segments are cut by ffmpeg's segment muxer at keyframes (the capture process forces
 * one keyframe per second), and the clip is stream-copied, so it can only start and end on
 * segment boundaries. An event clip is therefore every segment that overlaps [start, end]: it
 * starts at the keyframe at or before `start` and ends at the segment boundary at or after
 * `end` — up to one segment longer on each side, never shorter.
 */
import { rm, writeFile } from 'node:fs/promises';
import type { ProcessRunner } from '../../adapters/process-runner.js';
import type { ListedSegment } from '../segments.js';

export interface RingSegment {
  path: string;
  /** Seconds on the recorder's clock (the same clock as the detector frames). */
  start: number;
  end: number;
}

export interface RingOptions {
  /** Seconds of the newest segments always kept: at least the pre-roll plus one segment. */
  keepSeconds: number;
  /** Deletes a segment file (default: fs.rm, missing files ignored). */
  remove?: (path: string) => Promise<void>;
}

export class SegmentRing {
  private segs: RingSegment[] = [];
  private hold: number | null = null;
  private readonly keep: number;
  private readonly remove: (path: string) => Promise<void>;

  constructor(opts: RingOptions) {
    this.keep = opts.keepSeconds;
    this.remove = opts.remove ?? ((p) => rm(p, { force: true }));
  }

  /** The segments held, oldest first. */
  get segments(): readonly RingSegment[] {
    return this.segs;
  }

  /** A segment the capture process closed. Prunes what is no longer needed; returns the deleted paths. */
  async add(seg: RingSegment): Promise<string[]> {
    this.segs.push(seg);
    this.segs.sort((a, b) => a.start - b.start);
    return this.prune();
  }

  /**
   * Keep every segment that ends after `from` whatever its age (an open event's start), or
   * `null` to go back to keeping only the last `keepSeconds`.
   */
  holdFrom(from: number | null): void {
    this.hold = from;
  }

  /** Segments overlapping [start, end], oldest first. */
  between(start: number, end: number): RingSegment[] {
    return this.segs.filter((s) => s.end > start && s.start < end);
  }

  async prune(): Promise<string[]> {
    const newest = this.segs.at(-1)?.end ?? -Infinity;
    let cut = newest - this.keep;
    if (this.hold !== null) cut = Math.min(cut, this.hold);
    const old = this.segs.filter((s) => s.end <= cut);
    this.segs = this.segs.filter((s) => s.end > cut);
    for (const s of old) await this.remove(s.path);
    return old.map((s) => s.path);
  }

  /** Delete every segment (camera stopped). */
  async clear(): Promise<void> {
    const all = this.segs;
    this.segs = [];
    for (const s of all) await this.remove(s.path);
  }
}

/**
 * Segments of ffmpeg's list (parsed by segments.ts, times in seconds from the start of the
 * capture) → ring segments on the recorder's clock (`origin` = that start's time).
 */
export function toRingSegments(listed: readonly ListedSegment[], origin = 0): RingSegment[] {
  return listed.map((s) => ({ path: s.path, start: origin + s.startS, end: origin + s.endS }));
}

/** A concat-demuxer list (`file '…'` lines, quotes escaped). */
export function concatList(paths: readonly string[]): string {
  return paths.map((p) => `file '${p.replace(/'/g, "'\\''")}'\n`).join('');
}

/** Stream-copy the listed segments into one MP4 that plays from the first byte (faststart). */
export function assembleArgs(listPath: string, outPath: string): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    `file:${listPath}`,
    '-map',
    '0',
    '-c',
    'copy',
    '-avoid_negative_ts',
    'make_zero',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    '-y',
    `file:${outPath}`,
  ];
}

export interface AssembledClip {
  path: string;
  /** The clip's actual span: segment boundaries around the asked [start, end]. */
  start: number;
  end: number;
  segments: number;
}

/**
 * Assemble the segments covering [start, end] into `outPath` (an MP4). Writes the concat list
 * beside the output and removes it afterwards. Throws when no segment covers the window or
 * ffmpeg fails.
 */
export async function assembleEvent(
  runner: ProcessRunner,
  segments: readonly RingSegment[],
  start: number,
  end: number,
  outPath: string,
  opts: { signal?: AbortSignal } = {},
): Promise<AssembledClip> {
  const picked = segments.filter((s) => s.end > start && s.start < end).sort((a, b) => a.start - b.start);
  if (picked.length === 0) throw new Error(`no ring segment covers ${start.toFixed(1)}–${end.toFixed(1)} s`);
  const listPath = `${outPath}.concat.txt`;
  await writeFile(listPath, concatList(picked.map((s) => s.path)));
  try {
    const res = await runner.run('ffmpeg', assembleArgs(listPath, outPath), {
      ...(opts.signal ? { signal: opts.signal } : {}),
      timeoutMs: 120_000,
    });
    if (res.code !== 0)
      throw new Error(`assembling the event clip failed: ${res.stderr.trim().split('\n').at(-1)}`);
  } finally {
    await rm(listPath, { force: true });
  }
  return { path: outPath, start: picked[0]!.start, end: picked.at(-1)!.end, segments: picked.length };
}
