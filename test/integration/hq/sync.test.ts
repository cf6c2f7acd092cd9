import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../../../src/auth/users.js';
import { encodeHlc } from '../../../src/core/hlc.js';
import type { Op } from '../../../src/core/ops.js';
import { itemFacts as facts, sha256, startTestHq, tusUpload, type TestHq } from '../../kit/hq.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

/**
 * /hq/v1/have, /sync and /ops, and the web app's view of what stations sent: items, attributes
 * from ops, media from the object store, storage stats and deletion.
 */
let hq: TestHq;
const FAST = { N: 1024, r: 8, p: 1 };

before(async () => {
  hq = await startTestHq();
});
after(async () => hq.close());

/** A JSON answer, read loosely by the assertions below (they check its shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function post(path: string, key: string, body: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${hq.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

async function get(path: string, key: string): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${hq.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
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

async function login(): Promise<Record<string, string>> {
  await addUser(hq.catalog, {
    name: 'ed',
    role: 'editor',
    password: 'correct horse battery',
    now: new Date(),
    scrypt: FAST,
  });
  const res = await fetch(`${hq.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
    body: JSON.stringify({ name: 'ed', password: 'correct horse battery' }),
  });
  assert.equal(res.status, 200, await res.text());
  const cookie = /outpost_session=[^;]*/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  assert.ok(cookie);
  return { cookie, 'x-outpost-csrf': '1' };
}

