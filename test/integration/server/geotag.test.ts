import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ItemDetail, ItemRecord } from '../../../src/server/schemas.js';
import { appFor, buildTestLibrary, call, NODE, type ErrorJson, type TestLibrary } from './library.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

interface Preview {
  matched: { id: string; capturedAt: string; lat: number; lon: number }[];
  unmatched: number;
  skippedHasGps: number;
  skippedHasLocation: number;
  track: { start: string; end: string; points: number };
  bestOffset: { offsetMinutes: number; matched: number };
}

interface ApplyResult {
  updated: number;
  unmatched: number;
  skippedHasGps: number;
  skippedHasLocation: number;
  items: { id: string; attributes: ItemRecord['attributes'] }[];
}

let lib: TestLibrary;
let app: FastifyInstance;
/** Ben's three photos (no GPS), by capture time: 2023-07-10/11/12 06:30:00 camera time. */
let ben: ItemRecord[];

before(async () => {
  lib = await buildTestLibrary();
  app = await appFor(lib);
  const { body } = await call<{ items: ItemRecord[] }>(app, { url: '/api/items?monitor=Ben&sort=asc' });
  ben = body.items;
});
after(async () => {
  await app.close();
  await lib.close();
});

const trkpt = (lat: number, lon: number, time: string): string =>
  `<trkpt lat="${lat}" lon="${lon}"><ele>1600</ele><time>${time}</time></trkpt>`;

/**
 * Camera at UTC+3: 06:30 camera time is 03:30Z. The track brackets the first two photos
 * (the second by a short segment of its own) and stops before the third.
 */
const GPX =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>survey</name>' +
  `<trkseg>${trkpt(-1.0, 36.0, '2023-07-10T03:25:00Z')}${trkpt(-1.2, 36.4, '2023-07-10T03:35:00Z')}</trkseg>` +
  `<trkseg>${trkpt(-2.0, 37.0, '2023-07-11T03:29:00Z')}${trkpt(-2.0, 37.2, '2023-07-11T03:31:00Z')}</trkseg>` +
  '</trk></gpx>';

const opsOf = (id: string): { field: string; value: string; origin: string }[] =>
  sqliteOf(lib.catalog)
    .prepare("select field, value, origin from ops where entity = 'item' and entity_id = ? order by seq")
    .all(id) as { field: string; value: string; origin: string }[];

