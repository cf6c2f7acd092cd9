import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOutpostError } from '../../../src/core/errors.js';
import { encodeHlc } from '../../../src/core/hlc.js';
import { itemsAwaitingCardSidecar } from '../../../src/library/catalog/card-sidecars.js';
import { clockEvidenceOf } from '../../../src/library/catalog/clock-evidence.js';
import { dbOf } from '../../../src/library/catalog/handle.js';
import {
  addCompanion,
  allCompanions,
  companionsOf,
  deleteItemRow,
  deletedItemPaths,
  getItem,
  deletePendingItemRow,
  insertPendingItem,
  itemsNeedingDerivatives,
  itemsWithoutOps,
  listItems,
  markStored,
  markThumbnailMade,
  pendingItems,
  recordSidecarCompanion,
  resolveItemId,
  setDerived,
  type ItemScope,
} from '../../../src/library/catalog/items.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import type { NewItem } from '../../../src/library/catalog/schema.js';
import { similarItems } from '../../../src/library/catalog/similar.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { catalogEngines } from '../../kit/catalogs.js';

/** A 64-hex id starting with `prefix`, padded with `fill`. */
const idOf = (prefix: string, fill = '0'): string => prefix + fill.repeat(64 - prefix.length);

function row(id: string, over: Partial<NewItem> = {}): NewItem {
  return {
    ...buildItemRow(
      {
        sha256: id,
        type: 'photo',
        ext: 'jpg',
        size: 1000,
        monitor: 'ALPHA',
        originalName: `${id.slice(0, 8)}.jpg`,
        mtimeMs: 1_700_000_000_000,
        importedAt: '2024-05-01T10:00:00.000Z',
        cardId: null,
        probe: { facts: {}, warnings: [] },
        timeZone: 'UTC',
      },
      `library/ALPHA/2024-05-01/${id.slice(0, 8)}.jpg`,
    ),
    ...over,
  };
}

async function stored(cat: Catalog, id: string, over: Partial<NewItem> = {}): Promise<void> {
  await insertPendingItem(cat, row(id, over));
  await markStored(cat, id);
}

/** The error code a promise rejects with (fails the test when it resolves). */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(isOutpostError(e), `an OutpostError, not ${String(e)}`);
    return e.code;
  }
  assert.fail('expected a rejection');
}