describe('station sync and the web app at HQ', () => {
  const original = Buffer.from('pretend JPEG bytes of item one');
  const one = sha256(original);
  const two = sha256('item two');
  const thumb = Buffer.from('pretend webp thumb of item two');
  let session: Record<string, string>;

  it('/have is false for what HQ lacks, true once verified bytes arrived', async () => {
    const key = hq.key('alpha');
    const ask = { objects: [{ item: one, rendition: 'original', sha256: one }] };
    assert.deepEqual((await post('/hq/v1/have', key, ask)).json, { have: [false] });
    await tusUpload({
      baseUrl: hq.url,
      key,
      bytes: original,
      metadata: { item: one, rendition: 'original', sha256: one },
    }).done;
    // A thumbnail proves nothing about its item: only a station that sent the item's facts may
    // give it one (issue 10).
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
    const bad = await post('/hq/v1/have', key, { objects: [{ item: 'zz', rendition: 'raw', sha256: one }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'INVALID_INPUT');
  });

  it('/sync upserts facts and merges ops; /ops returns the merged log from a cursor', async () => {
    const key = hq.key('alpha');
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
    // A repeat is a no-op (facts immutable, ops idempotent).
    const again = await post('/hq/v1/sync', key, { items: [facts(one, 1)], ops: [] });
    assert.deepEqual([again.json.items, again.json.ops], [0, 0]);

    const pulled = await get('/hq/v1/ops?since=0', hq.key('bravo'));
    assert.equal(pulled.status, 200);
    assert.equal(pulled.json.ops.length, 3);
    assert.equal(pulled.json.cursor, res.json.cursor);
    const rest = await get(`/hq/v1/ops?since=${pulled.json.cursor}`, hq.key('bravo'));
    assert.deepEqual(rest.json, { ops: [], cursor: pulled.json.cursor, node: 'hq-test' });
    const page = await get('/hq/v1/ops?since=0&limit=2', hq.key('bravo'));
    assert.equal(page.json.ops.length, 2);
  });

  it('an op about an item whose facts the station has not sent is refused; with its facts it sets the attribute', async () => {
    const three = sha256('item three');
    const key = hq.key('alpha');
    const early = await post('/hq/v1/sync', key, { items: [], ops: [op('alpha', three, 'rating', 5)] });
    assert.equal(early.json.ops, 0);
    assert.equal(early.json.refused[0].code, 'OP_FORBIDDEN');
    await post('/hq/v1/sync', key, { items: [facts(three, 3)], ops: [op('alpha', three, 'rating', 5)] });
    const row = sqliteOf(hq.catalog).prepare('select rating, state from items where id = ?').get(three) as {
      rating: number;
      state: string;
    };
    assert.deepEqual({ ...row }, { rating: 5, state: 'remote' });
  });

  it('an op whose origin is not the station → 403 for the whole request, nothing merged', async () => {
    const before = (await get('/hq/v1/ops?since=0&limit=5000', hq.key('alpha'))).json.ops.length;
    const res = await post('/hq/v1/sync', hq.key('alpha'), {
      items: [],
      ops: [op('alpha', one, 'rating', 1), op('bravo', one, 'rating', 0)],
    });
    assert.equal(res.status, 403);
    assert.equal(res.json.error.code, 'FORBIDDEN');
    // "alphabet" is not "alpha:" either.
    const sneaky = await post('/hq/v1/sync', hq.key('alpha'), {
      items: [],
      ops: [op('alpha', one, 'rating', 1, 'alphabet')],
    });
    assert.equal(sneaky.status, 403);
    assert.equal((await get('/hq/v1/ops?since=0&limit=5000', hq.key('alpha'))).json.ops.length, before);
  });

  it('malformed sync bodies → 400 naming the fields', async () => {
    const res = await post('/hq/v1/sync', hq.key('alpha'), {
      items: [{ ...facts(one, 1), id: 'x' }],
      ops: [{ nope: 1 }],
    });
    assert.equal(res.status, 400);
    assert.ok(res.json.error.details.problems.length >= 2);
  });

  it('the web app lists items HQ holds bytes of, with attributes and media from the store', async () => {
    session = await login();
    const list = await fetch(`${hq.url}/api/items`, { headers: session });
    assert.equal(list.status, 200);
    const page = (await list.json()) as { items: { id: string; attributes: { rating: number | null } }[] };
    assert.deepEqual(
      page.items.map((i) => i.id).sort(),
      [one, two].sort(),
      'facts-only item three is not listed',
    );
    assert.equal(page.items.find((i) => i.id === one)?.attributes.rating, 4);
    const orig = await fetch(`${hq.url}/api/items/${one}/original`, { headers: session });
    assert.equal(orig.status, 200);
    assert.ok(Buffer.from(await orig.arrayBuffer()).equals(original));
    const range = await fetch(`${hq.url}/api/items/${one}/original`, {
      headers: { ...session, range: 'bytes=2-5' },
    });
    assert.equal(range.status, 206);
    assert.equal(await range.text(), original.subarray(2, 6).toString());
    const th = await fetch(`${hq.url}/api/items/${two}/thumb`, { headers: session });
    assert.equal(th.status, 200);
    assert.ok(Buffer.from(await th.arrayBuffer()).equals(thumb));
    const missing = await fetch(`${hq.url}/api/items/${two}/original`, { headers: session });
    assert.equal(missing.status, 404);
    // Station keys do not open the web app, and sessions do not open /hq/v1.
    assert.equal(
      (await fetch(`${hq.url}/api/items`, { headers: { authorization: `Bearer ${hq.key('alpha')}` } }))
        .status,
      401,
    );
    assert.equal((await fetch(`${hq.url}/hq/v1/ops`, { headers: session })).status, 401);
  });

  it('/api/hq/stats counts bytes and items per station', async () => {
    const res = await fetch(`${hq.url}/api/hq/stats`, { headers: session });
    assert.equal(res.status, 200);
    const s = (await res.json()) as {
      bytes: number;
      objects: number;
      stations: { station: string; objects: number }[];
    };
    assert.equal(s.bytes, original.length + thumb.length);
    assert.equal(s.objects, 2);
    assert.deepEqual(
      s.stations.map((x) => [x.station, x.objects]),
      [['alpha', 2]],
    );
  });

  it('DELETE /api/hq/items/:id tombstones the item (stations pull it) and removes its bytes', async () => {
    const res = await fetch(`${hq.url}/api/hq/items/${one}`, { method: 'DELETE', headers: session });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { id: one, deleted: true, objectsRemoved: 1 });
    assert.equal(await hq.store.has(one), false);
    const ops = (await get('/hq/v1/ops?since=0&limit=5000', hq.key('bravo'))).json.ops as unknown as Op[];
    const tomb = ops.find((o) => o.id === one && o.field === 'deleted');
    assert.ok(tomb && tomb.value === true && tomb.origin === 'hq-test');
    // HQ does not want the bytes again.
    const have = await post('/hq/v1/have', hq.key('alpha'), {
      objects: [{ item: one, rendition: 'original', sha256: one }],
    });
    assert.deepEqual(have.json, { have: [true] });
    assert.equal((await fetch(`${hq.url}/api/items/${one}`, { headers: session })).status, 404);
  });
});