describe('POST /api/geotag/preview', () => {
  it('the test library has three photos without GPS for Ben', () => {
    assert.equal(ben.length, 3);
    assert.deepEqual(
      ben.map((b) => b.sortTime),
      ['2023-07-10T06:30:00', '2023-07-11T06:30:00', '2023-07-12T06:30:00'],
    );
    assert.ok(ben.every((b) => b.gps === null && b.attributes.location === null));
  });

  it('lists exactly the items whose capture time the track brackets, with interpolated positions', async () => {
    const { status, body } = await call<Preview>(app, {
      method: 'POST',
      url: '/api/geotag/preview',
      payload: { gpx: GPX, offsetMinutes: 180 },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.matched, [
      { id: ben[0]!.id, capturedAt: '2023-07-10T06:30:00', lat: -1.1, lon: 36.2 },
      { id: ben[1]!.id, capturedAt: '2023-07-11T06:30:00', lat: -2, lon: 37.1 },
    ]);
    assert.deepEqual(body.track, {
      start: '2023-07-10T03:25:00.000Z',
      end: '2023-07-11T03:31:00.000Z',
      points: 4,
    });
    assert.ok(body.skippedHasGps > 0, 'corpus photos with GPS are left alone');
    assert.ok(body.unmatched >= 1, 'the third photo is outside the track');
  });

  it('the filter narrows the items; the offset and the drift move the capture times', async () => {
    const post = (extra: Record<string, unknown>): Promise<{ status: number; body: Preview }> =>
      call<Preview>(app, {
        method: 'POST',
        url: '/api/geotag/preview',
        payload: { gpx: GPX, filter: { monitor: 'Ben' }, ...extra },
      });
    const exact = await post({ offsetMinutes: 180 });
    assert.equal(exact.status, 200, JSON.stringify(exact.body));
    assert.equal(exact.body.matched.length, 2);
    assert.equal(exact.body.unmatched, 1);
    assert.equal(exact.body.skippedHasGps, 0);
    // UTC camera: 06:30Z is after the first segment and the second: nothing.
    const utc = await post({ offsetMinutes: 0 });
    assert.deepEqual(utc.body.matched, []);
    assert.equal(utc.body.unmatched, 3);
    // "Find the offset": from the wrong (UTC) offset, the search finds one that matches as many
    // as the right one, and a preview at that offset matches what it said.
    const found = utc.body.bestOffset;
    assert.ok(found.matched >= 2, JSON.stringify(found));
    assert.equal(found.offsetMinutes % 15, 0);
    const at = await post({ offsetMinutes: found.offsetMinutes });
    assert.equal(at.body.matched.length, found.matched);
    // From the right offset, a tie keeps it.
    assert.deepEqual(exact.body.bestOffset, { offsetMinutes: 180, matched: 2 });
    // Camera clock 2 minutes fast: the second photo (segment of 2 minutes) falls out; the
    // first moves to 03:28Z, 3/10 of its segment.
    const drift = await post({ offsetMinutes: 180, driftSeconds: 120 });
    assert.deepEqual(
      drift.body.matched.map((m) => [m.id, m.lat, m.lon]),
      [[ben[0]!.id, -1.06, 36.12]],
    );
    // A short maxGap leaves out the first photo (its points are 10 minutes apart).
    const gap = await post({ offsetMinutes: 180, maxGapMinutes: 5 });
    assert.deepEqual(
      gap.body.matched.map((m) => m.id),
      [ben[1]!.id],
    );
  });

  it('400 for malformed GPX, a DTD, bad fields and unknown filters', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ gpx: '<gpx><trk>', offsetMinutes: 0 }, /not well-formed/],
      [{ gpx: '<!DOCTYPE gpx><gpx/>', offsetMinutes: 0 }, /DTD/],
      [{ gpx: '<gpx version="1.1"></gpx>', offsetMinutes: 0 }, /no track or route points/],
      [{ gpx: GPX }, /body\.offsetMinutes/],
      [{ gpx: GPX, offsetMinutes: 180, filter: { minrating: 3 } }, /body\.filter/],
    ];
    for (const [payload, pattern] of cases) {
      const { status, body } = await call<ErrorJson>(app, {
        method: 'POST',
        url: '/api/geotag/preview',
        payload,
      });
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.error.code, 'INVALID_INPUT');
      assert.match(body.error.message, pattern);
    }
  });

  it('takes a GPX bigger than the 1 MiB of other bodies', async () => {
    const filler = `<!--${'x'.repeat(2 * 1024 * 1024)}-->`;
    const { status, body } = await call<Preview>(app, {
      method: 'POST',
      url: '/api/geotag/preview',
      payload: {
        gpx: GPX.replace('<trk>', `${filler}<trk>`),
        offsetMinutes: 180,
        filter: { monitor: 'Ben' },
      },
    });
    assert.equal(status, 200, JSON.stringify(body).slice(0, 300));
    assert.equal(body.matched.length, 2);
  });
});

