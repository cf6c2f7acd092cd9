/**
 * bench:web — the station web app and API.
 *   apiP95Ms / apiRatio  GET /api/items p95 over a 100,000-item catalogue with combined filters,
 *                        over HTTP on loopback ÷ the same statement run directly on SQLite
 *   bundleKB             gzipped JavaScript of the built web app, every chunk (when built)
 *   galleryKB            gzipped JavaScript the gallery route loads: the entry and what it preloads,
 *                        not the lazy chunks (target <= 60)
 *   firstThumbsMs        navigation → the first 12 thumbnails painted, fresh browser, loopback
 *   firstThumbsSlowMs    the same over a 1 Mbit/s link with 300 ms latency (Chromium's DevTools
 *                        network emulation), the field office's Wi-Fi on a bad day (target <= 2500)
 * Ends with one JSON line {"bench":"web", ...}.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { addUser } from '../src/auth/users.js';
import type { Catalog } from '../src/library/catalog/open.js';
import { derivedRelPath } from '../src/library/layout.js';
import { CHROMIUM, launchBrowser } from '../test/kit/browser.js';
import { gzipSync } from 'node:zlib';
import { systemClock } from '../src/adapters/clock.js';
import { silentLogger } from '../src/adapters/logger.js';
import { openCatalog } from '../src/library/catalog/open.js';
import { initDrive } from '../src/library/drive.js';
import { buildApp } from '../src/server/app.js';
import { allowAll } from '../src/server/deps.js';
import { galleryPage, galleryPageQuery } from '../src/library/catalog/item-list.js';
import { runCompiledOnSqlite } from '../src/library/catalog/handle.js';
import { galleryQueryOf } from '../src/server/item-query.js';
import { listQuery } from '../src/server/schemas.js';
import { startServer } from '../src/server/server.js';
import { fillSyntheticItems } from './lib/synthetic-library.js';

const N = process.argv.includes('--quick') ? 20_000 : 100_000;
const ROUNDS = 60;
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const QUERIES: Record<string, string>[] = [
  { monitor: 'M3', type: 'photo', from: '2024-03-01', to: '2024-10-31', minRating: '2' },
  { event: 'EV-7', sort: 'asc', limit: '200' },
  { tag: 'lion', minRating: '1', type: 'photo' },
  { monitor: 'M5', from: '2025-01-01', priority: 'false' },
  {},
];

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!;
}

function bundleKB(): number | null {
  const dir = resolve(import.meta.dirname, '..', 'dist', 'web', 'assets');
  try {
    const js = readdirSync(dir).filter((f) => f.endsWith('.js'));
    if (!js.length) return null;
    return Math.round(js.reduce((n, f) => n + gzipSync(readFileSync(join(dir, f))).length, 0) / 102.4) / 10;
  } catch {
    return null;
  }
}

/**
 * The gallery route's JavaScript: the entry script of index.html and the chunks it preloads
 * (Vite writes them as modulepreload links), gzipped. Lazy chunks load only when a page needs them.
 */
function galleryKB(): number | null {
  const dist = resolve(import.meta.dirname, '..', 'dist', 'web');
  try {
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    const srcs = [
      ...html.matchAll(
        /<(?:script type="module"[^>]*src|link rel="modulepreload"[^>]*href)="\/([^"]+\.js)"/g,
      ),
    ].map((m) => m[1]!);
    if (!srcs.length) return null;
    const bytes = srcs.reduce((n, f) => n + gzipSync(readFileSync(join(dist, f))).length, 0);
    return Math.round(bytes / 102.4) / 10;
  } catch {
    return null;
  }
}

/** 1 Mbit/s both ways, 300 ms round trip: a slow, far Wi-Fi link. */
const SLOW_LINK = { offline: false, latency: 300, downloadThroughput: 125_000, uploadThroughput: 125_000 };

/**
 * Navigation to the first screen of thumbnails painted, in headless Chromium (Debian's), logged
 * in, fresh browser context each time (nothing cached). Real thumbnail files for the first pages.
 */
