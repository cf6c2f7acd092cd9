import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ItemDetail, ItemRecord } from '../../../src/server/schemas.js';
import { appFor, buildTestLibrary, call, NODE, type ErrorJson, type TestLibrary } from './library.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';
import { UplinkJournal } from '../../../src/library/catalog/uplink-journal.js';

interface Page {
  items: ItemRecord[];
  nextCursor: string | null;
  limit: number;
  sort: 'asc' | 'desc';
}

let lib: TestLibrary;
let app: FastifyInstance;

before(async () => {
  lib = await buildTestLibrary();
  app = await appFor(lib);
});
after(async () => {
  await app.close();
  await lib.close();
});

/** Every page of a query, following nextCursor. */
async function allPages(query: string, limit: number): Promise<{ items: ItemRecord[]; pages: number }> {
  const items: ItemRecord[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = query ? '&' : '';
    const url: string = `/api/items?${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const { status, body } = await call<Page>(app, { url });
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(body.items.length <= limit);
    items.push(...body.items);
    cursor = body.nextCursor;
    pages++;
    assert.ok(pages < 1000, 'pagination terminates');
  } while (cursor);
  return { items, pages };
}

function visibleIds(): string[] {
  return (
    sqliteOf(lib.catalog).prepare("select id from items where state = 'stored' and deleted = 0").all() as {
      id: string;
    }[]
  ).map((r) => r.id);
}

const key = (r: ItemRecord): string => `${r.sortTime}\u0000${r.id}`;
/** The gallery's order: dated items by (sortTime, id), then those without a capture date, the same way. */
const galleryOrder = (items: ItemRecord[], sort: 'asc' | 'desc'): string[] => {
  const part = (undated: boolean): string[] => {
    const keys = items
      .filter((i) => (i.capturedAt === null) === undated)
      .map(key)
      .sort();
    return sort === 'asc' ? keys : keys.reverse();
  };
  return [...part(false), ...part(true)];
};

describe('GET /api/items', () => {
  it('pages through every item exactly once, in capture-time order, both ways', async () => {
    const want = new Set(visibleIds());
    assert.ok(want.size > 60, `the corpus gives many items (${want.size})`);
    for (const sort of ['desc', 'asc'] as const) {
      const { items, pages } = await allPages(`sort=${sort}`, 7);
      assert.equal(pages, Math.ceil(want.size / 7), 'no empty last page');
      const ids = items.map((i) => i.id);
      assert.equal(new Set(ids).size, ids.length, 'no item twice');
      assert.deepEqual(new Set(ids), want, 'every item once');
      assert.ok(
        items.some((i) => i.capturedAt === null),
        'the corpus has files without a capture date (the test can fail)',
      );
      assert.deepEqual(items.map(key), galleryOrder(items, sort), `${sort} by (sortTime, id), undated last`);
    }
  });

  it('defaults to newest first, 100 per page, with a null cursor on the last page', async () => {
    const { body } = await call<Page>(app, { url: '/api/items' });
    assert.equal(body.limit, 100);
    assert.equal(body.sort, 'desc');
    assert.equal(body.items.length, visibleIds().length);
    assert.equal(body.nextCursor, null);
  });

  it('item records carry facts, attributes and links', async () => {
    const { items } = await allPages('', 500);
    const canon = items.find((i) => i.originalName === 'Canon_40D.jpg')!;
    assert.equal(canon.type, 'photo');
    assert.equal(canon.monitor, 'Ana');
    assert.equal(canon.capturedAt, '2008-05-30T15:56:01');
    assert.match(canon.camera ?? '', /Canon/);
    assert.deepEqual(canon.attributes, {
      event: null,
      location: null,
      rating: null,
      priority: false,
      tags: [],
      notes: null,
    });
    assert.equal(canon.links.thumb, `/api/items/${canon.id}/thumb`);
    assert.equal(canon.links.poster, null);
    const wav = items.find((i) => i.originalName === 'REC_0001.WAV')!;
    assert.equal(wav.type, 'audio');
    assert.equal(wav.links.thumb, null);
  });
});

describe('filters (checked against the full list)', () => {
  let all: ItemRecord[];
  let evIds: string[];

  before(async () => {
    all = (await allPages('', 500)).items;
    // Attributes to filter on, set through the API itself.
    const photos = all.filter((i) => i.type === 'photo' && i.monitor === 'Ana');
    evIds = photos.slice(0, 6).map((i) => i.id);
    const batches = [
      { ids: evIds, patch: { event: 'EV-RIVER-2024', rating: 4, tags: ['lion', 'dusk'] } },
      { ids: photos.slice(3, 9).map((i) => i.id), patch: { rating: 2, tags: ['lion'] } },
      {
        ids: photos.slice(10, 12).map((i) => i.id),
        patch: { priority: true, notes: 'Fence broken near gate' },
      },
    ];
    for (const b of batches) {
      const r = await call(app, { method: 'POST', url: '/api/items/batch', payload: b });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    all = (await allPages('', 500)).items;
  });

  const check = async (query: string, pred: (r: ItemRecord) => boolean, minHits = 1): Promise<void> => {
    for (const limit of [3, 500]) {
      const got = (await allPages(query, limit)).items.map((i) => i.id);
      const want = all.filter(pred).map((i) => i.id);
      assert.ok(want.length >= minHits, `${query}: the fixture has matches (${want.length})`);
      assert.deepEqual(got, want, `${query} (limit ${limit})`);
    }
  };
  const text = (r: ItemRecord): string =>
    [r.originalName, r.attributes.event, r.attributes.notes, r.attributes.tags.join(' '), r.camera]
      .filter(Boolean)
      .join('\n')
      .toLowerCase();

  it('monitor', async () => {
    await check('monitor=Ben', (r) => r.monitor === 'Ben', 3);
    await check('monitor=Ana', (r) => r.monitor === 'Ana', 50);
    await check('monitor=Nobody', () => false, 0);
  });

  it('type', async () => {
    await check('type=video', (r) => r.type === 'video', 2);
    await check('type=audio', (r) => r.type === 'audio', 2);
    await check('type=photo', (r) => r.type === 'photo', 50);
  });

  it('capture date from/to (a bare "to" date includes its day)', async () => {
    const ben = all.filter((r) => r.monitor === 'Ben').map((r) => r.sortTime);
    assert.deepEqual([...ben].sort(), ['2023-07-10T06:30:00', '2023-07-11T06:30:00', '2023-07-12T06:30:00']);
    // Items without a capture date match no date filter, whatever their file's time.
    const dated = (pred: (r: ItemRecord) => boolean) => (r: ItemRecord) => r.capturedAt !== null && pred(r);
    await check(
      'from=2023-07-11&to=2023-07-11',
      dated((r) => r.sortTime.startsWith('2023-07-11')),
    );
    await check(
      'from=2023-07-10T06:30:01&to=2023-07-12T06:30',
      dated((r) => r.sortTime === '2023-07-11T06:30:00' || r.sortTime === '2023-07-12T06:30:00'),
      2,
    );
    await check(
      'to=2010-01-01',
      dated((r) => r.sortTime < '2010-01-02'),
      3,
    );
    await check(
      'from=2010-01-01',
      dated((r) => r.sortTime >= '2010-01-01'),
      3,
    );
    assert.ok(
      all.some((r) => r.capturedAt === null && r.sortTime >= '2010-01-01'),
      'an undated item whose file time would match (the filter above can fail)',
    );
    await check('undated=only', (r) => r.capturedAt === null, 1);
    await check('undated=exclude', (r) => r.capturedAt !== null, 10);
  });

  it('event, minRating, priority, tag', async () => {
    await check('event=EV-RIVER-2024', (r) => r.attributes.event === 'EV-RIVER-2024', 6);
    await check('minRating=4', (r) => (r.attributes.rating ?? -1) >= 4, 3);
    await check('minRating=2', (r) => (r.attributes.rating ?? -1) >= 2, 6);
    await check('minRating=0', (r) => r.attributes.rating !== null, 6);
    await check('priority=true', (r) => r.attributes.priority, 2);
    await check('priority=false', (r) => !r.attributes.priority, 50);
    await check('tag=lion', (r) => r.attributes.tags.includes('lion'), 6);
    await check(
      'tag=lion&tag=dusk',
      (r) => r.attributes.tags.includes('lion') && r.attributes.tags.includes('dusk'),
      2,
    );
    await check('tag=Lion', () => false, 0);
  });

  it('free text q over name, event, notes, tags and camera (every word, any case)', async () => {
    const q = (words: string[]) => (r: ItemRecord) => words.every((w) => text(r).includes(w));
    await check('q=canon', q(['canon']), 3);
    await check('q=NIKON', q(['nikon']), 2);
    await check('q=river', q(['river']), 6);
    await check('q=fence%20GATE', q(['fence', 'gate']), 2);
    await check('q=dusk', q(['dusk']), 2);
    await check('q=trailcam%20tc-1', q(['trailcam', 'tc-1']), 3);
    await check('q=100%25', q(['100%']), 0);
    await check('q=_', q(['_']), 10);
  });

  it('combined filters, both sort orders', async () => {
    const pred = (r: ItemRecord): boolean =>
      r.monitor === 'Ana' &&
      r.type === 'photo' &&
      (r.attributes.rating ?? -1) >= 2 &&
      r.attributes.tags.includes('lion');
    await check('monitor=Ana&type=photo&minRating=2&tag=lion', pred, 6);
    const asc = (await allPages('monitor=Ana&type=photo&minRating=2&tag=lion&sort=asc', 2)).items;
    assert.deepEqual(
      asc.map((i) => i.id),
      all
        .filter(pred)
        .map((i) => i.id)
        .reverse(),
    );
  });
});

describe('GET /api/items/{id}', () => {
  it('gives the full record with facts, companions and the similar count, by id or unique prefix', async () => {
    const { body: page } = await call<Page>(app, { url: '/api/items?q=MVI_0002' });
    const avi = page.items[0]!;
    for (const ref of [avi.id, avi.id.slice(0, 6), avi.id.slice(0, 20).toUpperCase()]) {
      const { status, body } = await call<ItemDetail>(app, { url: `/api/items/${ref}` });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.id, avi.id);
      assert.equal(body.type, 'video');
      assert.ok(typeof body.facts === 'object' && body.facts !== null);
      assert.deepEqual(
        body.companions.map((c) => c.ext),
        ['thm'],
      );
      assert.equal(body.companions[0]!.path, `${avi.path}.thm`);
      assert.equal(body.similar.href, `/api/items/${avi.id}/similar?maxDistance=10`);
      assert.equal(typeof body.similar.count, 'number');
    }
  });

  it("says where the item's uploads stand at every target: HQ and a bucket", async () => {
    const { body: page } = await call<Page>(app, { url: '/api/items?q=MVI_0002' });
    const avi = page.items[0]!;
    const now = '2024-06-01T10:00:00.000Z';
    const hq = new UplinkJournal(lib.catalog, 'hq');
    const bucket = new UplinkJournal(lib.catalog, 's3://field-archive/outpost');
    hq.enqueueNew(now);
    bucket.enqueueNew(now);
    hq.done(avi.id, 'original', now);
    const { body } = await call<ItemDetail>(app, { url: `/api/items/${avi.id}` });
    const at = (target: string): string[] =>
      body.uplink.filter((u) => u.target === target).map((u) => `${u.rendition}:${u.state}`);
    assert.ok(at('hq').includes('original:done'), JSON.stringify(body.uplink));
    assert.ok(at('s3://field-archive/outpost').includes('original:pending'), JSON.stringify(body.uplink));
    assert.deepEqual([...new Set(body.uplink.map((u) => u.target))].sort(), [
      'hq',
      's3://field-archive/outpost',
    ]);
  });

  it('404 ITEM_NOT_FOUND for an id that is not in the library', async () => {
    const { status, body } = await call<ErrorJson>(app, { url: `/api/items/${'0'.repeat(64)}` });
    assert.equal(status, 404);
    assert.equal(body.error.code, 'ITEM_NOT_FOUND');
    assert.ok(body.error.hint.length > 0);
  });
});

describe('GET /api/items/{id}/similar', () => {
  it('lists near-duplicates closest first, never the item itself, consistent with the count', async () => {
    const all = (await allPages('type=photo', 500)).items;
    let withHits = 0;
    for (const it of all.filter((i) => i.originalName.startsWith('orientation__'))) {
      const { body: detail } = await call<ItemDetail>(app, { url: `/api/items/${it.id}` });
      const { status, body } = await call<{
        id: string;
        maxDistance: number;
        items: { distance: number; item: ItemRecord }[];
      }>(app, { url: `/api/items/${it.id}/similar` });
      assert.equal(status, 200);
      assert.equal(body.items.length, detail.similar.count);
      assert.ok(body.items.every((h) => h.item.id !== it.id && h.distance <= 10));
      const d = body.items.map((h) => h.distance);
      assert.deepEqual(
        d,
        [...d].sort((a, b) => a - b),
      );
      if (body.items.length) withHits++;
    }
    assert.ok(withHits > 0, 'the orientation set has near-duplicates');
    const { body: strict } = await call<{ items: unknown[] }>(app, {
      url: `/api/items/${all[0]!.id}/similar?maxDistance=0&limit=1`,
    });
    assert.ok(strict.items.length <= 1);
  });

  it('an item without a perceptual hash (audio) has none', async () => {
    const { body: page } = await call<Page>(app, { url: '/api/items?type=audio' });
    const { status, body } = await call<{ items: unknown[] }>(app, {
      url: `/api/items/${page.items[0]!.id}/similar`,
    });
    assert.equal(status, 200);
    assert.deepEqual(body.items, []);
  });
});

describe('PATCH /api/items/{id}', () => {
  const opsOf = (id: string): { field: string; value: string; origin: string }[] =>
    sqliteOf(lib.catalog)
      .prepare("select field, value, origin from ops where entity = 'item' and entity_id = ? order by seq")
      .all(id) as { field: string; value: string; origin: string }[];

  it('sets every attribute; GET shows the new values; the op log and the sidecar have them', async () => {
    const { body: page } = await call<Page>(app, { url: '/api/items?q=gps__DSCN0010' });
    const item = page.items[0]!;
    const patch = {
      event: 'EV-GPS-1',
      location: { lat: -1.2921, lon: 36.8219 },
      rating: 5,
      priority: true,
      tags: ['elephant', 'herd', 'elephant'],
      notes: 'Herd of twelve, two calves.',
    };
    const before = opsOf(item.id).length;
    const { status, body } = await call<ItemRecord>(app, {
      method: 'PATCH',
      url: `/api/items/${item.id.slice(0, 10)}`,
      payload: patch,
    });
    assert.equal(status, 200, JSON.stringify(body));
    // A location set through the API is recorded as set by hand.
    const want = { ...patch, tags: ['elephant', 'herd'], location: { ...patch.location, source: 'hand' } };
    assert.deepEqual(body.attributes, want);
    const { body: again } = await call<ItemDetail>(app, { url: `/api/items/${item.id}` });
    assert.deepEqual(again.attributes, want);
    const ops = opsOf(item.id).slice(before);
    assert.deepEqual(ops.map((o) => o.field).sort(), [
      'event',
      'location',
      'notes',
      'priority',
      'rating',
      'tags',
    ]);
    assert.ok(ops.every((o) => o.origin === NODE));
    assert.deepEqual(JSON.parse(ops.find((o) => o.field === 'location')!.value), want.location);
    const xmp = readFileSync(join(lib.drive.layout.root, `${item.path}.xmp`), 'utf8');
    assert.match(xmp, /Rating[^0-9]*5/);
    assert.match(xmp, /EV-GPS-1/);
    assert.match(xmp, /elephant/);
  });

  it('null clears a field; fields not given keep their value', async () => {
    const { body: page } = await call<Page>(app, { url: '/api/items?event=EV-GPS-1' });
    const id = page.items[0]!.id;
    const { status, body } = await call<ItemRecord>(app, {
      method: 'PATCH',
      url: `/api/items/${id}`,
      payload: { rating: null, location: null },
    });
    assert.equal(status, 200);
    assert.equal(body.attributes.rating, null);
    assert.equal(body.attributes.location, null);
    assert.equal(body.attributes.event, 'EV-GPS-1');
    assert.deepEqual(body.attributes.tags, ['elephant', 'herd']);
  });

  it('400 with what is wrong: rating 7, unknown field, bad latitude, empty patch, not JSON', async () => {
    const { body: page } = await call<Page>(app, { url: '/api/items?limit=1' });
    const url = `/api/items/${page.items[0]!.id}`;
    const cases: [unknown, RegExp, string][] = [
      [{ rating: 7 }, /body\.rating/, 'rating'],
      [{ rating: 2.5 }, /body\.rating/, 'integer'],
      [{ colour: 'red' }, /colour/, 'unknown'],
      [{ location: { lat: 100, lon: 0 } }, /body\.location\.lat/, 'lat'],
      [{ location: { lat: 1 } }, /body\.location\.lon/, 'lon'],
      [{ tags: 'lion' }, /body\.tags/, 'tags'],
      [{ event: '   ' }, /body\.event/, 'blank event'],
      [{}, /no field/, 'empty'],
      [[1, 2], /body/, 'array'],
    ];
    const opsBefore = sqliteOf(lib.catalog).prepare('select count(*) as n from ops').get() as { n: number };
    for (const [payload, re, what] of cases) {
      const { status, body } = await call<ErrorJson>(app, {
        method: 'PATCH',
        url,
        payload: payload as object,
      });
      assert.equal(status, 400, `${what}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, 'INVALID_INPUT', what);
      assert.match(body.error.message, re, what);
      const problems = body.error.details?.problems as { path: string; message: string }[];
      assert.ok(Array.isArray(problems) && problems.length > 0, what);
    }
    const unknown = await call<ErrorJson>(app, { method: 'PATCH', url, payload: { colour: 'red' } });
    assert.match(unknown.body.error.hint, /event, location, rating, priority, rejected, tags, notes/);
    const notJson = await call<ErrorJson>(app, {
      method: 'PATCH',
      url,
      headers: { 'content-type': 'application/json' },
      payload: '{"rating": 3',
    });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error.code, 'INVALID_INPUT');
    const text = await call<ErrorJson>(app, {
      method: 'PATCH',
      url,
      headers: { 'content-type': 'text/plain' },
      payload: 'rating=3',
    });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const opsAfter = sqliteOf(lib.catalog).prepare('select count(*) as n from ops').get() as { n: number };
    assert.equal(opsAfter.n, opsBefore.n, 'nothing recorded for refused requests');
  });

  it('404 for an unknown id, 400 for an id that is not hex', async () => {
    const missing = await call<ErrorJson>(app, {
      method: 'PATCH',
      url: `/api/items/${'f'.repeat(64)}`,
      payload: { rating: 1 },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'ITEM_NOT_FOUND');
    const bad = await call<ErrorJson>(app, {
      method: 'PATCH',
      url: '/api/items/xyz123',
      payload: { rating: 1 },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /params\.id/);
  });
});

