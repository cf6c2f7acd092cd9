/**
 * ffmpeg `-progress` output: key=value lines, a block ending with `progress=continue|end`.
 * Pure parser, fed with whatever chunks the pipe delivers.
 */
export interface ProgressReport {
  /** Frames of the first output's video stream so far. */
  frame: number;
  /** Output time reached, milliseconds. */
  outTimeMs: number;
  /** Frames ffmpeg dropped so far (a source faster than the pipeline, a frame rate lowered). */
  dropFrames: number;
  speed?: number;
  end: boolean;
}

export class ProgressParser {
  private buf = '';
  private cur: Record<string, string> = {};

  /** Feed a chunk; returns the reports completed by it. */
  push(chunk: string): ProgressReport[] {
    this.buf += chunk;
    const out: ProgressReport[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1).trim();
      if (key !== 'progress') {
        this.cur[key] = value;
        continue;
      }
      const frame = Number(this.cur.frame);
      const us = Number(this.cur.out_time_us);
      const speed = Number.parseFloat(this.cur.speed ?? '');
      const drops = Number(this.cur.drop_frames);
      out.push({
        frame: Number.isFinite(frame) ? frame : 0,
        outTimeMs: Number.isFinite(us) && us > 0 ? Math.round(us / 1000) : 0,
        dropFrames: Number.isFinite(drops) && drops > 0 ? drops : 0,
        ...(Number.isFinite(speed) ? { speed } : {}),
        end: value === 'end',
      });
      this.cur = {};
    }
    // A runaway line (not ffmpeg's progress) must not grow without bound.
    if (this.buf.length > 64 * 1024) this.buf = '';
    return out;
  }
}
