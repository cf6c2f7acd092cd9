import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dbOf, sqliteOf } from '../../../src/library/catalog/handle.js';
import { recordLocalOps } from '../../../src/library/catalog/ops.js';
import {
  itemOpsAfter,
  lastOpSeq,
  opsWithSeqs,
  ownOpsAfter,
  ownOpsAfterCount,
} from '../../../src/library/catalog/station-ops.js';
import {
  catalogueVersion,
  itemCard,
  itemForFacts,
  storedItemsMark,
} from '../../../src/library/catalog/uplink-items.js';
import { UplinkJournal } from '../../../src/library/catalog/uplink-journal.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { catalogEngines } from '../../kit/catalogs.js';
import { addItem } from './drive-rows.js';

/** The uplink runs on a station: its journal and reads are SQLite's. */
const sqlite = catalogEngines().find((e) => e.name === 'sqlite')!;
const NOW = '2024-06-01T12:00:00.000Z';

describe('catalogue: the uplink journal', () => {
  it("queues each stored item's renditions once, tracks offsets, and counts what is left", async () => {
    const cat = await sqlite.open();
    const photo = await addItem(cat, 'photo', { has_thumb: 1, has_preview: 1, size: 5000 });
    const video = await addItem(cat, 'video', { type: 'video', has_thumb: 0, has_poster: 1, size: 9000 });
    await addItem(cat, 'pending', { state: 'pending' });
    const j = new UplinkJournal(cat, 'hq');
    assert.equal(j.enqueueNew(NOW), 5);
    assert.equal(j.enqueueNew(NOW), 0, 'an anti-join: nothing twice');
    assert.equal(new UplinkJournal(cat, 'other').enqueueNew(NOW), 5, 'per target');
    const open = j.open();
    assert.deepEqual(open.map((r) => `${r.item === photo.id ? 'p' : 'v'}:${r.rendition}`).sort(), [
      'p:original',
      'p:preview',
      'p:thumb',
      'v:original',
      'v:preview',
    ]);
    const vo = open.find((r) => r.item === video.id && r.rendition === 'original')!;
    assert.deepEqual(
      [vo.type, vo.itemSize, vo.priority, vo.hasPoster, vo.offset],
      ['video', 9000, false, true, 0],
    );

    j.describe(video.id, 'original', 9000, video.id, NOW);
    j.progress(video.id, 'original', 'http://hq/u/1', 4000, NOW);
    j.failed(video.id, 'original', 'stalled', NOW);
    let row = j.openOf([video.id]).find((r) => r.rendition === 'original')!;
    assert.deepEqual(
      [row.state, row.offset, row.uploadUrl, row.attempts, row.lastError],
      ['uploading', 4000, 'http://hq/u/1', 1, 'stalled'],
    );
    j.restart(video.id, 'original', 'gone at HQ', NOW);
    row = j.openOf([video.id]).find((r) => r.rendition === 'original')!;
    assert.deepEqual(
      [row.state, row.offset, row.uploadUrl, row.sha256, row.attempts],
      ['pending', 0, null, null, 2],
    );
    j.describe(video.id, 'original', 9000, video.id, NOW);
    j.done(video.id, 'original', NOW);
    assert.deepEqual(
      j.ofItem(video.id).map((r) => [r.rendition, r.state, r.offset]),
      [
        ['original', 'done', 9000],
        ['preview', 'pending', 0],
      ],
    );
    const totals = Object.fromEntries(j.totals().map((t) => [t.state, [t.transfers, t.bytes]]));
    // Pending: the photo's original by the item size, the renditions not described yet as 0.
    assert.deepEqual(totals, { done: [1, 0], pending: [4, 5000] });

    // A tombstone cancels what is still to send.
    await dbOf(cat).updateTable('items').set({ deleted: 1 }).where('id', '=', photo.id).execute();
    assert.equal(j.cancelDeleted(NOW), 3);
    assert.deepEqual(
      j.open().map((r) => r.item),
      [video.id],
    );
  });

  it('remembers which facts were sent, the op cursors and the deferred ops', async () => {
    const cat = await sqlite.open();
    const a = await addItem(cat, 'a');
    const b = await addItem(cat, 'b');
    const j = new UplinkJournal(cat, 'hq');
    j.enqueueNew(NOW);
    assert.deepEqual(new Set(j.itemsNeedingFacts(10)), new Set([a.id, b.id]));
    assert.equal(j.itemsNeedingFacts(1).length, 1);
    j.factsSent([a.id]);
    j.factsSent([a.id]);
    assert.deepEqual(j.itemsNeedingFacts(10), [b.id]);
    assert.equal(j.factsKnown(a.id), true);
    assert.equal(new UplinkJournal(cat, 'other').factsKnown(a.id), false);
    assert.equal(j.cursor('ops-pushed'), 0);
    j.setCursor('ops-pushed', 17);
    assert.equal(j.cursor('ops-pushed'), 17);
    assert.equal(j.cursor('ops-pulled'), 0);
    assert.deepEqual(j.deferredOps(), []);
    j.setDeferredOps([3, 5]);
    assert.deepEqual(j.deferredOps(), [3, 5]);
    j.setDeferredOps([]);
    assert.deepEqual(j.deferredOps(), []);
  });
});

