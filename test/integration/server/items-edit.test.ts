import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ItemRecord } from '../../../src/server/schemas.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';
import { appFor, buildTestLibrary, call, type TestLibrary } from './library.js';

interface Page {
  items: ItemRecord[];
}
type Attrs = ItemRecord['attributes'];
interface Batch {
  updated: number;
  skippedOwnGps: number;
  items: { id: string; attributes: Attrs; before: Attrs }[];
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

const photos = async (n: number, extra = ''): Promise<ItemRecord[]> => {
  const { body } = await call<Page>(app, { url: `/api/items?type=photo&sort=asc&limit=${n}${extra}` });
  return body.items;
};
const item = async (id: string): Promise<ItemRecord> =>
  (await call<ItemRecord>(app, { url: `/api/items/${id}` })).body;
const sidecar = (r: ItemRecord): string => readFileSync(join(lib.drive.layout.root, `${r.path}.xmp`), 'utf8');

describe('bulk location and the file’s own GPS', () => {
  it('leaves items with their own GPS alone unless overwriteGps is given', async () => {
    const all = await photos(200);
    const withGps = all.filter((i) => i.gps);
    const without = all.filter((i) => !i.gps).slice(0, 3);
    assert.ok(withGps.length >= 1, 'the corpus has photos with EXIF GPS');
    assert.ok(without.length >= 1);
    const own = withGps.slice(0, 2);
    const ids = [...own, ...without].map((i) => i.id);
    const r = await call<Batch>(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids, patch: { location: { lat: -12.5, lon: -69.2 } } },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.skippedOwnGps, own.length);
    assert.equal(r.body.updated, without.length);
    for (const o of own) {
      const now = await item(o.id);
      assert.equal(now.attributes.location, null, 'own GPS kept: no location set');
      assert.doesNotMatch(sidecar(now), /-12\.5|12,30/, 'the sidecar carries no new position');
    }
    for (const w of without)
      assert.deepEqual((await item(w.id)).attributes.location, { lat: -12.5, lon: -69.2, source: 'hand' });

    const forced = await call<Batch>(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids: [own[0]!.id], patch: { location: { lat: -12.5, lon: -69.2 } }, overwriteGps: true },
    });
    assert.equal(forced.body.skippedOwnGps, 0);
    assert.deepEqual((await item(own[0]!.id)).attributes.location?.lat, -12.5);
  });
});

describe('bulk tags: add and remove one tag', () => {
  it('adds without replacing, case-insensitively and Unicode-aware, keeping the first spelling', async () => {
    const [a, b] = await photos(2, '&monitor=Ana');
    await call(app, { method: 'PATCH', url: `/api/items/${a!.id}`, payload: { tags: ['Ñandú', 'river'] } });
    await call(app, { method: 'PATCH', url: `/api/items/${b!.id}`, payload: { tags: ['night'] } });
    // "ñandú" typed in NFD (n + combining tilde …): the same tag.
    const r = await call<Batch>(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids: [a!.id, b!.id], addTags: ['n\u0303andu\u0301'] },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual((await item(a!.id)).attributes.tags, ['Ñandú', 'river']);
    assert.deepEqual((await item(b!.id)).attributes.tags, ['night', 'ñandú']);
    const rm = await call<Batch>(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids: [a!.id, b!.id], removeTags: ['ÑANDÚ'] },
    });
    assert.equal(rm.status, 200);
    assert.deepEqual((await item(a!.id)).attributes.tags, ['river']);
    assert.deepEqual((await item(b!.id)).attributes.tags, ['night']);
  });

  it('lists the library’s tags for autocomplete', async () => {
    const r = await call<{ tags: { tag: string; items: number }[] }>(app, { url: '/api/tags?prefix=ri' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.tags.some((t) => t.tag === 'river'));
    assert.ok(r.body.tags.every((t) => t.tag.toLowerCase().startsWith('ri')));
  });
});

describe('undo', () => {
  it('restores the previous values as new ops, except fields someone changed since', async () => {
    const items = await photos(3, '&monitor=Ana');
    const before = await Promise.all(items.map((i) => item(i.id)));
    const opsBefore = (sqliteOf(lib.catalog).prepare('select count(*) as n from ops').get() as { n: number })
      .n;
    const r = await call<Batch>(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids: items.map((i) => i.id), patch: { rating: 5, event: 'UNDO-ME' } },
    });
    assert.equal(r.status, 200);
    // Someone else re-rates the third item afterwards: undo must not clobber it.
    await call(app, { method: 'PATCH', url: `/api/items/${items[2]!.id}`, payload: { rating: 1 } });
    const changes = r.body.items.flatMap((u) =>
      (['rating', 'event'] as const).map((field) => ({
        id: u.id,
        field,
        set: u.attributes[field],
        previous: u.before[field],
      })),
    );
    const undo = await call<{ restored: number; skipped: { id: string; field: string }[] }>(app, {
      method: 'POST',
      url: '/api/items/undo',
      payload: { changes },
    });
    assert.equal(undo.status, 200, JSON.stringify(undo.body));
    assert.deepEqual(
      undo.body.skipped.map((s) => [s.id, s.field]),
      [[items[2]!.id, 'rating']],
    );
    for (const [i, b] of before.entries()) {
      const now = await item(b.id);
      assert.equal(now.attributes.event, b.attributes.event);
      assert.equal(now.attributes.rating, i === 2 ? 1 : b.attributes.rating);
    }
    const opsAfter = (sqliteOf(lib.catalog).prepare('select count(*) as n from ops').get() as { n: number })
      .n;
    assert.ok(opsAfter > opsBefore + 6, 'the log only grows: undo is more ops');
  });
});
