/**
 * Detector results over time → motion events. Pure: times are seconds on whatever clock the
 * caller uses (wall-clock epoch seconds in the recorder, clip seconds in tests) and are never
 * read here.
 *
 * - Debounce: an event starts after `minFrames` motion frames in a row (a single noisy frame is
 *   not an event). Once an event is open, any motion frame extends it (hysteresis).
 * - Merge: motion that resumes within `mergeGapSeconds` of quiet continues the same event, so
 *   the event closes only when the gap has passed (like `event_gap` of the motion daemon).
 * - Window: the saved clip runs from `motionStart − preRoll` to `motionEnd + postRoll`, never
 *   overlapping the previous event's clip.
 * - An event longer than `maxEventSeconds` is closed and, if motion goes on, a new one opens.
 */
import type { Box, DetectorResult } from './detector.js';

export interface EventOptions {
  /** Default 5. */
  preRollSeconds?: number;
  /** Default 5. */
  postRollSeconds?: number;
  /** Default 10. */
  mergeGapSeconds?: number;
  /** Motion frames in a row that open an event. Default 2. */
  minFrames?: number;
  /** Default 300. */
  maxEventSeconds?: number;
}

export interface MotionEvent {
  /** Clip window: first motion − pre-roll (not before the previous event's end). */
  start: number;
  /** Clip window: last motion + post-roll (the cut time for an event split at the maximum). */
  end: number;
  /** First frame of the motion run that opened the event. */
  motionStart: number;
  /** Last motion frame. */
  motionEnd: number;
  peakScore: number;
  /** Time of the frame with the peak score (for the thumbnail). */
  peakAt: number;
  /** Box of the peak frame (what the thumbnail shows). */
  peakBox: Box | null;
  /** Union of every motion frame's box. */
  box: Box | null;
  /** Motion frames in the event. */
  frames: number;
}

export type EventUpdate = { type: 'start'; event: MotionEvent } | { type: 'end'; event: MotionEvent };

type Result = Pick<DetectorResult, 'motion' | 'score' | 'box'>;

export function unionBox(a: Box | null, b: Box | null): Box | null {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    w: Math.max(a.x + a.w, b.x + b.w) - x,
    h: Math.max(a.y + a.h, b.y + b.h) - y,
  };
}

export class EventTracker {
  private readonly pre: number;
  private readonly post: number;
  private readonly gap: number;
  private readonly minFrames: number;
  private readonly maxLen: number;
  private open: MotionEvent | null = null;
  /** The pending motion run before it is long enough to open an event. */
  private run: {
    start: number;
    frames: number;
    peak: number;
    peakAt: number;
    peakBox: Box | null;
    box: Box | null;
  } | null = null;
  private lastEnd = -Infinity;

  constructor(opts: EventOptions = {}) {
    this.pre = opts.preRollSeconds ?? 5;
    this.post = opts.postRollSeconds ?? 5;
    this.gap = opts.mergeGapSeconds ?? 10;
    this.minFrames = opts.minFrames ?? 2;
    this.maxLen = opts.maxEventSeconds ?? 300;
  }

  /** The event in progress (a copy), if any. */
  get active(): MotionEvent | null {
    return this.open ? { ...this.open } : null;
  }

  /** Feed one analysed frame, in time order. */
  push(t: number, r: Result): EventUpdate[] {
    const out: EventUpdate[] = [];
    const ev = this.open;
    if (ev && t - ev.motionEnd > Math.max(this.gap, this.post))
      out.push(this.close(ev.motionEnd + this.post));
    if (this.open && t - this.open.motionStart >= this.maxLen) out.push(this.close(t));

    if (!r.motion) {
      this.run = null;
      return out;
    }
    if (this.open) {
      this.extend(this.open, t, r);
      return out;
    }
    const run = this.run;
    if (!run) this.run = { start: t, frames: 1, peak: r.score, peakAt: t, peakBox: r.box, box: r.box };
    else {
      run.frames++;
      run.box = unionBox(run.box, r.box);
      if (r.score > run.peak) Object.assign(run, { peak: r.score, peakAt: t, peakBox: r.box });
    }
    const cur = this.run!;
    if (cur.frames >= this.minFrames) {
      this.open = {
        start: Math.max(cur.start - this.pre, this.lastEnd),
        end: t + this.post,
        motionStart: cur.start,
        motionEnd: t,
        peakScore: cur.peak,
        peakAt: cur.peakAt,
        peakBox: cur.peakBox,
        box: cur.box,
        frames: cur.frames,
      };
      this.run = null;
      out.push({ type: 'start', event: { ...this.open } });
    }
    return out;
  }

  /** End of input (camera stopped): close the event in progress at `t`. */
  flush(t: number): EventUpdate[] {
    const ev = this.open;
    if (!ev) return [];
    return [this.close(Math.min(t, ev.motionEnd + this.post))];
  }

  private extend(ev: MotionEvent, t: number, r: Result): void {
    ev.motionEnd = t;
    ev.end = t + this.post;
    ev.frames++;
    ev.box = unionBox(ev.box, r.box);
    if (r.score > ev.peakScore) {
      ev.peakScore = r.score;
      ev.peakAt = t;
      ev.peakBox = r.box;
    }
  }

  private close(end: number): EventUpdate {
    const ev = { ...this.open!, end };
    this.open = null;
    this.lastEnd = end;
    return { type: 'end', event: ev };
  }
}

/** Batch form: every event in a sequence of timed results (closed at the last sample). */
export function eventsFromResults(
  samples: Iterable<{ t: number; result: Result }>,
  opts: EventOptions = {},
): MotionEvent[] {
  const tracker = new EventTracker(opts);
  const events: MotionEvent[] = [];
  for (const s of samples) {
    for (const u of tracker.push(s.t, s.result)) if (u.type === 'end') events.push(u.event);
  }
  for (const u of tracker.flush(Infinity)) events.push(u.event);
  return events;
}
