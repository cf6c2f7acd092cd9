/**
 * apiP95MsAt1M (issue 14 §5): GET /api/items with filters over a catalogue of 1,000,000 items on
 * PostgreSQL, 20 concurrent clients: p95 of the filtered lists (target < 50 ms) and of free-text
 * search (`q`, target < 150 ms). The items come from the catalogue's fillSyntheticItems.
 *
 * The server is what a programme runs: `outpost hq` processes (the bundle) on the database,
 * logged in as a user (sessions checked in PostgreSQL on every request). The clients are this
 * process, asking as a browser does (keep-alive, br/gzip). The
 * filters vary per request (monitor, dates, tags, words) the way people's do; a list is one page
 * of 100, the web app's first page.
 */
import { Agent, get as httpGet } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { systemClock } from '../../src/adapters/clock.js';
import { addUser } from '../../src/auth/users.js';
import { openCatalog } from '../../src/library/catalog/open.js';
import { fillSyntheticItems } from '../../src/library/catalog/synthetic-items.js';
import { startHqCluster } from '../../test/kit/hq-cluster.js';
import { prng } from '../../test/kit/prng.js';

const PASSWORD = 'bench-password-1';

type Query = Record<string, string>;

/** A list request as people make them: filters of the gallery's panel, values varying. */
export function listQuery(r: () => number): Query {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const month = (y: number): string => `${y}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}`;
  switch (Math.floor(r() * 6)) {
    case 0: {
      const y = pick([2024, 2025]);
      return {
        monitor: `M${Math.floor(r() * 12)}`,
        type: 'photo',
        from: `${month(y)}-01`,
        to: `${y}-12-31`,
        minRating: '2',
      };
    }
    case 1:
      return { event: `EV-${Math.floor(r() * 37)}`, sort: pick(['asc', 'desc']) };
    case 2:
      return { tag: pick(['lion', 'river', 'dusk']), minRating: '1', type: 'photo' };
    case 3:
      return {
        monitor: `M${Math.floor(r() * 12)}`,
        from: `${month(pick([2024, 2025]))}-01`,
        priority: 'false',
      };
    case 4:
      return { type: pick(['photo', 'video', 'audio']), unrated: 'true' };
    default:
      return {};
  }
}

export function searchQuery(r: () => number): Query {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  switch (Math.floor(r() * 3)) {
    case 0:
      return { q: `IMG_${1000 + Math.floor(r() * 990_000)}` };
    case 1:
      return { q: `ev-${Math.floor(r() * 37)} ${pick(['lion', 'river'])}` };
    default:
      return { q: pick(['dusk', 'battery', 'btc-4']), type: 'photo' };
  }
}

const p95 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]! * 100) / 100;
};

export async function apiAtScale(o: {
  databaseUrl: string;
  items: number;
  /** `outpost hq` processes behind the balancer. */
  nodes: number;
  clients: number;
  requestsPerClient: number;
  log: (s: string) => void;
}): Promise<{
  apiP95Ms: number;
  searchP95Ms: number;
  items: number;
  requests: number;
  requestsPerSec: number;
  apiP95MsOneClient: number;
  searchP95MsOneClient: number;
  nodes: number;
}> {
  const catalog = await openCatalog(o.databaseUrl);
  try {
    o.log(`api: making ${o.items} items in PostgreSQL...`);
    const t0 = performance.now();
    await fillSyntheticItems(catalog, o.items);
    o.log(`api: ${o.items} items in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    await addUser(catalog, { name: 'bench', role: 'viewer', password: PASSWORD, now: systemClock.now() });
  } finally {
    await catalog.close();
  }
  const cluster = await startHqCluster({ count: o.nodes, databaseUrl: o.databaseUrl, hqYaml: [] });
  // Keep-alive connections straight to the nodes, client c on node c mod N: what a balancer on
  // another machine does, without its work landing on these two cores.
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients });
  try {
    const login = await fetch(`${cluster.nodes[0]!.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
      body: JSON.stringify({ name: 'bench', password: PASSWORD }),
    });
    if (!login.ok) throw new Error(`login: ${login.status} ${await login.text()}`);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    let checked = 0;
    /**
     * One request, timed to its last byte. The body stays compressed (a browser's decoding is not
     * the server's time); one in ten is decoded and must be a page of items.
     */
    const timed = async (client: number, q: Query): Promise<number> => {
      const path = `/api/items?${new URLSearchParams(q).toString()}`;
      const node = cluster.nodes[client % cluster.nodes.length]!;
      const t = performance.now();
      const { status, encoding, body } = await new Promise<{
        status: number;
        encoding: string;
        body: Buffer;
      }>((ok, fail) => {
        const req = httpGet(
          `${node.url}${path}`,
          { agent, headers: { cookie, 'accept-encoding': 'br, gzip' } },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (b: Buffer) => parts.push(b));
            res.on('end', () =>
              ok({
                status: res.statusCode ?? 0,
                encoding: String(res.headers['content-encoding'] ?? ''),
                body: Buffer.concat(parts),
              }),
            );
            res.on('error', fail);
          },
        );
        req.on('error', fail);
      });
      const ms = performance.now() - t;
      if (status !== 200) throw new Error(`GET ${path}: ${status} ${body.toString().slice(0, 200)}`);
      if (checked++ % 10 === 0) {
        const text =
          encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body;
        const page = JSON.parse(text.toString()) as { items?: unknown[] };
        if (!Array.isArray(page.items)) throw new Error(`GET ${path}: no items`);
      }
      return ms;
    };
    // Warm: the database's caches and each node's code paths.
    const warm = prng(1);
    for (let i = 0; i < 200; i++) await timed(i, i % 4 === 3 ? searchQuery(warm) : listQuery(warm));
    // One user alone: the latency of the queries themselves, without waiting for the cores.
    const alone = prng(7);
    const aloneLists: number[] = [];
    const aloneSearches: number[] = [];
    for (let i = 0; i < 100; i++) {
      if (i % 4 === 3) aloneSearches.push(await timed(0, searchQuery(alone)));
      else aloneLists.push(await timed(0, listQuery(alone)));
    }
    const lists: number[] = [];
    const searches: number[] = [];
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: o.clients }, async (_, c) => {
        const r = prng(100 + c);
        for (let i = 0; i < o.requestsPerClient; i++) {
          // One request in four is a free-text search.
          if ((c + i) % 4 === 3) searches.push(await timed(c, searchQuery(r)));
          else lists.push(await timed(c, listQuery(r)));
        }
      }),
    );
    const seconds = (performance.now() - t1) / 1000;
    const r = {
      apiP95Ms: p95(lists),
      searchP95Ms: p95(searches),
      items: o.items,
      requests: lists.length + searches.length,
      requestsPerSec: Math.round((lists.length + searches.length) / seconds),
      apiP95MsOneClient: p95(aloneLists),
      searchP95MsOneClient: p95(aloneSearches),
      nodes: o.nodes,
    };
    o.log(
      `api: one client: p95 ${r.apiP95MsOneClient} ms (lists), ${r.searchP95MsOneClient} ms (search); ` +
        `${o.clients} clients, ${o.nodes} node(s): ${r.requestsPerSec} requests/s, ` +
        `p95 ${r.apiP95Ms} ms (lists), ${r.searchP95Ms} ms (search)`,
    );
    return r;
  } finally {
    agent.destroy();
    await cluster.stop();
  }
}
