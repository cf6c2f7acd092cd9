/**
 * A tablet's offline edits through the station's API (issue 18, docs/offline.md): taken once
 * (a replayed push changes nothing), checked like an edit, sidecars written; a conflict when the
 * station changed the field since the value the person saw (last writer wins, both values kept,
 * one tap takes the other); a clock days fast cannot outrank later edits; take-away manifests
 * with an etag (an unchanged set moves almost nothing) and changes since a cursor.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { encodeHlc } from '../../../src/core/hlc.js';
import { allOpHeads } from '../../../src/library/catalog/ops.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';
import type { ItemRecord } from '../../../src/server/schemas.js';
import { appFor, buildTestLibrary, call, type ErrorJson, type TestLibrary } from './library.js';

type Attrs = ItemRecord['attributes'];
interface Conflict {
  id: string;
  item: string;
  field: string;
  deviceValue: unknown;
  otherValue: unknown;
  winner: 'device' | 'other';
  resolution: string | null;
}
interface PushResult {
  results: {
    hlc: string;
    outcome: 'applied' | 'superseded' | 'refused';
    duplicate: boolean;
    message?: string;
    conflict?: Conflict;
  }[];
  items: { id: string; attributes: Attrs }[];
  hlc: string;
}
interface Manifest {
  etag: string;
  unchanged: boolean;
  items?: ItemRecord[];
  count: number;
  cursor: number;
  estimate: { thumbBytes: number; previewBytes: number; originalBytes: number };
}

let lib: TestLibrary;
let app: FastifyInstance;
let photos: ItemRecord[];
before(async () => {
  lib = await buildTestLibrary();
  app = await appFor(lib);
  photos = (await call<{ items: ItemRecord[] }>(app, { url: '/api/items?type=photo&sort=asc&limit=50' })).body
    .items;
  assert.ok(photos.length >= 6);
});
after(async () => {
  await app.close();
  await lib.close();
});

/** The station clock's current time (the test clock steps a second per reading). */
const stationNow = (): number => lib.clock.now().getTime();
let counter = 0;
const stamp = (wall: number, device = 'tab-1'): string =>
  encodeHlc({ wall, counter: counter++, node: device });
const push = (ops: unknown[], device = 'tab-1') =>
  call<PushResult>(app, { method: 'POST', url: '/api/sync/ops', payload: { device, ops } });
const itemOf = async (id: string): Promise<ItemRecord> =>
  (await call<ItemRecord>(app, { url: `/api/items/${id}` })).body;
const sidecar = (r: ItemRecord): string => readFileSync(join(lib.drive.layout.root, `${r.path}.xmp`), 'utf8');
const opCount = (): number =>
  (sqliteOf(lib.catalog).prepare('SELECT count(*) AS n FROM ops').get() as { n: number }).n;

describe('a device pushes its offline edits', () => {
  it('applies them once: sidecars follow, a replay after a cut changes nothing', async () => {
    const [a, b] = photos;
    const t = stationNow() - 60_000;
    const ops = [
      { hlc: stamp(t), item: a!.id, field: 'rating', value: 4, base: a!.attributes.rating },
      { hlc: stamp(t + 1), item: a!.id, field: 'tags', value: ['río ', 'Río', 'night'], base: [] },
      { hlc: stamp(t + 2), item: b!.id, field: 'event', value: 'EV-2026-11', base: null },
      { hlc: stamp(t + 3), item: b!.id, field: 'location', value: { lat: -12.6, lon: -69.19 }, base: null },
    ];
    const first = await push(ops);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(
      first.body.results.map((r) => [r.outcome, r.duplicate]),
      ops.map(() => ['applied', false]),
    );
    const ra = await itemOf(a!.id);
    assert.equal(ra.attributes.rating, 4);
    assert.deepEqual(ra.attributes.tags, ['río', 'night'], 'canonical: trimmed, once each');
    assert.match(sidecar(ra), /xmp:Rating="4"|<xmp:Rating>4</);
    assert.match(sidecar(await itemOf(b!.id)), /EV-2026-11/);
    const before = opCount();
    const again = await push(ops);
    assert.equal(again.status, 200);
    assert.deepEqual(
      again.body.results.map((r) => [r.outcome, r.duplicate]),
      ops.map(() => ['applied', true]),
    );
    assert.equal(opCount(), before, 'no op logged twice');
    assert.equal((await itemOf(a!.id)).attributes.rating, 4);
  });

  it('refuses what an edit through the API would refuse, naming why, and takes the rest', async () => {
    const [, , c] = photos;
    const t = stationNow();
    const r = await push([
      { hlc: stamp(t), item: c!.id, field: 'rating', value: 9, base: null },
      { hlc: stamp(t + 1), item: 'f'.repeat(64), field: 'rating', value: 2, base: null },
      { hlc: stamp(t + 2, 'tab-2'), item: c!.id, field: 'rating', value: 2, base: null },
      { hlc: stamp(t + 3), item: c!.id, field: 'notes', value: 'seen from the bridge', base: null },
    ]);
    assert.equal(r.status, 200);
    const [bad, unknown, foreign, ok] = r.body.results;
    assert.equal(bad!.outcome, 'refused');
    assert.match(bad!.message!, /rating/);
    assert.equal(unknown!.outcome, 'refused');
    assert.match(unknown!.message!, /no item/);
    assert.equal(foreign!.outcome, 'refused');
    assert.match(foreign!.message!, /not this device/);
    assert.equal(ok!.outcome, 'applied');
    const now = await itemOf(c!.id);
    assert.equal(now.attributes.rating, null);
    assert.equal(now.attributes.notes, 'seen from the bridge');
    const invalid = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/sync/ops',
      payload: {
        device: '../etc',
        ops: [{ hlc: 'x', item: c!.id, field: 'monitor', value: 'Zed', base: null }],
      },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.code, 'INVALID_INPUT');
  });
});

