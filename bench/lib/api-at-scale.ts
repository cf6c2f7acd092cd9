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
import { readFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { availableParallelism } from 'node:os';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { systemClock } from '../../src/adapters/clock.js';
import { addUser } from '../../src/auth/users.js';
import { openCatalog } from '../../src/library/catalog/open.js';
import { fillSyntheticItems, settleCatalog } from '../../src/library/catalog/synthetic-items.js';
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

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const TICK_MS = 1000 / 100; // USER_HZ: /proc counts CPU time in 1/100 s on Linux

/** CPU time the whole machine spent busy (all cores, not idle or waiting for I/O), in ms. */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * TICK_MS;
}

/** CPU time (user + system) of one process so far, in ms; 0 when it is gone. */
function processCpuMs(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces), utime and stime are the 12th and 13th.
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  } catch {
    return 0;
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
  /** False: the database already holds the items and the user (development runs). */
  fill?: boolean;
}): Promise<{
  apiP95Ms: number;
  searchP95Ms: number;
  items: number;
  requests: number;
  requestsPerSec: number;
  apiP95MsOneClient: number;
  searchP95MsOneClient: number;
  nodes: number;
  /** p95s (ms) and rate with 5, 10 and `clients` users at once. */
  p95ByClients: Record<string, { lists: number; search: number; requestsPerSec: number }>;
  /** CPU time per request at `clients` users: the HQ process, PostgreSQL, this load generator. */
  cpuMsPerRequest: { hqNode: number; postgres: number; loadGenerator: number };
  cores: number;
}> {
  if (o.fill !== false) await fillDatabase(o);
  return measure(o);
}

async function fillDatabase(o: {
  databaseUrl: string;
  items: number;
  log: (s: string) => void;
}): Promise<void> {
  const catalog = await openCatalog(o.databaseUrl);
  try {
    o.log(`api: making ${o.items} items in PostgreSQL...`);
    const t0 = performance.now();
    await fillSyntheticItems(catalog, o.items);
    o.log(`api: ${o.items} items in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    await addUser(catalog, { name: 'bench', role: 'viewer', password: PASSWORD, now: systemClock.now() });
    // The API is measured as a programme runs it, not in the wake of a bulk load.
    await settleCatalog(catalog);
  } finally {
    await catalog.close();
  }
}

async function measure(o: Parameters<typeof apiAtScale>[0]): ReturnType<typeof apiAtScale> {
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
    /**
     * `clients` users at once, each asking again as soon as its answer is in (no pause to look):
     * the p95s, the rate, and where the cores' time went (the server's process, the rest of the
     * machine, which is PostgreSQL, and this process, the load generator itself).
     */
    const load = async (clients: number, perClient: number) => {
      const lists: number[] = [];
      const searches: number[] = [];
      const pids = cluster.nodes.map((n) => n.pid()).filter((p): p is number => p !== undefined);
      const busy0 = machineBusyMs();
      const nodes0 = sum(pids.map(processCpuMs));
      const self0 = process.cpuUsage();
      const t1 = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          // Each run its own requests: no run repeats another's.
          const r = prng(1000 * clients + c);
          for (let i = 0; i < perClient; i++) {
            // One request in four is a free-text search.
            if ((c + i) % 4 === 3) searches.push(await timed(c, searchQuery(r)));
            else lists.push(await timed(c, listQuery(r)));
          }
        }),
      );
      const seconds = (performance.now() - t1) / 1000;
      const n = lists.length + searches.length;
      const self = process.cpuUsage(self0);
      const loadGenMs = (self.user + self.system) / 1000;
      const nodesMs = sum(pids.map(processCpuMs)) - nodes0;
      const busyMs = machineBusyMs() - busy0;
      const perRequest = (ms: number): number => Math.round((ms / n) * 100) / 100;
      return {
        lists,
        searches,
        seconds,
        requestsPerSec: Math.round(n / seconds),
        cpuMsPerRequest: {
          hqNode: perRequest(nodesMs),
          postgres: perRequest(Math.max(0, busyMs - nodesMs - loadGenMs)),
          loadGenerator: perRequest(loadGenMs),
        },
      };
    };
    // The knee: p95 against the number of users at once, on these cores.
    const byClients: Record<string, { lists: number; search: number; requestsPerSec: number }> = {};
    for (const clients of [5, 10]) {
      const l = await load(clients, Math.ceil((o.clients * o.requestsPerClient) / clients));
      byClients[clients] = { lists: p95(l.lists), search: p95(l.searches), requestsPerSec: l.requestsPerSec };
    }
    const { lists, searches, seconds, cpuMsPerRequest } = await load(o.clients, o.requestsPerClient);
    byClients[o.clients] = {
      lists: p95(lists),
      search: p95(searches),
      requestsPerSec: Math.round((lists.length + searches.length) / seconds),
    };
    const r = {
      apiP95Ms: p95(lists),
      searchP95Ms: p95(searches),
      items: o.items,
      requests: lists.length + searches.length,
      requestsPerSec: Math.round((lists.length + searches.length) / seconds),
      apiP95MsOneClient: p95(aloneLists),
      searchP95MsOneClient: p95(aloneSearches),
      nodes: o.nodes,
      p95ByClients: byClients,
      cpuMsPerRequest,
      cores: availableParallelism(),
    };
    o.log(
      `api: one client: p95 ${r.apiP95MsOneClient} ms (lists), ${r.searchP95MsOneClient} ms (search); ` +
        `${o.clients} clients, ${o.nodes} node(s): ${r.requestsPerSec} requests/s, ` +
        `p95 ${r.apiP95Ms} ms (lists), ${r.searchP95Ms} ms (search); by users at once ` +
        `${JSON.stringify(byClients)}; CPU per request (ms) ${JSON.stringify(cpuMsPerRequest)} on ${r.cores} cores`,
    );
    return r;
  } finally {
    agent.destroy();
    await cluster.stop();
  }
}
