/**
 * Motion mode of one camera (docs/recorder.md): grey frames (fd 3 of every ffmpeg run) →
 * detector → event windows; the RAM ring of 1 s segments keeps the pre-roll; a closed event is
 * assembled from the ring (pre-roll + event + post-roll, stream copy) into a clip on the library
 * drive, placed as a library item like a continuous segment, and given the motion-box thumbnail.
 *
 * Clock: every time here is wall-clock epoch seconds on the run's anchor (the recorder's
 * estimate of when output time 0 was captured). Frames are `anchor + index / fps`, ring segments
 * `anchor + the segment list's start/end`, so both share one origin per run.
 *
 * Crash safety: the clip is assembled into `.outpost/rec/.motion/<camera>/<startMs>.mp4` on the
 * library drive, then its facts are written beside it (`.json`). A clip with facts is a finished
 * event that is placed at the next start (`recover`); a clip without them was cut off and goes.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../adapters/logger.js';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { markThumbnailMade } from '../library/catalog/items.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { derivedRelPath, type DriveLayout } from '../library/layout.js';
import { detectorOptions, eventOptions, type MotionConfig } from './motion/config.js';
import {
  createMotionDetector,
  type Box,
  type DetectorResult,
  type MotionDetector,
} from './motion/detector.js';
import { EventTracker, type MotionEvent } from './motion/events.js';
import { readGreyFrames } from './motion/grey-frames.js';
import { SegmentRing, assembleEvent, type RingSegment } from './motion/ring.js';
import { motionThumbnail } from './motion/thumbnail.js';
import {
  deriveSegment,
  placeRecording,
  type MotionRecordingFacts,
  type SegmentItemDeps,
  type SessionPlacement,
} from './segment-item.js';

/** A saved motion event (the `motion-event` recorder and station event). */
export interface MotionEventSaved {
  camera: string;
  /** The library item. */
  id: string;
  path: string;
  start: string;
  end: string;
  durationS: number | null;
  peakScore: number;
  box: Box | null;
}

/** Where the detector sees motion now (fractions of the frame), or null: none. */
export interface MotionBox {
  camera: string;
  box: Box | null;
  /** The analysed frame's wall-clock time. */
  atMs: number;
}

export interface MotionModeOptions {
  camera: string;
  config: MotionConfig;
  /** The grey frames' exact size (what output B scales to). */
  frame: { width: number; height: number };
  layout: DriveLayout;
  /** The recorder's open catalogue (undefined once it is closed). */
  catalog: () => Catalog | undefined;
  deps: SegmentItemDeps & { log: Logger };
  /** The fleet session its events record for (kept in each clip's facts). */
  session?: SessionPlacement | undefined;
  onSaved: (e: MotionEventSaved) => void;
  onFailed: (e: { camera: string; path: string; code: string; message: string }) => void;
  /** Where motion is now (the live view's highlight): told when the box appears, moves or goes. */
  onBox?: (e: MotionBox) => void;
  /** Give up waiting for the ring to reach an event's end after this long (camera gone). */
  segmentWaitMs?: number;
}

/** Where finished-but-unplaced event clips wait (library drive; camera names never start with a dot). */
export function motionWorkDir(layout: DriveLayout, camera: string): string {
  return join(layout.outpostDir, 'rec', '.motion', camera);
}

/** What `<clip>.json` holds: enough to place the clip and draw its thumbnail after a crash. */
interface PendingClip {
  startMs: number;
  endMs: number;
  recording: MotionRecordingFacts;
  /** Seconds into the clip of the peak frame. */
  peakOffsetS: number;
}

/**
 * The ring segments for an event window, rounded to the nearest segment boundary at each end
 * (a segment counts when at least half of it is inside the window), and always every segment
 * with motion in it. Stream copy can only cut at the 1 s keyframes, so the clip is within half a
 * segment of the window, instead of up to a whole segment longer at each end.
 */
export function pickSegments(segments: readonly RingSegment[], ev: MotionEvent): RingSegment[] {
  return segments
    .filter((s) => {
      const overlap = Math.min(s.end, ev.end) - Math.max(s.start, ev.start);
      if (overlap <= 0) return false;
      if (s.end > ev.motionStart && s.start <= ev.motionEnd) return true;
      return overlap >= (s.end - s.start) / 2;
    })
    .sort((a, b) => a.start - b.start);
}

export class MotionMode {
  readonly ring: SegmentRing;
  private readonly detector: MotionDetector;
  private readonly tracker: EventTracker;
  private readonly workDir: string;
  /** Starts of events closed but not saved yet: the ring must keep their segments. */
  private readonly pending = new Map<MotionEvent, number>();
  private saves: Promise<void> = Promise.resolve();
  private readonly readers = new Set<Promise<void>>();
  private waiters: { until: number; resolve: () => void }[] = [];
  private lastT = -Infinity;
  private stopping = false;

