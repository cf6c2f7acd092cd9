/**
 * Readers of the timing output (frame-branch.ts): the 48-byte frames of the encoded mode and the
 * `framecrc` lines of a stream copy, fed with whatever chunks the pipe delivers. Pure: the wall
 * clock of each chunk's arrival is passed in.
 */
import { SIGNED_OFFSET_US, TIMING_FRAME_BYTES, TIMING_MARK } from './frame-branch.js';

/** One frame of a run, in the run's output time line. */
export interface FrameTime {
  /** 0-based position in the run. */
  n: number;
  /** Time in the run's output (the segment list's time line), seconds. */
  ptsS: number;
  /** The source's own time (counted from its first frame by ffmpeg), seconds. */
  cameraS: number;
  /** Wall clock of the frame, ms since the epoch: ffmpeg's (pixels) or its arrival (framecrc). */
  wallMs: number;
  /** When Node read it, ms since the epoch. */
  arrivedMs: number;
  /** A keyframe (a stream copy cuts segments only there; re-encoded frames are all cut points). */
  key: boolean;
}

function uintLE(b: Buffer, from: number, bytes: number): number {
  let v = 0;
  for (let i = from + bytes - 1; i >= from; i--) v = v * 256 + b[i]!;
  return v;
}

/** Splits the encoded mode's byte stream into frames and decodes the three times of each. */
export class PixelTimingParser {
  private buf: Buffer = Buffer.alloc(0);
  private n = 0;
  /** Frames whose mark byte was wrong (the stream is out of step; they are skipped). */
  bad = 0;

  push(chunk: Buffer, arrivedMs: number): FrameTime[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: FrameTime[] = [];
    let at = 0;
    for (; at + TIMING_FRAME_BYTES <= this.buf.length; at += TIMING_FRAME_BYTES) {
      const f = this.buf.subarray(at, at + TIMING_FRAME_BYTES);
      if (f[19] !== TIMING_MARK) {
        this.bad++;
        this.n++;
        continue;
      }
      out.push({
        n: this.n++,
        cameraS: (uintLE(f, 0, 6) - SIGNED_OFFSET_US) / 1e6,
        ptsS: (uintLE(f, 6, 6) - SIGNED_OFFSET_US) / 1e6,
        wallMs: uintLE(f, 12, 7) / 1000,
        arrivedMs,
        key: true,
      });
    }
    this.buf = this.buf.subarray(at);
    return out;
  }
}

/** ffmpeg's AV_NOPTS_VALUE (−2^63) as printed, or anything near it. */
const NOPTS = -(2 ** 62);

/**
 * `framecrc` text: `#tb 0: 1/1200000` then `stream, dts, pts, duration, size, crc` per packet.
 * A copy has no gate: the camera clock and the recording's time line are the same numbers.
 */
export class FramecrcTimingParser {
  private rest = '';
  private n = 0;
  private tb: number | undefined;

  push(chunk: Buffer, arrivedMs: number): FrameTime[] {
    this.rest += chunk.toString('latin1');
    const out: FrameTime[] = [];
    let nl: number;
    while ((nl = this.rest.indexOf('\n')) >= 0) {
      const line = this.rest.slice(0, nl).trim();
      this.rest = this.rest.slice(nl + 1);
      const tb = /^#tb 0:\s*(\d+)\/(\d+)/.exec(line);
      if (tb) {
        this.tb = Number(tb[1]) / Number(tb[2]);
        continue;
      }
      if (!line || line.startsWith('#') || this.tb === undefined) continue;
      const f = line.split(',').map((s) => s.trim());
      if (f[0] !== '0' || f.length < 6) continue;
      // A raw H.264 elementary stream (rpicam-vid) has no pts: its dts is the same order.
      const pts = Number(f[2]) > NOPTS ? Number(f[2]) : Number(f[1]);
      if (!Number.isFinite(pts) || pts <= NOPTS) continue;
      const s = pts * this.tb;
      // Flags are printed only when they are not just "key" (`F=0x0`: not a keyframe).
      const flags = /F=0x([0-9a-f]+)/i.exec(f.slice(6).join(','));
      const key = !flags || (parseInt(flags[1]!, 16) & 1) === 1;
      out.push({ n: this.n++, ptsS: s, cameraS: s, wallMs: arrivedMs, arrivedMs, key });
    }
    if (this.rest.length > 64 * 1024) this.rest = '';
    return out;
  }
}
