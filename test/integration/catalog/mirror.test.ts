import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addSidecarsToRewrite,
  clearSidecarsToRewrite,
  itemsChangedSince,
  lastChangeSeq,
  mirrorCursor,
  pruneSeenChanges,
  setMirrorCursor,
  sidecarsToRewrite,
} from '../../../src/library/catalog/changes.js';
import { dbOf, sqliteOf } from '../../../src/library/catalog/handle.js';
import {
  companionsOnDrive,
  copyItemProvenance,
  forgetPurgedFiles,
  insertMirroredItem,
  itemOnDrive,
  itemsWithCompanions,
  markDerivativeCopied,
  storeCopiedItem,
} from '../../../src/library/catalog/mirror.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import { recordLocalOps } from '../../../src/library/catalog/ops.js';
import { catalogEngines } from '../../kit/catalogs.js';
import { addCompanion, addItem, itemRow } from './drive-rows.js';

/** The mirror works on library drives only: SQLite. */
const sqlite = catalogEngines().find((e) => e.name === 'sqlite')!;
const count = (cat: Catalog, table: 'items' | 'companions' | 'imports' | 'cards'): number =>
  (sqliteOf(cat).prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

describe('catalogue: what the mirror writes on the receiving drive', () => {
  it('tells a path held by another item from other failures by the error code, not the text', async () => {
    const cat = await sqlite.open();
    const first = await addItem(cat, 'a');
    assert.equal(insertMirroredItem(cat, itemRow('b')), 'inserted');
    // Same path, another id: the path conflict, and nothing is written.
    const before = lastChangeSeq(cat);
    assert.equal(insertMirroredItem(cat, itemRow('c', { path: first.path })), 'path-taken');
    assert.equal(itemOnDrive(cat, itemRow('c').id), undefined);
    assert.equal(lastChangeSeq(cat), before, 'no journal entry either');
    // Same id again: a primary-key violation is not a path conflict; it is thrown.
    assert.throws(
      () => insertMirroredItem(cat, itemRow('b', { path: 'library/Cam/2024-06-01/other.jpg' })),
      (e: unknown) => (e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
    );
    assert.equal(count(cat, 'items'), 2);
  });

  it('stores a copied item with its companions, provenance and the card monitor from its ops', async () => {
    const src = await sqlite.open();
    const dst = await sqlite.open();
    const card = {
      id: 'card-1',
      kind: 'sd',
      first_seen: '2024-06-01T10:00:00Z',
      last_seen: '2024-06-01T10:00:00Z',
    };
    await dbOf(src)
      .insertInto('cards')
      .values({ ...card, monitor: 'Src' })
      .execute();
    const row = await addItem(src, 'p', { card_id: 'card-1' });
    await dbOf(src)
      .insertInto('imports')
      .values({
        card_id: 'card-1',
        rel_path: 'DCIM/p.jpg',
        size: 1000,
        mtime_ms: 1,
        item_id: row.id,
        outcome: 'imported',
        imported_at: '2024-06-01T10:00:00Z',
      })
      .execute();
    const wav = await addCompanion(src, row, 'wav');
    // The receiving drive already knows an op setting the card's monitor.
    await recordLocalOps(
      dst,
      [{ entity: 'card', id: 'card-1', field: 'monitor', value: 'FromOps' }],
      'n1',
      Date.now(),
    );
    assert.equal(insertMirroredItem(dst, { ...row, state: 'pending' }), 'inserted');
    await dst.transaction(async (tx) => {
      storeCopiedItem(
        tx,
        row.id,
        { thumb: true, preview: false, poster: false, video: false, derivedAt: null, phash: 'ff' },
        companionsOnDrive(src, row.id),
      );
      copyItemProvenance(src, tx, row);
    });
    const got = itemOnDrive(dst, row.id)!;
    assert.equal(got.state, 'stored');
    assert.equal(got.has_thumb, 1);
    assert.equal(got.phash, 'ff');
    assert.deepEqual(
      companionsOnDrive(dst, row.id).map((c) => c.path),
      [wav.path],
    );
    assert.equal(count(dst, 'imports'), 1);
    const cardRow = sqliteOf(dst).prepare('select monitor from cards where id = ?').get('card-1') as {
      monitor: string;
    };
    assert.equal(cardRow.monitor, 'FromOps');
    // Again: nothing doubles (imports and cards are kept once).
    copyItemProvenance(src, dst, row);
    assert.equal(count(dst, 'imports'), 1);
    assert.equal(count(dst, 'cards'), 1);
  });

  it("flags a copied derivative and forgets a purged item's files", async () => {
    const cat = await sqlite.open();
    const row = await addItem(cat, 'd', { has_thumb: 0, derived_at: null, phash: null });
    await addCompanion(cat, row, 'wav');
    markDerivativeCopied(cat, row.id, 'preview', { derived_at: '2024-06-02T00:00:00Z', phash: 'ab' });
    let got = itemOnDrive(cat, row.id)!;
    assert.deepEqual([got.has_preview, got.derived_at, got.phash], [1, '2024-06-02T00:00:00Z', 'ab']);
    // What the drive already knows stays.
    markDerivativeCopied(cat, row.id, 'thumb', { derived_at: '2030-01-01T00:00:00Z', phash: 'cd' });
    got = itemOnDrive(cat, row.id)!;
    assert.deepEqual([got.has_thumb, got.derived_at, got.phash], [1, '2024-06-02T00:00:00Z', 'ab']);
    forgetPurgedFiles(cat, row.id);
    got = itemOnDrive(cat, row.id)!;
    assert.deepEqual([got.has_thumb, got.has_preview, got.has_poster], [0, 0, 0]);
    assert.deepEqual(companionsOnDrive(cat, row.id), []);
  });

  it('loads rows with their companion hashes, in chunks past the variable limit', async () => {
    const cat = await sqlite.open();
    const rows = [];
    for (let i = 0; i < 520; i++) rows.push(await addItem(cat, `n${i}`));
    const c = await addCompanion(cat, rows[510]!, 'xmp', { sha256: 'e'.repeat(64), size: 7 });
    const got = itemsWithCompanions(cat, [...rows.map((r) => r.id), 'f'.repeat(64)]);
    assert.equal(got.size, 520);
    assert.deepEqual(got.get(rows[510]!.id)!.companions, [{ ext: 'xmp', sha256: c.sha256, size: 7 }]);
    assert.deepEqual(got.get(rows[0]!.id)!.companions, []);
  });
});

describe('catalogue: the mirror change journal and cursors', () => {
  it('lists what changed after a cursor and prunes what every partner saw', async () => {
    const cat = await sqlite.open();
    const a = await addItem(cat, 'ja');
    const seqA = lastChangeSeq(cat);
    const b = await addItem(cat, 'jb');
    assert.deepEqual(itemsChangedSince(cat, seqA), [b.id]);
    assert.deepEqual(new Set(itemsChangedSince(cat, 0)), new Set([a.id, b.id]));
    assert.equal(mirrorCursor(cat, 'drive-x', 'changes'), undefined);
    // Not paired with anyone: nothing is pruned.
    pruneSeenChanges(cat);
    assert.equal(itemsChangedSince(cat, 0).length, 2);
    setMirrorCursor(cat, 'drive-x', 'changes', lastChangeSeq(cat));
    setMirrorCursor(cat, 'drive-y', 'changes', seqA);
    setMirrorCursor(cat, 'drive-x', 'ops', 42);
    assert.equal(mirrorCursor(cat, 'drive-x', 'ops'), 42);
    // The slowest partner (y) has seen only a's entry.
    pruneSeenChanges(cat);
    assert.deepEqual(itemsChangedSince(cat, 0), [b.id]);
  });

  it('keeps the sidecars still to rewrite per partner, without duplicates', async () => {
    const cat = await sqlite.open();
    assert.deepEqual(sidecarsToRewrite(cat, 'p'), []);
    addSidecarsToRewrite(cat, 'p', ['x', 'y']);
    addSidecarsToRewrite(cat, 'p', ['y', 'z']);
    addSidecarsToRewrite(cat, 'q', ['w']);
    assert.deepEqual(sidecarsToRewrite(cat, 'p'), ['x', 'y', 'z']);
    clearSidecarsToRewrite(cat, 'p');
    assert.deepEqual(sidecarsToRewrite(cat, 'p'), []);
    assert.deepEqual(sidecarsToRewrite(cat, 'q'), ['w']);
  });
});