describe('conflicts', () => {
  it('the station changed the rating after the tablet saw it: last writer wins, one conflict, taking the other value works', async () => {
    const item = photos[3]!;
    const tabletEditAt = stationNow(); // the tablet edits offline first…
    const patched = await call(app, {
      method: 'PATCH',
      url: `/api/items/${item.id}`,
      payload: { rating: 2 },
    });
    assert.equal(patched.status, 200); // …then someone at the station sets 2
    const op = { hlc: stamp(tabletEditAt), item: item.id, field: 'rating', value: 5, base: null };
    const r = await push([op]);
    const res = r.body.results[0]!;
    assert.equal(res.outcome, 'superseded');
    assert.equal(res.conflict?.winner, 'other');
    assert.equal(res.conflict?.deviceValue, 5);
    assert.equal(res.conflict?.otherValue, 2);
    assert.equal((await itemOf(item.id)).attributes.rating, 2, 'the later edit holds');
    assert.match(sidecar(await itemOf(item.id)), /xmp:Rating="2"|<xmp:Rating>2</);
    // Replayed: the same conflict, not a second one.
    const again = await push([op]);
    assert.equal(again.body.results[0]!.conflict?.id, res.conflict?.id);
    const list = await call<{ conflicts: Conflict[] }>(app, { url: '/api/sync/conflicts' });
    assert.equal(list.body.conflicts.filter((c) => c.item === item.id).length, 1);
    // One tap: the tablet's 5 after all.
    const took = await call<Conflict>(app, {
      method: 'POST',
      url: `/api/sync/conflicts/${res.conflict!.id}`,
      payload: { choice: 'take-other' },
    });
    assert.equal(took.status, 200, JSON.stringify(took.body));
    assert.equal(took.body.resolution, 'took-other');
    assert.equal((await itemOf(item.id)).attributes.rating, 5);
    assert.match(sidecar(await itemOf(item.id)), /xmp:Rating="5"|<xmp:Rating>5</);
    const open = await call<{ conflicts: Conflict[] }>(app, { url: '/api/sync/conflicts' });
    assert.equal(open.body.conflicts.filter((c) => c.item === item.id).length, 0);
    const all = await call<{ conflicts: Conflict[] }>(app, { url: '/api/sync/conflicts?all=true' });
    assert.equal(all.body.conflicts.filter((c) => c.item === item.id).length, 1);
  });

  it('the tablet edited after the station: its value wins, and the station’s is kept on the list', async () => {
    const item = photos[4]!;
    await call(app, { method: 'PATCH', url: `/api/items/${item.id}`, payload: { event: 'STATION' } });
    const r = await push([
      { hlc: stamp(stationNow() + 1000), item: item.id, field: 'event', value: 'TABLET', base: null },
    ]);
    const res = r.body.results[0]!;
    assert.equal(res.outcome, 'applied');
    assert.equal(res.conflict?.winner, 'device');
    assert.equal(res.conflict?.otherValue, 'STATION');
    assert.equal((await itemOf(item.id)).attributes.event, 'TABLET');
    const stale = await call<ErrorJson>(app, {
      method: 'PATCH',
      url: `/api/items/${item.id}`,
      payload: { event: 'THIRD' },
    });
    assert.equal(stale.status, 200);
    const refused = await call<ErrorJson>(app, {
      method: 'POST',
      url: `/api/sync/conflicts/${res.conflict!.id}`,
      payload: { choice: 'take-other' },
    });
    assert.equal(refused.status, 409, 'changed again since: not overwritten blindly');
    assert.equal(refused.body.error.code, 'CONFLICT_STALE');
    assert.equal((await itemOf(item.id)).attributes.event, 'THIRD');
  });

  it('a tablet clock three days fast does not outrank later edits', async () => {
    const item = photos[5]!;
    const fast = stationNow() + 3 * 86_400_000;
    const r = await push(
      [{ hlc: stamp(fast, 'tab-fast'), item: item.id, field: 'rating', value: 1, base: null }],
      'tab-fast',
    );
    assert.equal(r.body.results[0]!.outcome, 'applied');
    assert.equal((await itemOf(item.id)).attributes.rating, 1);
    const head = (await allOpHeads(lib.catalog)).find((h) => h.id === item.id && h.field === 'rating')!;
    assert.ok(head.hlc < encodeHlc({ wall: fast - 86_400_000, counter: 0, node: '' }), 're-stamped near now');
    await call(app, { method: 'PATCH', url: `/api/items/${item.id}`, payload: { rating: 3 } });
    assert.equal((await itemOf(item.id)).attributes.rating, 3, 'a later edit at the station wins');
  });
});