describe('POST /api/items/batch', () => {
  it('sets the same attributes on 20 items in one call', async () => {
    const { body: page } = await call<Page>(app, {
      url: '/api/items?type=photo&monitor=Ana&sort=asc&limit=20',
    });
    const ids = page.items.map((i) => i.id);
    assert.equal(ids.length, 20);
    const lastSeq = (sqliteOf(lib.catalog).prepare('select max(seq) as s from ops').get() as { s: number }).s;
    const { status, body } = await call<{
      updated: number;
      items: { id: string; attributes: ItemRecord['attributes'] }[];
    }>(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: {
        ids: [...ids, ids[0]],
        patch: { event: 'EV-BATCH-20', location: { lat: 0.5, lon: 37.1 }, rating: 3 },
        // Some of them carry their own GPS: overwrite those too (the default leaves them alone).
        overwriteGps: true,
      },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.updated, 20);
    assert.deepEqual(
      body.items.map((i) => i.id),
      ids,
    );
    assert.ok(body.items.every((i) => i.attributes.event === 'EV-BATCH-20' && i.attributes.rating === 3));
    // One op per item and field. (An item with a card sidecar never imported also gets that
    // sidecar's values as ops first: applyAttributes' rule, not counted here.)
    const ops = sqliteOf(lib.catalog)
      .prepare(
        "select field, value, count(distinct entity_id) as items from ops where seq > ? and entity = 'item' and field in ('event', 'location', 'rating') group by field, value order by field",
      )
      .all(lastSeq ?? 0) as { field: string; value: string; items: number }[];
    const patched = ops.filter((o) =>
      ['"EV-BATCH-20"', '{"lat":0.5,"lon":37.1,"source":"hand"}', '3'].includes(o.value),
    );
    assert.deepEqual(
      patched.map((o) => [o.field, o.items]),
      [
        ['event', 20],
        ['location', 20],
        ['rating', 20],
      ],
    );
    const listed = await allPages('event=EV-BATCH-20', 500);
    assert.deepEqual(new Set(listed.items.map((i) => i.id)), new Set(ids));
    for (const it of listed.items)
      assert.deepEqual(it.attributes.location, { lat: 0.5, lon: 37.1, source: 'hand' });
  });

  it('all or nothing: an unknown id changes nothing (404 naming it)', async () => {
    const { body: page } = await call<Page>(app, { url: '/api/items?limit=3' });
    const ghost = 'e'.repeat(64);
    const opsBefore = (sqliteOf(lib.catalog).prepare('select count(*) as n from ops').get() as { n: number })
      .n;
    const { status, body } = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids: [...page.items.map((i) => i.id), ghost], patch: { rating: 1 } },
    });
    assert.equal(status, 404);
    assert.equal(body.error.code, 'ITEM_NOT_FOUND');
    assert.deepEqual(body.error.details?.missing, [ghost]);
    const opsAfter = (sqliteOf(lib.catalog).prepare('select count(*) as n from ops').get() as { n: number })
      .n;
    assert.equal(opsAfter, opsBefore);
  });

  it('400 for bad batches: no ids, prefixes, more than 5000 ids, bad patch, unknown key', async () => {
    const id = 'a'.repeat(64);
    const cases: [unknown, RegExp][] = [
      [{ ids: [], patch: { rating: 1 } }, /body\.ids/],
      [{ ids: ['abcdef'], patch: { rating: 1 } }, /body\.ids\.0/],
      [{ ids: Array.from({ length: 5001 }, () => id), patch: { rating: 1 } }, /body\.ids/],
      [{ ids: [id], patch: { rating: 9 } }, /body\.patch\.rating/],
      [{ ids: [id] }, /changes nothing/],
      [{ ids: [id], patch: { rating: 1 }, dryRun: true }, /dryRun/],
    ];
    for (const [payload, re] of cases) {
      const { status, body } = await call<ErrorJson>(app, {
        method: 'POST',
        url: '/api/items/batch',
        payload: payload as object,
      });
      assert.equal(status, 400, JSON.stringify(body).slice(0, 300));
      assert.match(body.error.message, re);
    }
  });
});
