import type { FastifyInstance } from 'fastify';
import { DEFAULT_DRIVE_HEALTH } from '../../core/drive-health.js';
import { indicatorViews, type Look, type StationState } from '../../core/indicators.js';
import { openDamageCount, openFindings, readScrubState } from '../../drives/scrub-store.js';
import type { ScrubState } from '../../indicators/station-facts.js';
import { stationState } from '../../indicators/station-state.js';
import { itemCounts } from '../../library/catalog/status-counts.js';
import type { AppDeps, StationSnapshot } from '../deps.js';
import { nodeDiskSpace } from '../deps.js';
import { defineRoute } from '../route.js';
import { noQuery, statusSchema, type IndicatorLook, type Status } from '../schemas.js';

type Indicator = Status['indicators']['CARD'];

const API_LOOK: Record<Look, IndicatorLook> = {
  off: 'off',
  green: 'green',
  'green-flash': 'flashing-green',
  red: 'red',
  'red-flash': 'flashing-red',
};

/**
 * The five indicators as the API (and the web app) shows them: the one scheme of
 * src/core/indicators.ts. Pure. `station` false marks DRIVE B and BACKUP as placeholders:
 * without a station (HQ) nothing mirrors.
 */
export function apiIndicators(state: StationState, station = false): Status['indicators'] {
  const v = indicatorViews(state);
  const ind = (k: keyof typeof v, placeholder = false): Indicator => ({
    look: API_LOOK[v[k].look],
    detail: v[k].reason,
    placeholder,
  });
  return {
    CARD: ind('CARD'),
    'DRIVE A': ind('DRIVE_A'),
    'DRIVE B': ind('DRIVE_B', !station),
    BACKUP: ind('BACKUP', !station),
    UPLINK: ind('UPLINK'),
  };
}

const emptyScrub: ScrubState = { state: 'idle', progress: null, summary: null, error: null, openDamage: 0 };

/**
 * What a server without a station (HQ) knows: the free space where its catalogue lives and the
 * catalogue's damaged files. No card, no mirror, no uplink.
 */
async function noStation(deps: AppDeps, openDamage: number): Promise<StationSnapshot> {
  const space = await (deps.diskSpace ?? nodeDiskSpace)(deps.drive.layout.root).catch(() => null);
  const scrub = { ...emptyScrub, openDamage };
  return {
    space,
    ingest: null,
    mirror: null,
    scrub: null,
    uplink: null,
    state: stationState({
      ingest: null,
      space,
      driveLabel: deps.drive.marker.label,
      thresholds: DEFAULT_DRIVE_HEALTH,
      uplink: null,
      scrub,
    }),
  };
}

export function registerStatusRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, {
    method: 'GET',
    url: '/api/status',
    role: 'viewer',
    tags: ['status'],
    summary: 'Library drive, item counts, last ingest and the status indicators',
    description:
      'Indicators use the one scheme of ARCHITECTURE.md (off, green, flashing-green, red, flashing-red); ' +
      '`placeholder: true` marks DRIVE B and BACKUP while no mirror runs. `uplink` is the queue to HQ ' +
      '(per class transfers and bytes, rate, ETA, last error), null when the uplink is not configured.',
    query: noQuery,
    responses: { 200: statusSchema },
    handler: async (): Promise<Status> => {
      const { marker, layout } = deps.drive;
      const counts = await itemCounts(deps.catalog);
      const here = openDamageCount(deps.catalog).damaged;
      // One snapshot: the same the station's LEDs show (or what a server without one knows).
      const snap = deps.station ? await deps.station.snapshot() : await noStation(deps, here);
      const scrub = scrubStatus(deps.catalog, snap.scrub, here);
      return {
        node: deps.node,
        time: deps.clock.now().toISOString(),
        timeZone: deps.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
        library: {
          id: marker.id,
          label: marker.label,
          root: layout.root,
          freeBytes: snap.space?.freeBytes ?? null,
          totalBytes: snap.space?.totalBytes ?? null,
        },
        items: {
          total: counts.photo + counts.video + counts.audio,
          photo: counts.photo,
          video: counts.video,
          audio: counts.audio,
          awaitingDerivatives: counts.awaitingDerivatives,
        },
        ingest: snap.ingest,
        uplink: snap.uplink,
        // MirrorProgress and MirrorSummary are interfaces (no index signature); same shapes.
        mirror: snap.mirror as Status['mirror'],
        scrub,
        indicators: apiIndicators(snap.state, deps.station !== undefined),
      };
    },
  });
}

/** The library drive's scrub bookkeeping (catalogue) with the station's last run. */
function scrubStatus(
  cat: AppDeps['catalog'],
  t: ScrubState | null,
  /** Damaged files this catalogue knows now. */
  here: number,
): NonNullable<Status['scrub']> {
  const persisted = readScrubState(cat);
  const s = t?.summary;
  return {
    state: t?.state ?? 'idle',
    // The station counts both drives after a run; the catalogue knows drive A's damage at any time.
    openDamage: Math.max(here, t?.openDamage ?? 0),
    damaged: openFindings(cat)
      .slice(0, 20)
      .map((f) => ({ path: f.path, code: f.code, reason: f.reason })),
    progress: t?.progress ? { ...t.progress } : null,
    lastRunAt: persisted.lastRunAt ?? null,
    lastCompletedAt: persisted.lastCompletedAt ?? null,
    lastRun: s
      ? {
          checked: s.checked,
          bytes: s.bytes,
          bad: s.bad.length,
          repaired: s.repaired.length,
          unrepaired: s.unrepaired.length,
          seconds: s.seconds,
          complete: s.complete,
          aborted: s.aborted,
        }
      : null,
    error: t?.error ?? null,
  };
}
