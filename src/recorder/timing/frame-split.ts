/**
 * A run's frames, split by the segment list: the frames of one segment (in presentation order,
 * times made relative to the segment file, which starts at 0: `-reset_timestamps`), and the frame
 * on screen at a given wall-clock instant. Pure.
 */
import type { FrameTime } from './frame-parse.js';

/** One row of a segment's `frames.csv`. */
export interface SegmentFrame {
  /** 0-based frame number in the segment file (ffprobe's order). */
  frame: number;
  /** Presentation time in the segment file, seconds. */
  ptsS: number;
  cameraS: number;
  wallMs: number;
}

/**
 * The segment list's times are printed with 6 decimals (µs); a frame starting a segment may be a
 * rounding step either side of its `start`.
 */
const EPS_S = 5e-4;

/** The frames of the run with `start − ε ≤ pts < end − ε`, sorted by pts. */
export function framesOfSegment(frames: readonly FrameTime[], startS: number, endS: number): SegmentFrame[] {
  return frames
    .filter((f) => f.ptsS >= startS - EPS_S && f.ptsS < endS - EPS_S)
    .sort((a, b) => a.ptsS - b.ptsS)
    .map((f, i) => ({ frame: i, ptsS: round6(f.ptsS - startS), cameraS: f.cameraS, wallMs: f.wallMs }));
}

/**
 * The frame current at `wallMs` (the last one whose wall clock is not after it), or undefined
 * before the first. `frames` in wall-clock order (the order they arrive).
 */
export function frameAtWall<T extends { wallMs: number }>(
  frames: readonly T[],
  wallMs: number,
): T | undefined {
  let lo = 0;
  let hi = frames.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid]!.wallMs <= wallMs) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? frames[lo - 1] : undefined;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
