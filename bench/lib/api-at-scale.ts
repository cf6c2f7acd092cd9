/**
 * apiP95MsAt1M (issue 14 §5): GET /api/items with filters over a catalogue of 1,000,000 items on
 * PostgreSQL, 20 concurrent clients: p95 of the filtered lists (target < 50 ms) and of free-text
 * search (`q`, target < 150 ms). The items come from the catalogue's fillSyntheticItems.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/adapters/clock.js';
import { silentLogger } from '../../src/adapters/logger.js';
import { openCatalog } from '../../src/library/catalog/open.js';
import { fillSyntheticItems } from '../../src/library/catalog/synthetic-items.js';
import { initDrive } from '../../src/library/drive.js';
import { buildApp } from '../../src/server/app.js';
import { allowAll } from '../../src/server/deps.js';
import { startServer } from '../../src/server/server.js';

const FILTERS: Record<string, string>[] = [
  { monitor: 'M3', type: 'photo', from: '2024-03-01', to: '2024-10-31', minRating: '2' },
  { event: 'EV-7', sort: 'asc', limit: '200' },
  { tag: 'lion', minRating: '1', type: 'photo' },
  { monitor: 'M5', from: '2025-01-01', priority: 'false' },
  {},
];
const SEARCHES: Record<string, string>[] = [
  { q: 'IMG_4242' },
  { q: 'ev-1 lion' },
  { q: 'dusk', type: 'photo' },
];

const p95 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]! * 100) / 100;
};

export async function apiAtScale(o: {
  databaseUrl: string;
  items: number;
  clients: number;
  requestsPerClient: number;
  log: (s: string) => void;
}): Promise<{ apiP95Ms: number; searchP95Ms: number; items: number; requests: number }> {
  const work = await mkdtemp(join(tmpdir(), 'outpost-bench-api-'));
  const catalog = await openCatalog(o.databaseUrl);
  try {
    o.log(`api: making ${o.items} items in PostgreSQL...`);
    const t0 = performance.now();
    await fillSyntheticItems(catalog, o.items);
    o.log(`api: ${o.items} items in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const drive = await initDrive(join(work, 'drive'), { now: new Date() });
    const app = await buildApp({
      catalog,
      drive,
      files: { root: drive.layout.root },
      node: 'bench',
      clock: systemClock,
      log: silentLogger,
      authenticate: allowAll,
    });
    const { url } = await startServer(app, { host: '127.0.0.1', port: 0 });
    const timed = async (q: Record<string, string>): Promise<number> => {
      const qs = new URLSearchParams(q).toString();
      const t = performance.now();
      const res = await fetch(`${url}/api/items?${qs}`);
      const body = (await res.json()) as { items?: unknown[] };
      if (!res.ok || !Array.isArray(body.items)) throw new Error(`GET /api/items?${qs}: ${res.status}`);
      return performance.now() - t;
    };
    // Warm: each query once.
    for (const q of [...FILTERS, ...SEARCHES]) await timed(q);
    const lists: number[] = [];
    const searches: number[] = [];
    await Promise.all(
      Array.from({ length: o.clients }, async (_, c) => {
        for (let i = 0; i < o.requestsPerClient; i++) {
          const k = (c + i) % (FILTERS.length + SEARCHES.length);
          if (k < FILTERS.length) lists.push(await timed(FILTERS[k]!));
          else searches.push(await timed(SEARCHES[k - FILTERS.length]!));
        }
      }),
    );
    await app.close();
    const r = {
      apiP95Ms: p95(lists),
      searchP95Ms: p95(searches),
      items: o.items,
      requests: lists.length + searches.length,
    };
    o.log(`api: ${o.clients} clients, p95 ${r.apiP95Ms} ms (lists), ${r.searchP95Ms} ms (search)`);
    return r;
  } finally {
    await catalog.close();
    await rm(work, { recursive: true, force: true });
  }
}