async function measureFirstThumbs(
  catalog: Catalog,
  root: string,
  url: string,
): Promise<{ fast: number; slow: number } | null> {
  if (bundleKB() === null || !existsSync(CHROMIUM)) {
    log('firstThumbsMs: skipped (web app not built or no /usr/bin/chromium)');
    return null;
  }
  // A thumbnail the size real ones are (noise, like foliage; ~10-20 KB), not a flat colour.
  const webp = await sharp({
    create: {
      width: 320,
      height: 240,
      channels: 3,
      background: '#5a7',
      noise: { type: 'gaussian', mean: 110, sigma: 30 },
    },
  })
    .blur(1.2)
    .webp({ quality: 70 })
    .toBuffer();
  log(`thumbnail size: ${(webp.length / 1024).toFixed(1)} KB`);
  // The 400 newest items, as the gallery lists them (through the catalogue's door).
  const newest = (await galleryPage(catalog, { sort: 'desc', limit: 400 })).items;
  for (const { id } of newest) {
    const p = join(root, derivedRelPath(id, 'thumb'));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, webp);
  }
  await addUser(catalog, { name: 'bench', role: 'viewer', password: 'bench-password-123', now: new Date() });
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
    body: JSON.stringify({ name: 'bench', password: 'bench-password-123' }),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const session = /outpost_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  if (!session) throw new Error('no session cookie');
  const run = async (rounds: number, slow: boolean): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) times.push(await once(slow));
    // The first round warms the server's caches and the disk: not counted.
    const sorted = times.slice(1).sort((a, b) => a - b);
    return Math.round(sorted[sorted.length >> 1]!);
  };
  const once = async (slow: boolean): Promise<number> => {
    const b = await launchBrowser({ tablet: true });
    try {
      await b.context.addCookies([{ name: 'outpost_session', value: session, url }]);
      if (slow) {
        const cdp = await b.context.newCDPSession(b.page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', SLOW_LINK);
      }
      const t0 = performance.now();
      if (process.env.BENCH_TRACE && slow) {
        b.page.on('requestfinished', (r) =>
          log(`  ${Math.round(performance.now() - t0)} ms  ${r.method()} ${r.url().replace(url, '')}`),
        );
      }
      await b.page.goto(`${url}/`);
      // A string: evaluated in the page (this file is compiled without the DOM types).
      await b.page.waitForFunction(
        "[...document.querySelectorAll('.cell img')].filter((i) => i.complete && i.naturalWidth > 0).length >= 12",
        undefined,
        { timeout: 60_000 },
      );
      return performance.now() - t0;
    } finally {
      await b.close();
    }
  };
  return { fast: await run(6, false), slow: await run(4, true) };
}

const work = await mkdtemp(join(tmpdir(), 'outpost-bench-web-'));
try {
  const drive = await initDrive(join(work, 'drive'), { now: new Date() });
  const catalog = await openCatalog(drive.layout.catalog);
  log(`filling a catalogue with ${N} items...`);
  await fillSyntheticItems(catalog, N);
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
  const api: number[] = [];
  const direct: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const q of QUERIES) {
      const qs = new URLSearchParams(q).toString();
      let t0 = performance.now();
      const res = await fetch(`${url}/api/items?${qs}`);
      const body = (await res.json()) as { items: unknown[] };
      if (!res.ok || !Array.isArray(body.items)) throw new Error(`GET /api/items?${qs}: ${res.status}`);
      if (r > 0) api.push(performance.now() - t0);
      t0 = performance.now();
      // The very statement the API runs, straight on SQLite (no Kysely, no HTTP).
      runCompiledOnSqlite(catalog, galleryPageQuery(catalog, galleryQueryOf(listQuery.parse(q))).compile());
      if (r > 0) direct.push(performance.now() - t0);
    }
  }
  const thumbs = await measureFirstThumbs(catalog, drive.layout.root, url);
  await app.close();
  await catalog.close();
  const apiP95Ms = Math.round(p95(api) * 100) / 100;
  const sqliteP95Ms = Math.round(p95(direct) * 100) / 100;
  const apiRatio = Math.round((apiP95Ms / sqliteP95Ms) * 100) / 100;
  const kb = bundleKB();
  const gallery = galleryKB();
  log(
    `GET /api/items p95 ${apiP95Ms} ms (target < 50), SQLite alone ${sqliteP95Ms} ms, ratio ${apiRatio} (target <= 3)`,
  );
  log(
    kb === null ? 'bundle: web app not built (npm run build)' : `bundle: ${kb} KB gzipped JS (target < 200)`,
  );
  log(`gallery route: ${gallery ?? 'n/a'} KB gzipped JS (target <= 60)`);
  log(
    `first thumbnails painted ${thumbs?.fast ?? 'n/a'} ms after navigation (fresh tablet browser, logged in); over 1 Mbit/s + 300 ms: ${thumbs?.slow ?? 'n/a'} ms (target <= 2500)`,
  );
  process.stdout.write(
    JSON.stringify({
      bench: 'web',
      items: N,
      apiP95Ms,
      sqliteP95Ms,
      apiRatio,
      bundleKB: kb,
      galleryKB: gallery,
      firstThumbsMs: thumbs?.fast ?? null,
      firstThumbsSlowMs: thumbs?.slow ?? null,
      met: {
        apiP95: apiP95Ms < 50,
        apiRatio: apiRatio <= 3,
        galleryKB: gallery !== null && gallery <= 60,
        firstThumbsSlow: thumbs !== null && thumbs.slow <= 2500,
      },
    }) + '\n',
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
