import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { mbtilesAt } from '../../src/adapters/mbtiles.js';
import { addUser } from '../../src/auth/users.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { NODE, buildTestLibrary, type TestLibrary } from '../integration/server/library.js';
import { launchBrowser, tapUntil, type TestBrowser } from '../kit/browser.js';
import { outpost } from '../kit/cli.js';
import { tileColour, writeMbtiles } from '../kit/mbtiles.js';

const PASSWORD = 'map-test-password';
/** Ben's three photos get hand-set positions here, ~100 m apart (inside the tiles' bounds). */
const SPOT = { lat: -8.5, lon: -74.5 };

/**
 * The map in real Chromium on a touch tablet: offline tiles imported with `outpost map import`,
 * clusters, tapping a point, "show in the gallery", the item view's map link, a reload.
 */
describe('web app: map (headless Chromium, tablet)', { timeout: 240_000 }, () => {
  let lib: TestLibrary;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;
  let work: string;
  let ben: { id: string; originalName: string }[];
  const outside: string[] = [];
  const tileRequests: string[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'outpost-webmap-'));
    const source = join(work, 'peru.mbtiles');
    await writeMbtiles(source, {
      zooms: [0, 1, 2],
      meta: { name: 'Ucayali test area', attribution: '© Test Maps contributors, CC BY 4.0' },
    });
    const dest = join(work, 'station', 'area.mbtiles');
    const config = join(work, 'config.yaml');
    writeFileSync(
      config,
      `station:\n  clock:\n    stateFile: ${join(work, 'clock.json')}\n  map:\n    file: ${dest}\n`,
    );
    const imp = await outpost(['map', 'import', source], { env: { OUTPOST_CONFIG: config } });
    assert.equal(imp.code, 0, imp.stderr);

    lib = await buildTestLibrary();
    await addUser(lib.catalog, { name: 'coord', role: 'editor', password: PASSWORD, now: new Date() });
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: lib.clock,
      map: mbtilesAt(dest),
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser({ tablet: true });
    page = b.page;
    // No internet: anything not from a station on this machine is refused (and noted).
    await b.context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('http://127.0.0.1:') || u.startsWith('data:')) return route.continue();
      outside.push(u);
      return route.abort();
    });
    page.on('request', (r) => {
      if (r.url().includes('/api/map/tiles/')) tileRequests.push(r.url());
    });
    await page.goto(url);
    await page.waitForSelector('form.login');
    await page.fill('input[name=name]', 'coord');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');

    const res = await b.context.request.get(`${url}/api/items?monitor=Ben`);
    ben = ((await res.json()) as { items: { id: string; originalName: string }[] }).items;
    assert.equal(ben.length, 3);
    for (const [i, it] of ben.entries()) {
      const r = await b.context.request.patch(`${url}/api/items/${it.id}`, {
        data: { location: { lat: SPOT.lat + i * 0.001, lon: SPOT.lon + i * 0.001 } },
        headers: { 'x-outpost-csrf': '1' },
      });
      assert.equal(r.status(), 200, await r.text());
    }
  });

  after(async () => {
    await b?.close();
    await app?.close();
    await lib?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The colour at the middle of every painted tile is the one of the tile its URL names. */
  const paintedTiles = async (): Promise<number> => {
    await page.waitForSelector('img.leaflet-tile-loaded');
    const tiles = await page.$$eval('img.leaflet-tile-loaded', (imgs) =>
      imgs.map((img) => {
        const i = img as unknown as { src: string; naturalWidth: number; complete: boolean };
        return { src: i.src, width: i.naturalWidth, complete: i.complete };
      }),
    );
    for (const t of tiles) {
      const m = /\/api\/map\/tiles\/(\d+)\/(\d+)\/(\d+)$/.exec(t.src);
      assert.ok(m && t.src.startsWith(url), `tile from the station: ${t.src}`);
      assert.ok(t.complete && t.width === 256, `painted: ${JSON.stringify(t)}`);
      // The bytes it shows are that tile's (rows flipped right): its own colour.
      const png = await (await b.context.request.get(t.src)).body();
      const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      const c = tileColour(Number(m[1]), Number(m[2]), Number(m[3]));
      assert.deepEqual([data[0], data[1], data[2]], [c.r, c.g, c.b], t.src);
    }
    return tiles.length;
  };

  it('shows the station’s tiles with their source and licence, offline', async () => {
    await page.locator('nav.nav a[href="/map"]').tap();
    await page.waitForSelector('.leaflet-container');
    assert.ok((await paintedTiles()) >= 1);
    assert.ok(tileRequests.length >= 1 && tileRequests.every((u) => u.startsWith(`${url}/api/map/tiles/`)));
    const source = (await page.textContent('.map-source')) ?? '';
    assert.match(source, /Ucayali test area/);
    assert.match(source, /© Test Maps contributors, CC BY 4\.0/);
    assert.deepEqual(outside, [], 'nothing asked of the internet');
  });

  it('clusters show counts; tapping a cluster zooms in; tapping a point opens the item', async () => {
    await page.goto(`${url}/map?lat=${SPOT.lat}&lon=${SPOT.lon}&zoom=6`);
    const cluster = page.locator('.map-cluster', { hasText: /^3$/ });
    await cluster.waitFor();
    await cluster.tap();
    await cluster.waitFor({ state: 'detached' });
    // Split: into points, or a smaller cluster and a point.
    await page.locator('.map-point, .map-cluster').first().waitFor();
    assert.ok((await page.locator('.map-point').count()) >= 1, 'a point shows after the zoom');
    // Close enough to see each photo: tap one.
    await page.goto(`${url}/map?lat=${SPOT.lat}&lon=${SPOT.lon}&zoom=17`);
    const first = page.locator(`.map-point[data-id="${ben[0]!.id}"]`);
    await first.waitFor();
    await page.waitForTimeout(300); // settled (no redraw under the finger)
    await tapUntil(first, async () => (await page.locator('.item-view').count()) > 0);
    await page.waitForSelector('.item-view');
    assert.equal(new URL(page.url()).searchParams.get('item'), ben[0]!.id);
    assert.match((await page.textContent('.item-view .item-title')) ?? '', new RegExp(ben[0]!.originalName));
  });

  it('"show in the gallery" lands in the gallery with the items in view', async () => {
    await page.goto(`${url}/map?lat=${SPOT.lat + 0.001}&lon=${SPOT.lon + 0.001}&zoom=12`);
    const button = page.locator('.map-tools button', { hasText: /Show the 3 in view/ });
    await button.waitFor();
    await button.tap();
    await page.waitForURL((u) => u.pathname === '/' && u.searchParams.has('bbox'));
    await page.waitForSelector('.cell');
    await page.waitForTimeout(300);
    const ids = await page.$$eval('.cell[data-id]', (cells) => cells.map((c) => c.getAttribute('data-id')));
    assert.deepEqual([...ids].sort(), ben.map((i) => i.id).sort());
    // The area is a filter the gallery shows, and drops with a tap.
    await page.locator('.filters button.map-area').tap();
    await page.waitForURL((u) => !u.searchParams.has('bbox'));
    await page.locator('.cell[data-id]').nth(3).waitFor();
  });

  it('the item view’s link of a hand-set position opens the map on it; a reload keeps it', async () => {
    const it1 = ben[1]!;
    await page.goto(`${url}/?item=${it1.id}`);
    await page.waitForSelector('.item-view .position');
    assert.match((await page.textContent('.item-view .position dt')) ?? '', /set by hand/);
    await page.locator('.item-view .position a.map-link').tap();
    await page.waitForURL((u) => u.pathname === '/map');
    const focus = page.locator(`.map-point.focus[data-id="${it1.id}"]`);
    await focus.waitFor();
    assert.ok(await focus.isVisible());
    await page.reload();
    await page.locator(`.map-point.focus[data-id="${it1.id}"]`).waitFor();
    assert.ok((await paintedTiles()) >= 1);
    assert.deepEqual(outside, []);
    assert.deepEqual(
      b.errors.filter((e) => !/favicon|401 \(Unauthorized\)/.test(e)),
      [],
      'no console errors (CSP included)',
    );
  });
  it('without tiles: says so and how to import, and still shows the points', async () => {
    const bare = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: lib.clock,
      map: mbtilesAt(join(work, 'none.mbtiles')),
    });
    try {
      const { url: other } = await startServer(bare, { host: '127.0.0.1', port: 0 });
      const p = await b.context.newPage();
      // Same catalogue and host: the session cookie (per host, not port) is already there.
      await p.goto(`${other}/map?lat=${SPOT.lat}&lon=${SPOT.lon}&zoom=6`);
      const note = p.locator('.map-source .notice');
      await note.waitFor();
      assert.match((await note.textContent()) ?? '', /No map tiles.*outpost map import file\.mbtiles/);
      await p.locator('.map-cluster', { hasText: /^3$/ }).waitFor();
      assert.equal(await p.locator('img.leaflet-tile').count(), 0, 'no tiles asked for');
      await p.close();
    } finally {
      await bare.close();
    }
  });
});