describe('POST /api/geotag/apply', () => {
  it('applies the positions of a preview: attributes, op log and sidecars', async () => {
    const { body: preview } = await call<Preview>(app, {
      method: 'POST',
      url: '/api/geotag/preview',
      payload: { gpx: GPX, offsetMinutes: 180, filter: { monitor: 'Ben' } },
    });
    const assignments = preview.matched.map(({ id, lat, lon }) => ({ id, lat, lon }));
    const { status, body } = await call<ApplyResult>(app, {
      method: 'POST',
      url: '/api/geotag/apply',
      payload: { assignments },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.updated, 2);
    for (const a of assignments) {
      const { body: item } = await call<ItemDetail>(app, { url: `/api/items/${a.id}` });
      assert.deepEqual(item.attributes.location, { lat: a.lat, lon: a.lon, source: 'gpx' });
      const ops = opsOf(a.id).filter((o) => o.field === 'location');
      assert.equal(ops.length, 1);
      assert.equal(ops[0]!.origin, NODE);
      const xmp = readFileSync(join(lib.drive.layout.root, `${item.path}.xmp`), 'utf8');
      assert.match(xmp, /exif:GPSLatitude/);
      assert.match(xmp, /exif:GPSLongitude/);
    }
    const { body: third } = await call<ItemDetail>(app, { url: `/api/items/${ben[2]!.id}` });
    assert.equal(third.attributes.location, null);
  });

  it('items with a location are skipped by the next preview; apply with the track body counts', async () => {
    const { status, body } = await call<ApplyResult>(app, {
      method: 'POST',
      url: '/api/geotag/apply',
      payload: { gpx: GPX, offsetMinutes: 180, filter: { monitor: 'Ben' } },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.updated, 0);
    assert.equal(body.skippedHasLocation, 2);
    assert.equal(body.unmatched, 1);
  });

  it('404 and nothing changes when an id is not an item; 400 for a bad latitude', async () => {
    const missing = 'f'.repeat(64);
    const before = opsOf(ben[2]!.id).length;
    const r = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/geotag/apply',
      payload: {
        assignments: [
          { id: ben[2]!.id, lat: 1, lon: 2 },
          { id: missing, lat: 1, lon: 2 },
        ],
      },
    });
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'ITEM_NOT_FOUND');
    assert.equal(opsOf(ben[2]!.id).length, before);
    const bad = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/geotag/apply',
      payload: { assignments: [{ id: ben[2]!.id, lat: 91, lon: 2 }] },
    });
    assert.equal(bad.status, 400);
  });
});

describe('error bodies stay small whatever the input', () => {
  const big = (c: string): string => c.repeat(1_800_000);

  it('a 1.8 MB GPX that is not XML gets a 400 under 4 KB, saying what is wrong', async () => {
    for (const gpx of [
      `<gpx><${big('a')}></gpx>`, // the parser quotes the tag name
      `<gpx></${big('b')}>`,
      // Control characters: six bytes each once JSON-escaped (5.4 MB of body, under its 7 MiB limit).
      `<gpx><trk><${'\u0001'.repeat(900_000)}`,
    ]) {
      const r = await call<ErrorJson>(app, {
        method: 'POST',
        url: '/api/geotag/preview',
        payload: { gpx, offsetMinutes: 0 },
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.match(r.body.error.message, /GPX/);
      assert.ok(r.res.rawPayload.length < 4096, `${r.res.rawPayload.length} bytes`);
    }
  });

  it('a body of 100,000 bad assignments gets a 400 under 4 KB (problems cut, the count said)', async () => {
    const r = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/geotag/apply',
      payload: { assignments: Array.from({ length: 100_000 }, () => ({ id: 'x', lat: 91, lon: 200 })) },
    });
    assert.equal(r.status, 400);
    assert.ok(r.res.rawPayload.length < 4096, `${r.res.rawPayload.length} bytes`);
    assert.match(JSON.stringify(r.body.error.details), /more/);
  });

  it('a huge unknown field name is not echoed', async () => {
    const r = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/geotag/preview',
      payload: { gpx: '<gpx/>', offsetMinutes: 0, [big('k')]: 1 },
    });
    assert.equal(r.status, 400);
    assert.ok(r.res.rawPayload.length < 4096, `${r.res.rawPayload.length} bytes`);
  });
});
