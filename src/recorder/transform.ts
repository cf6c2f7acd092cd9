/**
 * A camera's picture as configured (fleet per-camera settings, docs/fleet.md): rotation, flips,
 * size and frame rate, as one ffmpeg filter chain on the recorded output. Pure. A transform means
 * re-encoding: a stream copy cannot turn or scale a picture.
 */
import { timestampFilter, type OverlayPosition } from './live/overlay.js';

export interface VideoTransform {
  /** Clockwise, degrees. */
  rotation?: 0 | 90 | 180 | 270 | undefined;
  hflip?: boolean | undefined;
  vflip?: boolean | undefined;
  /** Output size (after rotation); both or neither. */
  width?: number | undefined;
  height?: number | undefined;
  fps?: number | undefined;
  /**
   * Record nothing before this instant (ms since the epoch, by the machine's own clock): the
   * pipeline runs already and frames are dropped until the wall clock reaches it (a fleet
   * session's start instant; the recording's time line starts at its first kept frame).
   */
  startAtMs?: number | undefined;
  /** Burn the wall-clock time into the recording, in this corner (font: the live view's). */
  timestamp?: { position: OverlayPosition; fontFile?: string | undefined } | undefined;
}

/**
 * The start gate as a filter chain: ffmpeg's time(0) is the wall clock as each frame (or audio
 * frame) passes; nothing before `startAtMs` is kept, and the kept frames' time line restarts at 0.
 * The same gate on every output that must start with the recording (picture, sound, detector).
 */
export function gateFilter(startAtMs: number, kind: 'video' | 'audio' = 'video'): string {
  const a = kind === 'audio' ? 'a' : '';
  return `${a}select='gte(time(0),${(startAtMs / 1000).toFixed(3)})',${a}setpts=PTS-STARTPTS`;
}

/** Whether the transform changes anything. */
export function transforms(t: VideoTransform | undefined): boolean {
  return (
    !!t &&
    (!!t.rotation ||
      !!t.hflip ||
      !!t.vflip ||
      !!t.width ||
      !!t.fps ||
      t.startAtMs !== undefined ||
      !!t.timestamp)
  );
}

/**
 * The `-vf` chain: the start gate, then frame rate (fewer frames to turn), then rotation (transpose: 1 is 90°
 * clockwise, 2 is 90° counter-clockwise; 180° is both flips), the asked flips (a flip after a
 * flip cancels), then the size (even numbers: yuv420p wants them).
 */
export function transformFilter(t: VideoTransform): string | undefined {
  const f: string[] = [];
  // The gate first (a segment list counted from the first kept frame).
  if (t.startAtMs !== undefined) f.push(gateFilter(t.startAtMs));
  if (t.fps) f.push(`fps=${t.fps}`);
  let h = !!t.hflip;
  let v = !!t.vflip;
  if (t.rotation === 90) f.push('transpose=1');
  else if (t.rotation === 270) f.push('transpose=2');
  else if (t.rotation === 180) {
    h = !h;
    v = !v;
  }
  if (h) f.push('hflip');
  if (v) f.push('vflip');
  if (t.width && t.height) f.push(`scale=${t.width - (t.width % 2)}:${t.height - (t.height % 2)}`);
  // Last: the text upright and at its size in the picture as recorded.
  if (t.timestamp) f.push(timestampFilter('auto', t.timestamp.fontFile, undefined, t.timestamp.position));
  return f.length ? f.join(',') : undefined;
}
