import type { FastifyInstance } from 'fastify';
import type { AppDeps, DiskSpace } from '../deps.js';
import { nodeDiskSpace } from '../deps.js';
import type { IngestState } from '../ingest-tracker.js';
import { defineRoute } from '../route.js';
import { noQuery, statusSchema, type IndicatorLook, type Status } from '../schemas.js';

type Indicator = Status['indicators']['CARD'];

const GiB = 1024 ** 3;

/** The CARD indicator from the last ingest (ARCHITECTURE.md "Status indicators"). Pure. */
export function cardIndicator(ingest: IngestState | null): Indicator {
  const ind = (look: IndicatorLook, detail: string): Indicator => ({ look, detail, placeholder: false });
  if (!ingest || !ingest.cardPresent) return ind('off', 'no card');
  if (ingest.state === 'running') {
    const p = ingest.progress;
    return ind('green', p ? `ingesting: ${p.phase} ${p.filesDone}/${p.filesTotal} files` : 'ingesting');
  }
  if (ingest.state === 'done') return ind('flashing-green', 'finished: you can remove the card');
  return ind('flashing-red', ingest.error ? `${ingest.error.message}` : 'ingest failed');
}

/**
 * DRIVE A from its free space. Flashing red (act now) below 1 GiB: not even a small card fits.
 * Red (warning) below 10 % or 16 GiB: a large card may not fit. Pure.
 */
export function driveIndicator(space: DiskSpace | null): Indicator {
  const ind = (look: IndicatorLook, detail: string): Indicator => ({ look, detail, placeholder: false });
  if (!space) return ind('flashing-red', 'cannot read the library drive');
  const { freeBytes: free, totalBytes: total } = space;
  const pct = total > 0 ? (100 * free) / total : 0;
  const gb = `${(free / GiB).toFixed(1)} GB free`;
  if (free < GiB) return ind('flashing-red', `library drive full (${gb})`);
  if (free < 16 * GiB || pct < 10) return ind('red', `library drive nearly full (${gb})`);
  return ind('green', gb);
}

const placeholder = (detail: string): Indicator => ({ look: 'off', detail, placeholder: true });

export function registerStatusRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  ingest: () => IngestState | null,
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
      '`placeholder: true` marks those a later issue will drive (DRIVE B, BACKUP, UPLINK).',
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
        indicators: {
          CARD: cardIndicator(last),
          'DRIVE A': driveIndicator(space),
          'DRIVE B': placeholder('second drive: not yet supported'),
          BACKUP: placeholder('mirror: not yet supported'),
          UPLINK: placeholder('uplink: not yet supported'),
        },
      };
    },
  });
}
