import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeHlc } from '../../../src/core/hlc.js';
import type { Op } from '../../../src/core/ops.js';
import {
  isTombstoned,
  itemsHeldBy,
  stationHolds,
  upsertItemFacts,
  type StationItemFacts,
} from '../../../src/library/catalog/hq-items.js';
import { getItem } from '../../../src/library/catalog/items.js';
import {
  dropObjectsOf,
  haveObjects,
  hqStats,
  objectOf,
  recordObject,
  type ObjectRecord,
} from '../../../src/library/catalog/objects.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import { mergeOps } from '../../../src/library/catalog/ops.js';
import { ITEM_FACT_COLUMNS } from '../../../src/library/item-facts.js';
import { idsForRef } from '../../kit/item-refs.js';
import { catalogEngines } from '../../kit/catalogs.js';

/**
 * HQ's catalogue (objects.ts, hq-items.ts) on SQLite and PostgreSQL: facts from stations, who
 * holds what, verified objects and what they make of an item (stored or remote, has_*), stats.
 */

const hex = (c: string): string => c.repeat(64);
const [A, B, C] = [hex('a'), hex('b'), hex('c')];

function facts(id: string, type: 'photo' | 'video' = 'photo', n = 1): StationItemFacts {
  const f: Record<string, unknown> = Object.fromEntries(ITEM_FACT_COLUMNS.map((c) => [c, null]));
  return {
    ...(f as StationItemFacts),
    id,
    type,
    monitor: 'Ana',
    path: `library/Ana/2024-06-01/20240601-06000${n}_${id.slice(0, 16)}.jpg`,
    size: 6_000_000_000 + n,
    ext: type === 'video' ? 'mp4' : 'jpg',
    original_name: `IMG_${n}.JPG`,
    original_mtime_ms: 1717221600000,
    sort_time: `2024-06-01T06:00:0${n}`,
    imported_at: '2024-06-01T10:00:00Z',
    facts: '{}',
    warnings: '[]',
    lat: -1.2921,
  };
}

function obj(
  item: string,
  rendition: ObjectRecord['rendition'],
  sha: string,
  size: number,
  station = 'alpha',
): ObjectRecord {
  return { item, rendition, sha256: sha, size, station, receivedAt: `2024-06-01T12:00:0${size % 10}Z` };
}

async function stateOf(cat: Catalog, id: string) {
  const r = await getItem(cat, id);
  return r && { state: r.state, thumb: r.has_thumb, preview: r.has_preview, poster: r.has_poster };
}

