import { EventEmitter } from 'node:events';
import type { IngestProgress, IngestSummary } from '../ingest/types.js';
import type { MirrorProgress, MirrorSummary } from '../drives/mirror.js';
import type { UplinkStatus } from '../uplink/runner.js';

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
  /** The uplink's queue and state changed (thinned to about two a second while sending). */
  'uplink-status': [UplinkStatus];
}

export class StationEvents extends EventEmitter<StationEventMap> {}
