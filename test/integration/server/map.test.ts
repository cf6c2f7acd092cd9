import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { mbtilesAt } from '../../../src/adapters/mbtiles.js';
import type { ItemRecord } from '../../../src/server/schemas.js';
import { json, outpost } from '../../kit/cli.js';
import { tileColour, writeMbtiles } from '../../kit/mbtiles.js';
import { appFor, buildTestLibrary, call, type ErrorJson, type TestLibrary } from './library.js';

interface Info {
  tiles: {
    name: string;
    attribution: string | null;
    format: string;
    minzoom: number;
    maxzoom: number;
    bounds: number[] | null;
    count: number;
    url: string;
  } | null;
  problem: string | null;
}
interface Points {
  points: { id: string; lat: number; lon: number; source: string }[];
  more: boolean;
}

let work: string;
let config: string;
let dest: string;
let source: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'outpost-map-'));
  dest = join(work, 'station', 'map', 'area.mbtiles');
  config = join(work, 'config.yaml');
  writeFileSync(
    config,
    `station:\n  clock:\n    stateFile: ${join(work, 'clock.json')}\n  map:\n    file: ${dest}\n`,
  );
  source = join(work, 'area.mbtiles');
  await writeMbtiles(source, { zooms: [0, 1, 2] });
});
after(() => rmSync(work, { recursive: true, force: true }));

const cli = (args: string[]) => outpost(['map', ...args], { env: { OUTPOST_CONFIG: config } });

describe('outpost map import / info (the bundle)', () => {
  it('info says how to import when there are no tiles', async () => {
    const r = await cli(['info']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no map tiles/);
    assert.match(r.stdout, /outpost map import/);
  });

  it('rejects a file that is not MBTiles with MAP_TILES_INVALID and a clear message', async () => {
    const bad = join(work, 'photo.mbtiles');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } })
      .jpeg()
      .toFile(bad);
    const r = await cli(['import', bad, '--json']);
    assert.notEqual(r.code, 0);
    const out = `${r.stdout}${r.stderr}`;
    assert.match(out, /MAP_TILES_INVALID/);
    assert.match(out, /not a map tile file/);
    assert.match(out, /photo\.mbtiles/);
    // An SQLite file without tiles.
    const empty = join(work, 'empty.mbtiles');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(empty);
    db.exec('create table other (a)');
    db.close();
    const r2 = await cli(['import', empty]);
    assert.notEqual(r2.code, 0);
    assert.match(`${r2.stdout}${r2.stderr}`, /no "tiles" table/);
    const none = await cli(['info', '--json']);
    assert.equal(json<{ tiles: unknown }>(none).tiles, null, 'nothing installed by a failed import');
  });

  it('imports a raster MBTiles file and describes it', async () => {
    const r = await cli(['import', source, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = json<{ file: string; name: string; tiles: number; replaced: boolean; attribution: string }>(
      r,
    );
    assert.equal(out.file, dest);
    assert.equal(out.name, 'Test area');
    assert.equal(out.tiles, 1 + 4 + 16);
    assert.equal(out.replaced, false);
    assert.equal(out.attribution, '© Test Maps contributors, CC BY 4.0');
    const info = await cli(['info']);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /Test area/);
    assert.match(info.stdout, /21 png/);
    assert.match(info.stdout, /zoom 0–2/);
    assert.match(info.stdout, /-80\.0000, -15\.0000, -70\.0000, -5\.0000/);
    const again = json<{ replaced: boolean }>(await cli(['import', source, '--json']));
    assert.equal(again.replaced, true);
  });
});