describe('take-away sets', () => {
  it('a filter’s items with an estimate; an unchanged set answers "unchanged"; an edit changes the etag', async () => {
    const query = 'monitor=Ben&type=photo';
    const first = await call<Manifest>(app, {
      method: 'POST',
      url: '/api/takeaway/manifest',
      payload: { query, originalsUpToS: 30 },
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.count, 3);
    assert.equal(first.body.items!.length, 3);
    assert.ok(first.body.estimate.thumbBytes > 0 && first.body.estimate.previewBytes > 0);
    assert.equal(
      first.body.estimate.originalBytes,
      first.body.items!.reduce((s, i) => s + i.size, 0),
    );
    const same = await call<Manifest>(app, {
      method: 'POST',
      url: '/api/takeaway/manifest',
      payload: { query, have: first.body.etag },
    });
    assert.equal(same.body.unchanged, true);
    assert.equal(same.body.items, undefined);
    assert.ok(same.res.body.length < 400, `an unchanged set's answer is small (${same.res.body.length} B)`);
    await call(app, {
      method: 'PATCH',
      url: `/api/items/${first.body.items![0]!.id}`,
      payload: { priority: true },
    });
    const changed = await call<Manifest>(app, {
      method: 'POST',
      url: '/api/takeaway/manifest',
      payload: { query, have: first.body.etag },
    });
    assert.equal(changed.body.unchanged, false);
    assert.notEqual(changed.body.etag, first.body.etag);
    const bad = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/takeaway/manifest',
      payload: { query: 'minRating=9' },
    });
    assert.equal(bad.status, 400);
  });

  it('changes since a cursor: the items edited after it, then nothing', async () => {
    const m = await call<Manifest>(app, {
      method: 'POST',
      url: '/api/takeaway/manifest',
      payload: { ids: [photos[0]!.id] },
    });
    const cursor = m.body.cursor;
    const none = await call<{ items: unknown[]; cursor: number }>(app, {
      url: `/api/sync/changes?since=${cursor}`,
    });
    assert.deepEqual(none.body.items, []);
    assert.equal(none.body.cursor, cursor);
    await call(app, { method: 'PATCH', url: `/api/items/${photos[1]!.id}`, payload: { notes: 'changed' } });
    const some = await call<{ items: { id: string; attributes: Attrs }[]; cursor: number }>(app, {
      url: `/api/sync/changes?since=${cursor}`,
    });
    assert.deepEqual(
      some.body.items.map((i) => [i.id, i.attributes.notes]),
      [[photos[1]!.id, 'changed']],
    );
    assert.ok(some.body.cursor > cursor);
  });
});
