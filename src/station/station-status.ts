import type { Clock } from '../adapters/clock.js';
import { DEFAULT_DRIVE_HEALTH, type DriveHealthThresholds } from '../core/drive-health.js';
import { stationState } from '../indicators/station-state.js';
import type { Drive } from '../library/drive.js';
import {
  LIVE_EVENTS,
  nodeDiskSpace,
  type DiskSpaceProbe,
  type StationPort,
  type StationSnapshot,
} from '../server/deps.js';
import type { UplinkStatus } from '../uplink/runner.js';
import { trackDevices } from './device-tracker.js';
import type { StationEvents } from './events.js';
import { trackIngest } from './ingest-tracker.js';
import { trackMirror } from './mirror-tracker.js';
import { trackScrub } from './scrub-tracker.js';

export interface StationStatusDeps {
  events: StationEvents;
  clock: Clock;
  /** The library drive attached now (undefined: none). */
  drive: () => Pick<Drive, 'marker' | 'layout'> | undefined;
  /** Defaults to statfs. */
  diskSpace?: DiskSpaceProbe;
  /** Free-space thresholds of the DRIVE indicators; defaults to src/core/drive-health.ts. */
  thresholds?: DriveHealthThresholds;
  /** The uplink's queue and state; null (the default) when the uplink is not configured. */
  uplink?: () => UplinkStatus | null;
  /** Storage-budget warnings of the cameras. */
  recorderWarnings?: () => { code: string; message: string }[];
  /** The station mounts its own devices (their unmounts decide the green flashes). */
  managedDevices?: boolean;
  /**
   * Damaged files the library drive's catalogue knows now (a scrub run outside this station,
   * `outpost scrub`): BACKUP counts them as well as those the station's own scrubs reported.
   */
  catalogueDamage?: () => number;
}

/** The station's status (a {@link StationPort}); `stop()` unsubscribes its trackers. */
export interface StationStatus extends StationPort {
  stop(): void;
}

/**
 * The station's status, once: one set of trackers subscribed to the station's events, one
 * snapshot the LED loop and /api/status both show (src/station/services.ts passes it to the
 * server as its StationPort).
 */
export function createStationStatus(d: StationStatusDeps): StationStatus {
  const { events } = d;
  const diskSpace = d.diskSpace ?? nodeDiskSpace;
  const ingest = trackIngest(events, d.clock);
  const mirror = trackMirror(events);
  const scrub = trackScrub(events);
  const devices = trackDevices(events);

  const snapshot = async (): Promise<StationSnapshot> => {
    const drive = d.drive();
    const space = drive ? await diskSpace(drive.layout.root).catch(() => null) : undefined;
    const m = mirror.current();
    const partnerSpace = m?.partner ? await diskSpace(m.partner.path).catch(() => null) : undefined;
    const tracked = scrub.current();
    const catalogueDamage = d.catalogueDamage?.() ?? 0;
    const s =
      tracked || catalogueDamage > 0
        ? {
            ...(tracked ?? {
              state: 'idle' as const,
              progress: null,
              summary: null,
              error: null,
              openDamage: 0,
            }),
            openDamage: Math.max(tracked?.openDamage ?? 0, catalogueDamage),
          }
        : null;
    const uplink = d.uplink?.() ?? null;
    const last = ingest.current();
    return {
      space,
      ingest: last,
      mirror: m,
      scrub: s,
      uplink,
      state: stationState({
        ingest: last,
        space,
        ...(drive ? { driveLabel: drive.marker.label } : {}),
        thresholds: d.thresholds ?? DEFAULT_DRIVE_HEALTH,
        uplink,
        mirror: m,
        partnerSpace,
        recorderWarnings: d.recorderWarnings?.() ?? [],
        scrub: s,
        devices: d.managedDevices ? devices.current() : null,
      }),
    };
  };

  return {
    snapshot,
    follow(listener) {
      const entries = LIVE_EVENTS.map((name) => {
        const fn = (payload: unknown): void => listener(name, payload);
        events.on(name, fn);
        return [name, fn] as const;
      });
      return () => {
        for (const [name, fn] of entries) events.off(name, fn);
      };
    },
    stop() {
      ingest.stop();
      mirror.stop();
      scrub.stop();
      devices.stop();
    },
  };
}