  constructor(private readonly o: MotionModeOptions) {
    this.detector = createMotionDetector(detectorOptions(o.config, o.frame.width, o.frame.height));
    this.tracker = new EventTracker(eventOptions(o.config));
    this.ring = new SegmentRing({ keepSeconds: o.config.preRollSeconds + 2 });
    this.workDir = motionWorkDir(o.layout, o.camera);
  }

  /**
   * A new ffmpeg run: read its grey frames until the stream ends. `originMs` is the run's
   * anchor (read at each frame: the recorder refines it from ffmpeg's progress reports).
   */
  attach(grey: Readable, originMs: () => number): void {
    // Paused before anyone reads: the supervisor drains outputs nobody claimed.
    grey.pause();
    // A new process: its first frame primes a fresh background.
    this.detector.reset();
    const p = this.read(grey, originMs).finally(() => this.readers.delete(p));
    this.readers.add(p);
  }

  /** A closed ring segment (times in wall-clock seconds). */
  async addSegment(seg: RingSegment): Promise<void> {
    await this.ring.add(seg);
    const newest = this.ring.segments.at(-1)?.end ?? -Infinity;
    const ready = this.waiters.filter((w) => newest >= w.until);
    this.waiters = this.waiters.filter((w) => newest < w.until);
    for (const w of ready) w.resolve();
  }

  /** The camera stopped: read the last frames, close and save the event in progress, empty the ring. */
  async stop(): Promise<void> {
    await Promise.all([...this.readers]);
    for (const u of this.tracker.flush(this.lastT)) if (u.type === 'end') this.queueSave(u.event);
    this.stopping = true;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    await this.saves;
    await this.ring.clear();
  }

  /** Place clips a killed process assembled but did not place; drop half-written ones. */
  async recover(): Promise<void> {
    const names = await readdir(this.workDir).catch(() => [] as string[]);
    const keep = new Set<string>();
    for (const n of names.filter((x) => x.endsWith('.mp4')).sort()) {
      const clip = join(this.workDir, n);
      const meta = await readFile(`${clip}.json`, 'utf8')
        .then((t) => JSON.parse(t) as PendingClip)
        .catch(() => undefined);
      if (!meta) continue;
      try {
        await this.place(clip, meta);
      } catch (e) {
        // Kept for the next start (the drive or catalogue may be back by then), unless unplayable.
        if (!(isOutpostError(e) && e.code === 'SEGMENT_INVALID')) keep.add(n).add(`${n}.json`);
        this.fail(clip, e);
      }
    }
    // Whatever else is left: clips cut off mid-assembly, concat lists.
    for (const n of await readdir(this.workDir).catch(() => [] as string[]))
      if (!keep.has(n)) await rm(join(this.workDir, n), { force: true, recursive: true });
  }

  private async read(grey: Readable, originMs: () => number): Promise<void> {
    const { width, height } = this.o.frame;
    try {
      for await (const f of readGreyFrames(grey, { width, height, fps: this.o.config.fps })) {
        const t = originMs() / 1000 + f.t;
        // A restart's first frames can precede the old run's last ones on the wall clock by the
        // anchor's error: time only moves forward for the tracker.
        if (t <= this.lastT) continue;
        this.lastT = t;
        this.onFrame(t, this.detector.detect(f.data));
      }
    } catch (e) {
      this.o.deps.log.warn({ camera: this.o.camera, err: e }, 'motion: grey frames ended with an error');
    }
  }

  private onFrame(t: number, r: DetectorResult): void {
    this.tellBox(t, r.motion ? r.box : null);
    for (const u of this.tracker.push(t, r)) {
      if (u.type === 'end') this.queueSave(u.event);
    }
    this.updateHold();
  }

  private lastBox: Box | null = null;

  /** The box when it changed by more than 1 % of the frame (or appeared, or went). */
  private tellBox(t: number, box: Box | null): void {
    const a = this.lastBox;
    const moved =
      !a || !box
        ? a !== box
        : Math.max(
            Math.abs(a.x - box.x),
            Math.abs(a.y - box.y),
            Math.abs(a.w - box.w),
            Math.abs(a.h - box.h),
          ) > 0.01;
    if (!moved) return;
    this.lastBox = box;
    this.o.onBox?.({ camera: this.o.camera, box: box ? roundBox(box) : null, atMs: Math.round(t * 1000) });
  }

  /** Keep every segment an open or unsaved event still needs. */
  private updateHold(): void {
    const starts = [...this.pending.values()];
    const open = this.tracker.active;
    if (open) starts.push(open.start);
    this.ring.holdFrom(starts.length ? Math.min(...starts) : null);
  }

  private queueSave(ev: MotionEvent): void {
    this.pending.set(ev, ev.start);
    this.updateHold();
    this.saves = this.saves
      .then(() => this.save(ev))
      .catch((e: unknown) =>
        this.fail(`${this.o.camera} event at ${new Date(ev.start * 1000).toISOString()}`, e),
      )
      .finally(() => {
        this.pending.delete(ev);
        this.updateHold();
      });
  }