describe('catalogue: what the uplink reads of items and the op log', () => {
  it('reads own ops after a cursor, item ops for the watch, and ops by seq', async () => {
    const cat = await sqlite.open();
    const a = await addItem(cat, 'a');
    assert.equal(lastOpSeq(cat), 0);
    await recordLocalOps(cat, [{ entity: 'item', id: a.id, field: 'rating', value: 4 }], 'me', Date.now());
    await recordLocalOps(cat, [{ entity: 'card', id: 'c1', field: 'monitor', value: 'X' }], 'me', Date.now());
    const seq = lastOpSeq(cat);
    assert.equal(seq, 2);
    assert.deepEqual(itemOpsAfter(cat, 0), [{ seq: 1, id: a.id, field: 'rating' }]);
    assert.deepEqual(itemOpsAfter(cat, 1), []);
    assert.equal(ownOpsAfterCount(cat, 0, 'me'), 2);
    assert.equal(ownOpsAfterCount(cat, 0, 'someone-else'), 0);
    const mine = ownOpsAfter(cat, 0, 'me', 1);
    assert.equal(mine.length, 1);
    assert.deepEqual(
      { ...mine[0], hlc: undefined },
      { seq: 1, hlc: undefined, origin: 'me', entity: 'item', id: a.id, field: 'rating', value: '4' },
    );
    assert.deepEqual(
      opsWithSeqs(cat, [2, 1]).map((o) => o.seq),
      [1, 2],
    );
    assert.deepEqual(opsWithSeqs(cat, []), []);
  });

  it("notices another connection's writes and new stored items or derivatives", async () => {
    const cat = await sqlite.open();
    const a = await addItem(cat, 'a', { card_id: 'cam:hat' });
    const mark = storedItemsMark(cat);
    const v = catalogueVersion(cat);
    // Another connection (the web app, ingest) writes: the version moves, the mark when items change.
    const other = await openCatalog(sqliteOf(cat).name);
    try {
      await dbOf(other).updateTable('items').set({ has_thumb: 1 }).where('id', '=', a.id).execute();
    } finally {
      await other.close();
    }
    assert.notEqual(catalogueVersion(cat), v);
    assert.notEqual(storedItemsMark(cat), mark);
    assert.equal(itemForFacts(cat, a.id)?.path, a.path);
    assert.equal(itemForFacts(cat, 'f'.repeat(64)), undefined);
    assert.deepEqual(itemCard(cat, a.id), { id: a.id, card_id: 'cam:hat' });
  });
});