for (const engine of catalogEngines()) {
  describe(`catalogue items (${engine.name})`, () => {
    it('deletePendingItemRow removes a row only while it is pending', async () => {
      const cat = await engine.open();
      const [a, b] = [idOf('p1'), idOf('p2')];
      await insertPendingItem(cat, row(a));
      await insertPendingItem(cat, row(b));
      await markStored(cat, b);
      assert.equal(await deletePendingItemRow(cat, a), true);
      assert.equal(await deletePendingItemRow(cat, b), false, 'a stored row is not rolled back');
      assert.equal(await deletePendingItemRow(cat, idOf('p3')), false);
      assert.equal(await getItem(cat, a), undefined);
      assert.equal((await getItem(cat, b))?.state, 'stored');
    });

    it('a pending row is the journal entry: listed as pending until stored, then listed', async () => {
      const cat = await engine.open();
      const id = idOf('a1');
      await insertPendingItem(cat, row(id));
      assert.deepEqual(
        (await pendingItems(cat)).map((r) => r.id),
        [id],
      );
      assert.deepEqual(await listItems(cat), []);
      await markStored(cat, id);
      assert.deepEqual(await pendingItems(cat), []);
      const got = await getItem(cat, id);
      assert.equal(got?.state, 'stored');
      assert.equal(got?.deleted, 0);
      assert.equal(got?.tags, '[]');
      assert.equal(typeof got?.size, 'number');
      assert.deepEqual(
        (await listItems(cat)).map((r) => r.id),
        [id],
      );
      assert.equal(await getItem(cat, idOf('ff')), undefined);
    });

    it('lists stored items by capture time, filtered by monitor, type and deleted', async () => {
      const cat = await engine.open();
      await stored(cat, idOf('b1'), { sort_time: '2024-05-01T12:00:00' });
      await stored(cat, idOf('b2'), { sort_time: '2024-05-01T09:00:00', monitor: 'BRAVO' });
      await stored(cat, idOf('b3'), { sort_time: '2024-05-01T10:00:00', type: 'video', deleted: 1 });
      assert.deepEqual(
        (await listItems(cat)).map((r) => r.id.slice(0, 2)),
        ['b2', 'b1'],
      );
      assert.deepEqual(
        (await listItems(cat, { includeDeleted: true })).map((r) => r.id.slice(0, 2)),
        ['b2', 'b3', 'b1'],
      );
      assert.deepEqual(
        (await listItems(cat, { monitor: 'BRAVO' })).map((r) => r.id.slice(0, 2)),
        ['b2'],
      );
      assert.deepEqual(
        (await listItems(cat, { type: 'video', includeDeleted: true })).map((r) => r.id.slice(0, 2)),
        ['b3'],
      );
      assert.deepEqual(await deletedItemPaths(cat), [row(idOf('b3')).path]);
    });

    describe('resolving an id or a prefix', () => {
      const abc1 = idOf('abcdef01');
      const abc2 = idOf('abcdef02');
      const abd = idOf('abcdf0'); // just past the range of "abcdef"
      const c0 = idOf('c0ffee', '1');

      async function fixture(): Promise<Catalog> {
        const cat = await engine.open();
        for (const id of [abc1, abc2, abd, c0]) await stored(cat, id);
        return cat;
      }

      it('takes a full id, a unique prefix, and upper-case input', async () => {
        const cat = await fixture();
        assert.equal((await resolveItemId(cat, c0)).id, c0);
        assert.equal((await resolveItemId(cat, 'c0ffee')).id, c0);
        assert.equal((await resolveItemId(cat, 'C0FFEE11')).id, c0);
        assert.equal((await resolveItemId(cat, c0.toUpperCase())).id, c0);
        assert.equal((await resolveItemId(cat, 'abcdef01')).id, abc1);
        assert.equal((await resolveItemId(cat, 'ABCDF0')).id, abd);
      });

      it('refuses an ambiguous prefix, naming the matches', async () => {
        const cat = await fixture();
        try {
          await resolveItemId(cat, 'AbCdEf');
          assert.fail('expected AMBIGUOUS_ID');
        } catch (e) {
          assert.ok(isOutpostError(e));
          assert.equal(e.code, 'AMBIGUOUS_ID');
          assert.deepEqual((e.details as { matches: string[] }).matches, [abc1, abc2]);
        }
      });

      it('says not found for unknown ids, non-hex input and too short prefixes', async () => {
        const cat = await fixture();
        assert.equal(await codeOf(resolveItemId(cat, 'deadbeef')), 'ITEM_NOT_FOUND');
        assert.equal(await codeOf(resolveItemId(cat, idOf('de'))), 'ITEM_NOT_FOUND');
        assert.equal(await codeOf(resolveItemId(cat, 'abcdeg')), 'ITEM_NOT_FOUND');
        assert.equal(await codeOf(resolveItemId(cat, 'abc%')), 'ITEM_NOT_FOUND');
        assert.equal(await codeOf(resolveItemId(cat, 'abcde')), 'ITEM_NOT_FOUND');
        assert.equal(await codeOf(resolveItemId(cat, `${c0}0`)), 'ITEM_NOT_FOUND');
      });

      it('sees only the items of its scope', async () => {
        const cat = await engine.open();
        const pending = idOf('d1');
        const deleted = idOf('d2');
        const remote = idOf('d3');
        await insertPendingItem(cat, row(pending));
        await stored(cat, deleted, { deleted: 1 });
        await insertPendingItem(cat, row(remote, { state: 'remote' }));
        const found = async (ref: string, scope: ItemScope): Promise<string> =>
          resolveItemId(cat, ref, scope).then(
            (r) => r.id,
            (e: unknown) => (isOutpostError(e) ? e.code : 'other'),
          );
        assert.deepEqual(await Promise.all(['d1', 'd2', 'd3'].map((p) => found(`${p}0000`, 'any'))), [
          pending,
          deleted,
          remote,
        ]);
        assert.deepEqual(await Promise.all(['d1', 'd2', 'd3'].map((p) => found(`${p}0000`, 'visible'))), [
          'ITEM_NOT_FOUND',
          'ITEM_NOT_FOUND',
          'ITEM_NOT_FOUND',
        ]);
        assert.deepEqual(await Promise.all(['d1', 'd2', 'd3'].map((p) => found(`${p}0000`, 'known'))), [
          'ITEM_NOT_FOUND',
          'ITEM_NOT_FOUND',
          remote,
        ]);
        // An item hidden by the scope does not make a visible one ambiguous.
        await stored(cat, idOf('d1f'));
        assert.equal(await found('d10000', 'visible'), 'ITEM_NOT_FOUND');
        assert.equal(await found('d1', 'visible'), 'ITEM_NOT_FOUND'); // too short
        assert.equal(await found('d1f000', 'visible'), idOf('d1f'));
      });
    });

    it('records derivatives once, appending their warnings to the probe warnings', async () => {
      const cat = await engine.open();
      const id = idOf('e1');
      await stored(cat, id, { warnings: JSON.stringify([{ code: 'PROBE', message: 'p' }]) });
      await insertPendingItem(cat, row(idOf('e2'))); // pending: not derived yet
      await stored(cat, idOf('e3'), { deleted: 1 });
      assert.deepEqual(
        (await itemsNeedingDerivatives(cat)).map((r) => r.id),
        [id],
      );
      await setDerived(cat, id, {
        thumb: true,
        preview: false,
        poster: true,
        phash: '00000000000000ff',
        warnings: [{ code: 'NO_PREVIEW', message: 'x' }],
        at: '2024-05-01T11:00:00.000Z',
      });
      assert.deepEqual(await itemsNeedingDerivatives(cat), []);
      const r = (await getItem(cat, id))!;
      assert.deepEqual(
        [r.has_thumb, r.has_preview, r.has_poster, r.phash, r.derived_at],
        [1, 0, 1, '00000000000000ff', '2024-05-01T11:00:00.000Z'],
      );
      assert.deepEqual(
        (JSON.parse(r.warnings) as { code: string }[]).map((w) => w.code),
        ['PROBE', 'NO_PREVIEW'],
      );
      await markThumbnailMade(cat, idOf('e3'));
      assert.equal((await getItem(cat, idOf('e3')))?.has_thumb, 1);
      // An unknown id is no error (the item was rolled back meanwhile).
      await setDerived(cat, idOf('e9'), { thumb: true, preview: true, poster: true, warnings: [], at: 'x' });
    });

    it('keeps one companion per kind; a sidecar rewrite updates its hash and size', async () => {
      const cat = await engine.open();
      const id = idOf('f1');
      await stored(cat, id);
      const wav = {
        item_id: id,
        ext: 'wav',
        path: 'library/ALPHA/2024-05-01/f1.wav',
        sha256: 'a'.repeat(64),
      };
      await addCompanion(cat, { ...wav, size: 6_000_000_123 });
      await addCompanion(cat, { ...wav, sha256: 'b'.repeat(64), size: 1 }); // same kind: ignored
      const xmp = 'library/ALPHA/2024-05-01/f1.jpg.xmp';
      await recordSidecarCompanion(cat, id, { path: xmp, sha256: 'c'.repeat(64), size: 10 });
      await recordSidecarCompanion(cat, id, { path: xmp, sha256: 'd'.repeat(64), size: 20 });
      const got = (await companionsOf(cat, id)).sort((a, b) => a.ext.localeCompare(b.ext));
      assert.deepEqual(got, [
        { ...wav, size: 6_000_000_123 },
        { item_id: id, ext: 'xmp', path: xmp, sha256: 'd'.repeat(64), size: 20 },
      ]);
      assert.equal((await allCompanions(cat)).length, 2);
      assert.deepEqual(await companionsOf(cat, idOf('f2')), []);
    });

    it('removes a rolled-back item with its companions and ledger rows', async () => {
      const cat = await engine.open();
      const id = idOf('f3');
      const other = idOf('f4');
      await insertPendingItem(cat, row(id));
      await stored(cat, other);
      for (const i of [id, other]) {
        await addCompanion(cat, {
          item_id: i,
          ext: 'thm',
          path: `${i}.thm`,
          sha256: 'a'.repeat(64),
          size: 1,
        });
        await dbOf(cat)
          .insertInto('imports')
          .values({
            card_id: 'card',
            rel_path: i,
            size: 1,
            mtime_ms: 1,
            item_id: i,
            outcome: 'copied',
            imported_at: 'x',
          })
          .execute();
      }
      await deleteItemRow(cat, id);
      assert.equal(await getItem(cat, id), undefined);
      assert.deepEqual(
        (await allCompanions(cat)).map((c) => c.item_id),
        [other],
      );
      const ledger = await dbOf(cat).selectFrom('imports').select('item_id').execute();
      assert.deepEqual(
        ledger.map((r) => r.item_id),
        [other],
      );
    });

    it('finds near-duplicates by perceptual hash, closest first, never the item itself', async () => {
      const cat = await engine.open();
      const hashes: [string, string | null, Partial<NewItem>][] = [
        ['10', '0000000000000000', {}],
        ['11', '0000000000000001', {}], // distance 1
        ['12', '00000000000000ff', {}], // distance 8
        ['13', 'ffffffffffffffff', {}], // distance 64
        ['14', '0000000000000003', { deleted: 1 }],
        ['15', null, {}],
      ];
      for (const [p, phash, over] of hashes) await stored(cat, idOf(p), { phash, ...over });
      await insertPendingItem(cat, row(idOf('16'), { phash: '0000000000000000' }));
      const hits = await similarItems(cat, idOf('10'), '0000000000000000', 10);
      assert.deepEqual(
        hits.map((h) => [h.id.slice(0, 2), h.distance]),
        [
          ['11', 1],
          ['12', 8],
        ],
      );
      assert.equal(hits[0]!.path, row(idOf('11')).path);
      assert.deepEqual(await similarItems(cat, idOf('10'), '0000000000000000', 0), []);
    });

    it('lists the items no op was recorded for', async () => {
      const cat = await engine.open();
      await stored(cat, idOf('21'));
      await stored(cat, idOf('22'));
      await dbOf(cat)
        .insertInto('ops')
        .values({ hlc: 'h', origin: 'n', entity: 'item', entity_id: idOf('22'), field: 'rating', value: '3' })
        .execute();
      await dbOf(cat)
        .insertInto('ops')
        .values({
          hlc: 'h',
          origin: 'n',
          entity: 'card',
          entity_id: idOf('21'),
          field: 'monitor',
          value: '"X"',
        })
        .execute();
      assert.deepEqual(await itemsWithoutOps(cat), [{ id: idOf('21'), path: row(idOf('21')).path }]);
    });

    it('lists the items that may still take their card sidecar', async () => {
      const cat = await engine.open();
      const xmp = (id: string) =>
        addCompanion(cat, { item_id: id, ext: 'xmp', path: `${id}.xmp`, sha256: 'a'.repeat(64), size: 1 });
      const card = { card_id: 'uuid:1' };
      await stored(cat, idOf('31'), card); // takes it
      await stored(cat, idOf('32'), card); // has an attribute op
      await stored(cat, idOf('33'), { ...card, rating: 2 }); // has an attribute
      await stored(cat, idOf('34')); // no card
      await stored(cat, idOf('35'), card); // no sidecar
      await stored(cat, idOf('36'), card); // only a monitor op: still takes it
      await stored(cat, idOf('37'), { ...card, tags: '["x"]' });
      for (const p of ['31', '32', '33', '34', '36', '37']) await xmp(idOf(p));
      for (const [p, field] of [
        ['32', 'tags'],
        ['36', 'monitor'],
      ] as const)
        await dbOf(cat)
          .insertInto('ops')
          .values({ hlc: 'h', origin: 'n', entity: 'item', entity_id: idOf(p), field, value: '"v"' })
          .execute();
      const all = (await itemsAwaitingCardSidecar(cat)).sort((a, b) => a.id.localeCompare(b.id));
      assert.deepEqual(all, [
        { id: idOf('31'), path: `${idOf('31')}.xmp` },
        { id: idOf('36'), path: `${idOf('36')}.xmp` },
      ]);
      assert.deepEqual(
        (await itemsAwaitingCardSidecar(cat, [idOf('36'), idOf('32'), idOf('99')])).map((r) => r.id),
        [idOf('36')],
      );
      assert.deepEqual(await itemsAwaitingCardSidecar(cat, []), []);
    });

    it("reads the time the catalogue vouches for: newest import and the clock's stamp", async () => {
      const cat = await engine.open();
      assert.deepEqual(await clockEvidenceOf(cat), []);
      await stored(cat, idOf('41'), { imported_at: '2024-05-01T10:00:00.000Z' });
      await stored(cat, idOf('42'), { imported_at: '2024-06-01T10:00:00.000Z' });
      const wall = Date.parse('2024-07-01T00:00:00.000Z');
      await dbOf(cat)
        .insertInto('meta')
        .values({ key: 'hlc', value: encodeHlc({ wall, counter: 3, node: 'st' }) })
        .execute();
      assert.deepEqual(await clockEvidenceOf(cat), [
        { source: 'catalogue', ms: Date.parse('2024-06-01T10:00:00.000Z') },
        { source: 'hlc', ms: wall },
      ]);
    });
  });
}
