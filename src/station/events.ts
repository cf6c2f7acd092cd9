import { EventEmitter } from 'node:events';
import type { IngestProgress, IngestSummary } from '../ingest/types.js';
import type { MirrorProgress, MirrorSummary } from '../drives/mirror.js';
import type { ScrubProgress, ScrubSummary } from '../drives/scrub-types.js';
import type { UplinkStatus } from '../uplink/runner.js';
import type { MotionEventSaved } from '../recorder/motion-mode.js';
import type { RecorderStatus, SegmentEvent } from '../recorder/recorder.js';

/** What the station tells the LEDs, the web app and the log. */
export interface StationEventMap {
  'library-attached': [{ path: string; label: string; id: string }];
  'library-detached': [{ path: string }];
  'card-inserted': [{ mountPoint: string }];
  'card-removed': [{ mountPoint: string }];
  'card-ignored': [{ mountPoint: string; reason: string }];
  'ingest-progress': [{ mountPoint: string; progress: IngestProgress }];
  'ingest-done': [{ mountPoint: string; summary: IngestSummary }];
  'ingest-failed': [{ mountPoint: string; code: string; message: string; hint: string }];
  /** A second library drive (the mirror partner) was plugged in, or a drive was refused as one. */
  'partner-attached': [{ path: string; label: string; id: string }];
  'partner-detached': [{ path: string }];
  'mirror-progress': [{ path: string; progress: MirrorProgress }];
  'mirror-done': [{ path: string; summary: MirrorSummary }];
  'mirror-failed': [{ path: string; code: string; message: string; hint: string }];
  /** A scheduled scrub (src/drives/scrub.ts) reading one of the drives. */
  'scrub-progress': [{ path: string; progress: ScrubProgress }];
  'scrub-done': [{ summary: ScrubSummary }];
  'scrub-failed': [{ code: string; message: string; hint: string }];
  /** Damaged files the catalogues remember from earlier scrubs (sent when a drive is attached). */
  'scrub-damage': [{ files: number }];
  /** The uplink's queue and state changed (thinned to about two a second while sending). */
  'uplink-status': [UplinkStatus];
  /** A camera segment became a library item (src/recorder/). */
  'recording-segment': [SegmentEvent];
  /** A motion event became a library item (its thumbnail shows the motion box). */
  'motion-event': [MotionEventSaved];
  /** A camera's pipeline state, counters and storage-budget warnings changed. */
  'recorder-state': [RecorderStatus];
}

export class StationEvents extends EventEmitter<StationEventMap> {}

export type StationHandlers = { [K in keyof StationEventMap]?: (...a: StationEventMap[K]) => void };

/** Subscribe several handlers at once; the returned function unsubscribes them all. */
export function subscribe(events: StationEvents, handlers: StationHandlers): () => void {
  const entries = Object.entries(handlers) as [keyof StationEventMap, (...a: unknown[]) => void][];
  for (const [name, h] of entries) events.on(name, h as never);
  return () => {
    for (const [name, h] of entries) events.off(name, h as never);
  };
}
