import type { FastifyInstance } from 'fastify';
import { DEFAULT_DRIVE_HEALTH } from '../../core/drive-health.js';
import { indicatorViews, type Look } from '../../core/indicators.js';
import type { MirrorState } from '../../station/mirror-tracker.js';
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
        indicators: apiIndicators(
          {
            ingest: last,
            space,
            driveLabel: marker.label,
            thresholds: deps.driveHealth ?? DEFAULT_DRIVE_HEALTH,
            uplink,
            mirror: m,
            partnerSpace,
          },
          mirror !== undefined,
        ),
      };
    },
  });
}