for (const engine of catalogEngines()) {
  describe(`HQ catalogue contract (${engine.name})`, () => {
    it('facts: new items count once, paths are per station, holders are recorded, values round-trip', async () => {
      const cat = await engine.open();
      assert.equal(await upsertItemFacts(cat, 'alpha', [facts(A), facts(B, 'video', 2)]), 2);
      assert.equal(await upsertItemFacts(cat, 'alpha', [facts(A)]), 0, 'a repeat is a no-op');
      assert.equal(await upsertItemFacts(cat, 'bravo', [facts(A), facts(C, 'photo', 3)]), 1);
      assert.equal(await upsertItemFacts(cat, 'bravo', []), 0);
      const a = await getItem(cat, A);
      assert.equal(a?.path, `alpha/${facts(A).path}`, 'the first station to send it names the path');
      assert.deepEqual([a?.state, a?.size, a?.lat], ['remote', 6_000_000_001, -1.2921]);
      assert.equal(await stationHolds(cat, 'alpha', A), true);
      assert.equal(await stationHolds(cat, 'bravo', A), true);
      assert.equal(await stationHolds(cat, 'bravo', B), false);
      assert.deepEqual([...(await itemsHeldBy(cat, 'alpha', [A, B, C, A]))].sort(), [A, B]);
      assert.deepEqual(await itemsHeldBy(cat, 'charlie', [A]), new Set());
    });

    it('ops merged before the facts are projected when the facts arrive', async () => {
      const cat = await engine.open();
      const op: Op = {
        entity: 'item',
        id: A,
        field: 'rating',
        value: 4,
        hlc: encodeHlc({ wall: Date.parse('2024-06-01T12:00:00Z'), counter: 0, node: 'alpha' }),
        origin: 'alpha',
      };
      await mergeOps(cat, [op], {
        node: 'hq',
        nowMs: Date.parse('2024-06-02T00:00:00Z'),
        mayMove: () => true,
      });
      await upsertItemFacts(cat, 'alpha', [facts(A)]);
      assert.equal((await getItem(cat, A))?.rating, 4);
    });

    it('objects: recording one stores the item and sets its flags; a newer hash replaces the older; have/objectOf answer', async () => {
      const cat = await engine.open();
      await upsertItemFacts(cat, 'alpha', [facts(A), facts(B, 'video', 2)]);
      assert.deepEqual(await stateOf(cat, A), { state: 'remote', thumb: 0, preview: 0, poster: 0 });
      await recordObject(cat, obj(A, 'thumb', hex('1'), 11));
      assert.deepEqual(await stateOf(cat, A), { state: 'stored', thumb: 1, preview: 0, poster: 0 });
      await recordObject(cat, obj(B, 'preview', hex('2'), 12));
      assert.deepEqual(
        await stateOf(cat, B),
        { state: 'stored', thumb: 0, preview: 1, poster: 1 },
        'a video preview is its poster',
      );
      await recordObject(cat, obj(A, 'thumb', hex('3'), 13));
      assert.deepEqual(await objectOf(cat, A, 'thumb'), { sha256: hex('3'), size: 13 });
      assert.equal(await objectOf(cat, A, 'original'), undefined);
      // An object for an item HQ has no facts of yet: kept, the item row follows later.
      await recordObject(cat, obj(C, 'original', C, 6_000_000_003));
      assert.deepEqual(
        await haveObjects(cat, [
          { item: A, rendition: 'thumb', sha256: hex('3') },
          { item: A, rendition: 'thumb', sha256: hex('1') },
          { item: A, rendition: 'preview', sha256: hex('3') },
          { item: C, rendition: 'original', sha256: C },
          { item: hex('d'), rendition: 'original', sha256: hex('d') },
        ]),
        [true, false, false, true, false],
      );
      assert.deepEqual(await haveObjects(cat, []), []);
    });

    it('tombstones: a deleted item counts as held and is found by neither prefix nor as live', async () => {
      const cat = await engine.open();
      await upsertItemFacts(cat, 'alpha', [facts(A), facts(B, 'photo', 2)]);
      assert.deepEqual(await idsForRef(cat, 'aaaaaa', 'known'), [A]);
      assert.deepEqual(await idsForRef(cat, A, 'known'), [A]);
      assert.deepEqual(await idsForRef(cat, 'abcdef', 'known'), []);
      await mergeOps(
        cat,
        [
          {
            entity: 'item',
            id: A,
            field: 'deleted',
            value: true,
            hlc: encodeHlc({ wall: Date.parse('2024-06-01T12:00:00Z'), counter: 0, node: 'hq' }),
            origin: 'hq',
          },
        ],
        { node: 'hq', nowMs: Date.parse('2024-06-02T00:00:00Z'), mayMove: () => true },
      );
      assert.equal(await isTombstoned(cat, A), true);
      assert.equal(await isTombstoned(cat, B), false);
      assert.deepEqual(await idsForRef(cat, 'aaaaaa', 'known'), []);
      assert.deepEqual(await haveObjects(cat, [{ item: A, rendition: 'original', sha256: A }]), [true]);
    });

    it('prefixes: two matches are both returned (ambiguous), pending rows never', async () => {
      const cat = await engine.open();
      const a1 = `aaaaaa1${'0'.repeat(57)}`;
      const a2 = `aaaaaa2${'0'.repeat(57)}`;
      await upsertItemFacts(cat, 'alpha', [facts(a1), facts(a2, 'photo', 2)]);
      assert.deepEqual(await idsForRef(cat, 'aaaaaa', 'known'), [a1, a2]);
      assert.deepEqual(await idsForRef(cat, 'aaaaaa2', 'known'), [a2]);
    });

    it("dropping an item's objects returns only hashes nothing else refers to, and makes it remote again", async () => {
      const cat = await engine.open();
      await upsertItemFacts(cat, 'alpha', [facts(A), facts(B, 'photo', 2)]);
      await recordObject(cat, obj(A, 'thumb', hex('1'), 11));
      await recordObject(cat, obj(A, 'preview', hex('2'), 12));
      await recordObject(cat, obj(B, 'thumb', hex('1'), 11));
      assert.deepEqual(await dropObjectsOf(cat, A), [hex('2')]);
      assert.deepEqual(await stateOf(cat, A), { state: 'remote', thumb: 0, preview: 0, poster: 0 });
      assert.deepEqual(await dropObjectsOf(cat, A), []);
      assert.deepEqual(await dropObjectsOf(cat, B), [hex('1')]);
    });

    it('stats: bytes past 4 GB, objects, items known and originals, per station in name order', async () => {
      const cat = await engine.open();
      assert.deepEqual(await hqStats(cat), {
        bytes: 0,
        objects: 0,
        items: 0,
        itemsWithOriginal: 0,
        stations: [],
      });
      await upsertItemFacts(cat, 'bravo', [facts(A), facts(B, 'photo', 2), facts(C, 'photo', 3)]);
      await recordObject(cat, obj(A, 'original', A, 6_000_000_001, 'bravo'));
      await recordObject(cat, obj(A, 'thumb', hex('1'), 11, 'bravo'));
      await recordObject(cat, obj(B, 'thumb', hex('2'), 12, 'alpha'));
      const s = await hqStats(cat);
      assert.deepEqual(s, {
        bytes: 6_000_000_001 + 11 + 12,
        objects: 3,
        items: 3,
        itemsWithOriginal: 1,
        stations: [
          { station: 'alpha', items: 1, objects: 1, bytes: 12, lastReceivedAt: '2024-06-01T12:00:02Z' },
          {
            station: 'bravo',
            items: 1,
            objects: 2,
            bytes: 6_000_000_012,
            lastReceivedAt: '2024-06-01T12:00:01Z',
          },
        ],
      });
      assert.equal(typeof s.stations[0]!.bytes, 'number');
    });
  });
}