describe('map routes', () => {
  let lib: TestLibrary;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let tilesPath: string;

  before(async () => {
    lib = await buildTestLibrary();
    tilesPath = join(work, 'served.mbtiles');
    await writeMbtiles(tilesPath, { zooms: [0, 1, 2], meta: { name: 'Served area' } });
    app = await appFor(lib, { map: mbtilesAt(tilesPath) });
    bare = await appFor(lib, { map: mbtilesAt(join(work, 'absent.mbtiles')) });
  });
  after(async () => {
    await app.close();
    await bare.close();
    await lib.close();
  });

  it('/api/map/info describes the tiles, or says there are none', async () => {
    const { status, body } = await call<Info>(app, { url: '/api/map/info' });
    assert.equal(status, 200);
    assert.equal(body.tiles?.name, 'Served area');
    assert.equal(body.tiles?.attribution, '© Test Maps contributors, CC BY 4.0');
    assert.equal(body.tiles?.count, 21);
    assert.deepEqual(body.tiles?.bounds, [-80, -15, -70, -5]);
    assert.equal(body.tiles?.minzoom, 0);
    assert.equal(body.tiles?.maxzoom, 2);
    assert.equal(body.tiles?.url, '/api/map/tiles/{z}/{x}/{y}');
    const none = await call<Info>(bare, { url: '/api/map/info' });
    assert.deepEqual(none.body, { tiles: null, problem: null });
  });

  it('serves tiles in XYZ numbering (rows flipped from TMS) with an ETag', async () => {
    for (const [z, x, y] of [
      [0, 0, 0],
      [2, 1, 0],
      [2, 3, 2],
    ] as const) {
      const res = await app.inject({ url: `/api/map/tiles/${z}/${x}/${y}` });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'image/png');
      const { data } = await sharp(res.rawPayload).raw().toBuffer({ resolveWithObject: true });
      const c = tileColour(z, x, y);
      assert.deepEqual([data[0], data[1], data[2]], [c.r, c.g, c.b], `tile ${z}/${x}/${y}`);
      const etag = res.headers.etag as string;
      assert.ok(etag);
      const again = await app.inject({
        url: `/api/map/tiles/${z}/${x}/${y}`,
        headers: { 'if-none-match': etag },
      });
      assert.equal(again.statusCode, 304);
    }
  });

  it('a missing tile, a hostile address or no tile file is 404 MAP_TILE_NOT_FOUND', async () => {
    for (const url of [
      '/api/map/tiles/3/0/0', // zoom not in the file
      '/api/map/tiles/1/2/0', // outside the grid
      '/api/map/tiles/-1/0/0',
      '/api/map/tiles/1e1/0/0',
      '/api/map/tiles/0x1/0/0',
      '/api/map/tiles/99999999999999999999/0/0',
      '/api/map/tiles/0/0/0%20or%201=1',
    ]) {
      const { status, body } = await call<ErrorJson>(app, { url });
      assert.equal(status, 404, url);
      assert.equal(body.error.code, 'MAP_TILE_NOT_FOUND', url);
      assert.ok(body.error.message.length < 200, 'the address is cut in the message');
    }
    // Longer than a route parameter may be (fastify's maxParamLength): a plain 404 too.
    const long = await app.inject({ url: `/api/map/tiles/${'9'.repeat(2000)}/0/0` });
    assert.equal(long.statusCode, 404);
    const { status, body } = await call<ErrorJson>(bare, { url: '/api/map/tiles/0/0/0' });
    assert.equal(status, 404);
    assert.equal(body.error.code, 'MAP_TILE_NOT_FOUND');
    assert.match(body.error.message, /no map tiles on this station/);
  });

  it('a broken tile file is reported by /api/map/info, not a crash', async () => {
    const broken = join(work, 'broken.mbtiles');
    writeFileSync(broken, 'not sqlite at all, just text '.repeat(100));
    const a = await appFor(lib, { map: mbtilesAt(broken) });
    try {
      const { status, body } = await call<Info>(a, { url: '/api/map/info' });
      assert.equal(status, 200);
      assert.equal(body.tiles, null);
      assert.match(body.problem ?? '', /not a map tile file/);
    } finally {
      await a.close();
    }
  });

  it('/api/map/points: camera GPS and hand-set positions, filtered like the gallery', async () => {
    const { body: ben } = await call<{ items: ItemRecord[] }>(app, { url: '/api/items?monitor=Ben' });
    const target = ben.items[0]!;
    const before = await call<Points>(app, { url: '/api/map/points' });
    assert.equal(before.status, 200);
    assert.ok(!before.body.points.some((p) => p.id === target.id), 'Ben’s photos have no GPS');
    const cam = before.body.points.filter((p) => p.source === 'camera');
    assert.ok(cam.length >= 1, 'the corpus has photos with EXIF GPS');
    const set = await call(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids: [target.id], patch: { location: { lat: -12.5, lon: -69.2 } } },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const now = await call<Points>(app, { url: '/api/map/points' });
    const p = now.body.points.find((q) => q.id === target.id);
    assert.deepEqual(p && { lat: p.lat, lon: p.lon, source: p.source }, {
      lat: -12.5,
      lon: -69.2,
      source: 'location',
    });
    const onlyBen = await call<Points>(app, { url: '/api/map/points?monitor=Ben' });
    assert.deepEqual(
      onlyBen.body.points.map((q) => q.id),
      [target.id],
    );
    assert.equal(onlyBen.body.more, false);
    // The map's "select these": the gallery list filtered to a box around the hand-set position.
    const inBox = await call<{ items: ItemRecord[] }>(app, {
      url: '/api/items?bbox=-69.3,-12.6,-69.1,-12.4',
    });
    assert.equal(inBox.status, 200, JSON.stringify(inBox.body));
    assert.deepEqual(
      inBox.body.items.map((i) => i.id),
      [target.id],
    );
    const camBox = cam[0]!;
    const around = `${camBox.lon - 0.001},${camBox.lat - 0.001},${camBox.lon + 0.001},${camBox.lat + 0.001}`;
    const cams = await call<{ items: ItemRecord[] }>(app, { url: `/api/items?bbox=${around}` });
    assert.ok(
      cams.body.items.some((i) => i.id === camBox.id),
      'camera GPS inside the box',
    );
    assert.ok(!cams.body.items.some((i) => i.id === target.id));
    for (const bad of ['1,2,3', '0,50,10,40', '0,0,200,10', 'a,b,c,d', '1e3,0,0,0']) {
      const r = await call<ErrorJson>(app, { url: `/api/items?bbox=${bad}` });
      assert.equal(r.status, 400, bad);
    }
  });
});
