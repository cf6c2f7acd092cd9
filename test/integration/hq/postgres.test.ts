import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeHlc } from '../../../src/core/hlc.js';
import type { Op } from '../../../src/core/ops.js';
import { getItem } from '../../../src/library/catalog/items.js';
import { hqStats, objectOf } from '../../../src/library/catalog/objects.js';
import { testPostgresUrl } from '../../kit/catalogs.js';
import { itemFacts as facts, sha256, startTestHq, tusUpload, type TestHq } from '../../kit/hq.js';

/**
 * HQ with its catalogue on PostgreSQL (config `hq.database: postgres://…`): the station protocol
 * gives the same answers as on SQLite (sync.test.ts), and two HQ nodes on one database share
 * the op log without losing a write.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

// Asked for here, at the top: the kit stops its cluster when the file's top-level tests end.
const databases = Promise.all([testPostgresUrl(), testPostgresUrl()]);

async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

let hlcWall = Date.parse('2024-06-01T12:00:00Z');
function op(station: string, id: string, field: string, value: unknown, origin = station): Op {
  return {
    entity: 'item',
    id,
    field,
    value,
    hlc: encodeHlc({ wall: hlcWall++, counter: 0, node: origin }),
    origin,
  };
}

describe('HQ on PostgreSQL: station sync and uploads', () => {
  let hq: TestHq;
  before(async () => {
    hq = await startTestHq({ database: (await databases)[0] });
  });
  after(async () => hq?.close());

  const post = (path: string, key: string, body: unknown) => call(hq.url, 'POST', path, key, body);
  const get = (path: string, key: string) => call(hq.url, 'GET', path, key);
  const original = Buffer.from('pretend JPEG bytes of item one');
  const one = sha256(original);
  const two = sha256('item two');
  const thumb = Buffer.from('pretend webp thumb of item two');

  it('runs on the PostgreSQL catalogue', () => {
    assert.equal(hq.catalog.engine, 'postgres');
  });

  it('/have is false for what HQ lacks, true once verified bytes arrived; renditions need facts first', async () => {
    const key = await hq.stationKey('alpha');
    const ask = { objects: [{ item: one, rendition: 'original', sha256: one }] };
    assert.deepEqual((await post('/hq/v1/have', key, ask)).json, { have: [false] });
    await tusUpload({
      baseUrl: hq.url,
      key,
      bytes: original,
      metadata: { item: one, rendition: 'original', sha256: one },
    }).done;
    const early = tusUpload({
      baseUrl: hq.url,
      key,
      bytes: thumb,
      metadata: { item: two, rendition: 'thumb', sha256: sha256(thumb) },
    }).done;
    await assert.rejects(early, /response code: 403.*does not hold item/s);
    assert.equal((await post('/hq/v1/sync', key, { items: [facts(two, 2)], ops: [] })).json.items, 1);
    await tusUpload({
      baseUrl: hq.url,
      key,
      bytes: thumb,
      metadata: { item: two, rendition: 'thumb', sha256: sha256(thumb) },
    }).done;
    const res = await post('/hq/v1/have', key, {
      objects: [
        { item: one, rendition: 'original', sha256: one },
        { item: one, rendition: 'thumb', sha256: one },
        { item: two, rendition: 'thumb', sha256: sha256(thumb) },
        { item: two, rendition: 'thumb', sha256: sha256('an older thumb') },
      ],
    });
    assert.deepEqual(res.json, { have: [true, false, true, false] });
    assert.deepEqual(await objectOf(hq.catalog, one, 'original'), { sha256: one, size: original.length });
    assert.equal(await hq.store.has(one), true);
  });

  it('/sync upserts facts and merges ops; /ops returns the merged log from a cursor', async () => {
    const key = await hq.stationKey('alpha');
    const res = await post('/hq/v1/sync', key, {
      items: [facts(one, 1), facts(two, 2)],
      ops: [
        op('alpha', one, 'rating', 4),
        op('alpha', two, 'tags', ['fox']),
        op('alpha', one, 'event', 'E1', 'alpha:tablet'),
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.items, 1, 'item two came with its thumbnail above');
    assert.equal(res.json.ops, 3);
    assert.deepEqual(res.json.refused, []);
    assert.equal(typeof res.json.cursor, 'number');
    const again = await post('/hq/v1/sync', key, { items: [facts(one, 1)], ops: [] });
    assert.deepEqual([again.json.items, again.json.ops], [0, 0]);

    const bravo = await hq.stationKey('bravo');
    const pulled = await get('/hq/v1/ops?since=0', bravo);
    assert.equal(pulled.status, 200);
    assert.equal(pulled.json.ops.length, 3);
    assert.equal(pulled.json.cursor, res.json.cursor);
    const rest = await get(`/hq/v1/ops?since=${pulled.json.cursor}`, bravo);
    assert.deepEqual(rest.json, { ops: [], cursor: pulled.json.cursor, node: 'hq-test' });
    assert.equal((await get('/hq/v1/ops?since=0&limit=2', bravo)).json.ops.length, 2);

    const row = await getItem(hq.catalog, one);
    assert.deepEqual([row?.rating, row?.event, row?.state, row?.has_thumb], [4, 'E1', 'stored', 0]);
    assert.deepEqual(JSON.parse((await getItem(hq.catalog, two))?.tags ?? ''), ['fox']);
  });

  it('an op about an item whose facts the station has not sent is refused; with its facts it sets the attribute', async () => {
    const three = sha256('item three');
    const key = await hq.stationKey('alpha');
    const early = await post('/hq/v1/sync', key, { items: [], ops: [op('alpha', three, 'rating', 5)] });
    assert.equal(early.json.ops, 0);
    assert.equal(early.json.refused[0].code, 'OP_FORBIDDEN');
    await post('/hq/v1/sync', key, { items: [facts(three, 3)], ops: [op('alpha', three, 'rating', 5)] });
    const row = await getItem(hq.catalog, three);
    assert.deepEqual([row?.rating, row?.state], [5, 'remote']);
  });

  it('an op whose origin is not the station → 403 for the whole request, nothing merged', async () => {
    const key = await hq.stationKey('alpha');
    const before = (await get('/hq/v1/ops?since=0&limit=5000', key)).json.ops.length;
    const res = await post('/hq/v1/sync', key, {
      items: [],
      ops: [op('alpha', one, 'rating', 1), op('bravo', one, 'rating', 0)],
    });
    assert.equal(res.status, 403);
    assert.equal(res.json.error.code, 'FORBIDDEN');
    assert.equal((await get('/hq/v1/ops?since=0&limit=5000', key)).json.ops.length, before);
  });

  it('counts bytes and items per station', async () => {
    const s = await hqStats(hq.catalog);
    assert.equal(s.bytes, original.length + thumb.length);
    assert.equal(s.objects, 2);
    assert.equal(s.items, 3);
    assert.deepEqual(
      s.stations.map((x) => [x.station, x.objects]),
      [['alpha', 2]],
    );
  });
});

describe('two HQ nodes on one PostgreSQL catalogue', () => {
  let url: string;
  let a: TestHq;
  let b: TestHq;
  before(async () => {
    url = (await databases)[1];
    a = await startTestHq({ database: url, node: 'hq-a' });
    b = await startTestHq({ database: url, node: 'hq-b' });
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  it('stations syncing conflicting edits to either node at once: both nodes end with the latest edit', async () => {
    // One station key, made at one node, works at both (one station_keys table).
    const alpha = await a.stationKey('alpha');
    const bravo = await a.stationKey('bravo');
    const item = sha256('a shared item');
    for (const k of [alpha, bravo])
      assert.equal(
        (await call(b.url, 'POST', '/hq/v1/sync', k, { items: [facts(item, 1)], ops: [] })).status,
        200,
      );
    const ops = (station: string) => Array.from({ length: 40 }, (_, i) => op(station, item, 'rating', i % 6));
    const fromAlpha = ops('alpha');
    const fromBravo = ops('bravo');
    const sends = [];
    for (let i = 0; i < 40; i += 4) {
      sends.push(call(a.url, 'POST', '/hq/v1/sync', alpha, { items: [], ops: fromAlpha.slice(i, i + 4) }));
      sends.push(call(b.url, 'POST', '/hq/v1/sync', bravo, { items: [], ops: fromBravo.slice(i, i + 4) }));
      sends.push(call(b.url, 'POST', '/hq/v1/sync', alpha, { items: [], ops: fromAlpha.slice(i, i + 4) }));
    }
    const answers = await Promise.all(sends);
    assert.deepEqual(
      answers.map((r) => r.status),
      answers.map(() => 200),
    );
    const latest = [...fromAlpha, ...fromBravo].reduce((x, y) => (y.hlc > x.hlc ? y : x));
    for (const node of [a, b]) {
      assert.equal((await getItem(node.catalog, item))?.rating, latest.value);
      const log = await call(node.url, 'GET', '/hq/v1/ops?since=0&limit=5000', alpha);
      assert.equal(log.json.ops.length, 80, 'every op once, whichever node took it');
    }
  });
});