  /** Resolves when the ring holds a segment ending at or after `t` (or the camera stopped, or a timeout). */
  private waitForRing(t: number): Promise<void> {
    const newest = this.ring.segments.at(-1)?.end ?? -Infinity;
    // Half a frame of slack: the anchor is refined while the run goes on.
    if (this.stopping || newest >= t - 0.1) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.o.segmentWaitMs ?? 30_000);
      this.waiters.push({
        until: t - 0.1,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private async save(ev: MotionEvent): Promise<void> {
    await this.waitForRing(ev.end);
    const picked = pickSegments(this.ring.segments, ev);
    if (picked.length === 0)
      throw new OutpostError(
        'RECORDING_FAILED',
        `no ring segment covers the motion event ${iso(ev.start)}–${iso(ev.end)} (the camera restarted?)`,
      );
    await mkdir(this.workDir, { recursive: true });
    const startMs = Math.round(picked[0]!.start * 1000);
    const out = join(this.workDir, `${startMs}.mp4`);
    let clip;
    try {
      clip = await assembleEvent(this.o.deps.runner, picked, picked[0]!.start, picked.at(-1)!.end, out);
    } catch (e) {
      await rm(out, { force: true });
      throw new OutpostError('RECORDING_FAILED', `motion event clip: ${errorText(e)}`, { cause: e });
    }
    const meta: PendingClip = {
      startMs: Math.round(clip.start * 1000),
      endMs: Math.round(clip.end * 1000),
      peakOffsetS: Math.max(0, ev.peakAt - clip.start),
      recording: {
        camera: this.o.camera,
        mode: 'motion',
        start: iso(clip.start),
        end: iso(clip.end),
        motionStart: iso(ev.motionStart),
        motionEnd: iso(ev.motionEnd),
        peakScore: Math.round(ev.peakScore * 1000) / 1000,
        peakAt: iso(ev.peakAt),
        box: roundBox(ev.box),
        peakBox: roundBox(ev.peakBox),
        frames: ev.frames,
        ...(this.o.session ? { session: this.o.session } : {}),
      },
    };
    // The facts make the clip a finished event for `recover` after a crash.
    await writeFile(`${out}.json`, JSON.stringify(meta));
    await this.place(out, meta);
  }

  private async place(clipPath: string, meta: PendingClip): Promise<void> {
    const cat = this.o.catalog();
    if (!cat)
      throw new OutpostError(
        'RECORDING_FAILED',
        'the catalogue is closed; the clip is placed at the next start',
      );
    const { layout, deps } = this.o;
    const { item, created } = await placeRecording(
      cat,
      layout,
      {
        path: clipPath,
        camera: this.o.camera,
        startMs: meta.startMs,
        endMs: meta.endMs,
        recording: meta.recording,
      },
      deps,
    );
    await rm(`${clipPath}.json`, { force: true });
    if (created) await this.derive(cat, item, meta);
    this.o.onSaved({
      camera: this.o.camera,
      id: item.id,
      path: item.path,
      start: meta.recording.start,
      end: meta.recording.end,
      durationS: item.duration_s,
      peakScore: meta.recording.peakScore,
      box: meta.recording.box,
    });
  }

  /** Poster and preview as for any video; the thumbnail is the peak frame with the motion box. */
  private async derive(cat: Catalog, item: ItemRow, meta: PendingClip): Promise<void> {
    const { layout, deps } = this.o;
    await deriveSegment(cat, layout, item, deps).catch((err: unknown) =>
      deps.log.warn({ err, item: item.id }, 'event poster failed; retried by the next ingest'),
    );
    try {
      const thumb = await motionThumbnail(
        deps.runner,
        join(layout.root, item.path),
        meta.peakOffsetS,
        meta.recording.peakBox,
        { width: deps.thumbnailSize, format: 'webp' },
      );
      await writeFileAtomic(join(layout.root, derivedRelPath(item.id, 'thumb')), thumb);
      await markThumbnailMade(cat, item.id);
    } catch (e) {
      const err = new OutpostError('RECORDING_FAILED', `motion thumbnail of ${item.path}: ${errorText(e)}`, {
        cause: e,
      });
      deps.log.warn({ camera: this.o.camera, item: item.id, code: err.code }, err.message);
    }
  }

  private fail(what: string, e: unknown): void {
    const err = isOutpostError(e) ? e : new OutpostError('RECORDING_FAILED', errorText(e), { cause: e });
    this.o.deps.log.warn({ camera: this.o.camera, code: err.code, what }, err.message);
    this.o.onFailed({ camera: this.o.camera, path: what, code: err.code, message: err.message });
  }
}

function iso(s: number): string {
  return new Date(Math.round(s * 1000)).toISOString();
}

function roundBox(b: Box | null): Box | null {
  if (!b) return null;
  const r = (v: number): number => Math.round(v * 10_000) / 10_000;
  return { x: r(b.x), y: r(b.y), w: r(b.w), h: r(b.h) };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
