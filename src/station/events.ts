import type { ExportJob } from '../video/export-jobs.js';
import { EventEmitter } from 'node:events';
import type { IngestProgress, IngestSummary } from '../ingest/types.js';
import type { MirrorProgress, MirrorSummary } from '../drives/mirror.js';
import type { ScrubProgress, ScrubSummary } from '../drives/scrub-types.js';
import type { UplinkStatus } from '../uplink/runner.js';
import type { MotionBox, MotionEventSaved } from '../recorder/motion-mode.js';
import type { RecorderStatus, SegmentEvent } from '../recorder/recorder.js';
import type { ClockStatus } from '../devices/clock-watch.js';

/** The three places the station ejects: the card slot, drive A (the library), drive B (its mirror). */
export type DeviceSlot = 'card' | 'A' | 'B';

/** What the station tells the LEDs, the web app and the log. */
export interface StationEventMap {
  'library-attached': [{ path: string; label: string; id: string }];
  'library-detached': [{ path: string }];
  'card-inserted': [{ mountPoint: string }];
  'card-removed': [{ mountPoint: string }];
  'card-ignored': [{ mountPoint: string; reason: string }];
  'ingest-progress': [{ mountPoint: string; progress: IngestProgress }];
  'ingest-done': [{ mountPoint: string; summary: IngestSummary }];
  /** The background pass making videos' streaming copies (done of total). */
  'videos-progress': [{ done: number; total: number }];
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
  /**
   * Devices the station mounts itself (station.devices.manage, docs/devices.md). `role` is what
   * the volume turned out to be; a library drive becomes drive A or B with `library-attached` /
   * `partner-attached` on the same path.
   */
  'device-mounted': [
    {
      role: 'library' | 'card' | 'blank' | 'other';
      mountPoint: string;
      device: string;
      fsType: string;
      driver: string;
      readOnly: boolean;
      label?: string | undefined;
    },
  ];
  /** sync + unmount started (eject, a card after ingest, drive B after the mirror). */
  'device-unmounting': [{ slot: DeviceSlot; mountPoint: string; device: string; label?: string | undefined }];
  /** Flushed and unmounted: safe to remove. `copied: false`: a card ejected before it was copied. */
  'device-ejected': [
    { slot: DeviceSlot; mountPoint: string; device: string; label?: string | undefined; copied?: boolean },
  ];
  /** The unmount failed (busy): still mounted, not safe to remove; `detail` names who uses it. */
  'device-eject-failed': [
    { slot: DeviceSlot; mountPoint: string; device: string; label?: string | undefined; detail: string },
  ];
  /** Gone while mounted (pulled, card out of the reader): lazily unmounted; `during` names the cut-off work. */
  'device-pulled': [
    {
      slot: DeviceSlot | 'other';
      mountPoint: string;
      device: string;
      label?: string | undefined;
      during?: string | undefined;
    },
  ];
  /** The medium left the machine (after an eject: the slot is empty again). */
  'device-gone': [{ device: string }];
  /** A volume could not be mounted (no driver, damaged, refused). */
  'device-problem': [{ device: string; fsType?: string | undefined; message: string }];
  /** A card waits for a library drive (ingest starts when one is attached). */
  'card-waiting': [{ mountPoint: string }];
  /** The station's clock turned trusted or suspect (src/devices/clock-watch.ts); cards and cameras wait while suspect. */
  'clock-status': [ClockStatus];
  /** The UPS battery is low: the station finishes the file it copies, stops and powers off (src/station/power.ts). */
  'power-low': [{ detail: string }];
  /** The uplink's queue and state changed (thinned to about two a second while sending). */
  'uplink-status': [UplinkStatus];
  /** A camera segment became a library item (src/recorder/). */
  'recording-segment': [SegmentEvent];
  /** A motion event became a library item (its thumbnail shows the motion box). */
  'motion-event': [MotionEventSaved];
  /** A camera's pipeline state, counters and storage-budget warnings changed. */
  'recorder-state': [RecorderStatus];
  /** Where a camera sees motion now (the live view's highlight; cameras with it on only). */
  'motion-box': [MotionBox];
  /** An IP camera's snapshot became a library item (src/snapshots/). */
  snapshot: [{ camera: string; id: string; day: string; receivedAt: string }];
  /** An IP camera's upload was refused (empty, truncated, not a JPEG, too big, no drive). */
  'snapshot-rejected': [{ camera: string; reason: string; message: string }];
  /** A day's timelapse is being made (frame of frames) or was made (`done`, its item). */
  timelapse: [{ camera: string; day: string; state: string; id?: string; frame?: number; frames?: number }];
  /** An export of a camera's range was queued, advanced or ended (src/video/export-jobs.ts). */
  'video-export': [ExportJob];
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
