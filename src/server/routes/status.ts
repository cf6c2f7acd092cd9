import type { FastifyInstance } from 'fastify';
import { DEFAULT_DRIVE_HEALTH } from '../../core/drive-health.js';
import { indicatorViews, type Look } from '../../core/indicators.js';
import { openDamageCount, openFindings, readScrubState } from '../../drives/scrub-store.js';
import type { MirrorState } from '../../station/mirror-tracker.js';
import { trackScrub, type ScrubState } from '../../station/scrub-tracker.js';
import { stationState, type StationFacts } from '../../station/state.js';
import type { AppDeps } from '../deps.js';
import { nodeDiskSpace } from '../deps.js';
import type { IngestState } from '../ingest-tracker.js';
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
 * src/core/indicators.ts, from what this server knows. Pure.
 * `placeholder` marks DRIVE B and BACKUP while the station runs no mirror.
 */
export function apiIndicators(facts: StationFacts, mirror = false): Status['indicators'] {
  const v = indicatorViews(stationState(facts));
  const ind = (k: keyof typeof v, placeholder = false): Indicator => ({
    look: API_LOOK[v[k].look],
    detail: v[k].reason,
    placeholder,
  });
  return {
    CARD: ind('CARD'),
    'DRIVE A': ind('DRIVE_A'),
    'DRIVE B': ind('DRIVE_B', !mirror),
    BACKUP: ind('BACKUP', !mirror),
    UPLINK: ind('UPLINK'),
  };
}

export function registerStatusRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  ingest: () => IngestState | null,
  /** The station's mirror (absent: no station, so DRIVE B and BACKUP are placeholders). */
  mirror?: () => MirrorState | null,
): void {
  const diskSpace = deps.diskSpace ?? nodeDiskSpace;
  const counts = deps.catalog.sqlite.prepare(
    `select type, count(*) as n, sum(derived_at is null) as underived from items
     where state = 'stored' and deleted = 0 group by type`,
  );
  const scrubTracker = deps.events ? trackScrub(deps.events) : undefined;
  if (scrubTracker) app.addHook('onClose', async () => scrubTracker.stop());
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
      const space = await diskSpace(layout.root).catch(() => null);
      const byType = { photo: 0, video: 0, audio: 0 };
      let awaitingDerivatives = 0;
      for (const r of counts.all() as { type: keyof typeof byType; n: number; underived: number }[]) {
        byType[r.type] = r.n;
        awaitingDerivatives += r.underived;
      }
      const last = ingest();
      const uplink = deps.uplink?.() ?? null;
      const m = mirror?.() ?? null;
      const partnerSpace = m?.partner ? await diskSpace(m.partner.path).catch(() => null) : undefined;
      const scrub = scrubStatus(deps.catalog, scrubTracker?.current() ?? null);
      return {
        node: deps.node,
        time: deps.clock.now().toISOString(),
        library: {
          id: marker.id,
          label: marker.label,
          root: layout.root,
          freeBytes: space?.freeBytes ?? null,
          totalBytes: space?.totalBytes ?? null,
        },
        items: { total: byType.photo + byType.video + byType.audio, ...byType, awaitingDerivatives },
        ingest: last,
        uplink,
        // MirrorProgress and MirrorSummary are interfaces (no index signature); same shapes.
        mirror: m as Status['mirror'],
        scrub,
        indicators: apiIndicators(
          {
            ingest: last,
            space,
            driveLabel: marker.label,
            thresholds: deps.driveHealth ?? DEFAULT_DRIVE_HEALTH,
            uplink,
            mirror: m,
            partnerSpace,
            recorderWarnings: deps.cameras?.warnings?.() ?? [],
            scrub: { ...(scrubTracker?.current() ?? emptyScrub), openDamage: scrub.openDamage },
            devices: deps.drives?.deviceState?.() ?? null,
          },
          mirror !== undefined,
        ),
      };
    },
  });
}

const emptyScrub: ScrubState = { state: 'idle', progress: null, summary: null, error: null, openDamage: 0 };

/** The library drive's scrub bookkeeping (catalogue) with the station's last run (events). */
function scrubStatus(cat: AppDeps['catalog'], t: ScrubState | null): NonNullable<Status['scrub']> {
  const persisted = readScrubState(cat);
  const here = openDamageCount(cat).damaged;
  const s = t?.summary;
  return {
    state: t?.state ?? 'idle',
    // The tracker counts both drives after a run; the catalogue knows drive A's damage at any time.
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
