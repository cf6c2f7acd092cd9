/**
 * Where a camera's closed segments go (docs/recorder.md). The capture pipeline (recorder.ts) is
 * the same for every mode; the mode is only which sink it feeds: the library sink (continuous:
 * each segment becomes a library item) or the ring sink (motion: the RAM ring keeps the pre-roll
 * and motion events become items).
 */
import type { Readable } from 'node:stream';
import type { GreyOutput } from '../capture-command.js';
import type { MotionBox, MotionEventSaved } from '../motion-mode.js';
import type { SessionPlacement } from '../segment-item.js';
import type { ListedSegment } from '../segments.js';

/** A closed segment of a run (the `segment` and `ring-segment` recorder events carry its times). */
export interface ClosedSegment extends ListedSegment {
  camera: string;
  /** The run's id (its directory name). */
  run: string;
  /** Wall clock, ms: the run's anchor plus the list's start/end. */
  startMs: number;
  endMs: number;
  /** The fleet session the run records for (saved with the run: leftovers go to it too). */
  session?: SessionPlacement | undefined;
}

/** A continuous segment placed as a library item (the `segment` recorder event). */
export interface SegmentEvent {
  camera: string;
  id: string;
  path: string;
  durationS: number | null;
  start: string;
  end: string;
  run: string;
  index: number;
}

export interface SegmentFailure {
  camera: string;
  path: string;
  code: string;
  message: string;
}

/** What a sink reports back to the recorder (which counts it and emits it as an event). */
export interface SinkOutput {
  segment(e: SegmentEvent): void;
  ringSegment(e: ClosedSegment): void;
  motionEvent(e: MotionEventSaved): void;
  /** Motion mode: where motion is now (appeared, moved or went). */
  motionBox?(e: MotionBox): void;
  failed(f: SegmentFailure): void;
  /** Something took space on the drive: check the storage budget (never rejects; failures are logged). */
  spaceUsed(): Promise<void>;
  /** Someone outside listens to `ring-segment` (and so holds ring files, e.g. a live-view buffer). */
  ringListened(): boolean;
}

/** `kept`: could not be placed for a reason worth retrying; the run directory stays. */
export type SinkResult = 'ok' | 'dropped' | 'kept';

export interface SegmentSink {
  /** ffmpeg's segment output: MP4 of `seconds` on the library drive, or 1 s MPEG-TS in RAM. */
  readonly segments: { kind: 'continuous' | 'ring'; seconds: number };
  /** Where the run directories live. */
  readonly root: string;
  /** The sink needs the source's picture size (motion detector) when it is not stated. */
  readonly needsSourceSize: boolean;
  /** Segments listed by a killed process's run are placed at the next start (library); a ring's are stale. */
  readonly recoversRuns: boolean;
  /** Before the first run (the source's size when known), after the catalogue is open. */
  start(sourceSize: { width: number; height: number } | undefined): Promise<void>;
  /** Output B the sink wants (fd 3 grey frames), if any. */
  grey(): GreyOutput | undefined;
  /** A new ffmpeg run's grey stream; `originMs` is read at each frame (the anchor is refined). */
  attach(grey: Readable, originMs: () => number): void;
  accept(seg: ClosedSegment): Promise<SinkResult>;
  /** Listed segment files outlive their run (the ring owns them): clearing a run leaves them. */
  holdsListed(): boolean;
  /** The pipeline stopped and every segment is in. */
  stop(): Promise<void>;
}
