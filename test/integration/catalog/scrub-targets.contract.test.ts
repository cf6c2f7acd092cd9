import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  companionsToCheck,
  liveCompanionAt,
  liveCompanionWithHash,
  liveItemsAfter,
  liveOriginal,
  recordedSize,
  scrubCycleTotals,
} from '../../../src/library/catalog/scrub-targets.js';
import { catalogEngines } from '../../kit/catalogs.js';
import { addCompanion, addItem } from './drive-rows.js';

/** What the scrub reads of items and companions, alike on both engines. */
for (const engine of catalogEngines()) {
  describe(`scrub targets (${engine.name})`, () => {
    it('finds live originals and companions only', async () => {
      const cat = await engine.open();
      const live = await addItem(cat, 'live', { size: 6_000_000_123 });
      const gone = await addItem(cat, 'gone', { deleted: 1 });
      const pending = await addItem(cat, 'pending', { state: 'pending' });
      const wav = await addCompanion(cat, live, 'wav', { size: 5 });
      const xmp = await addCompanion(cat, live, 'xmp', { size: 3 });
      const goneXmp = await addCompanion(cat, gone, 'xmp');
      assert.deepEqual(await liveOriginal(cat, live.id), {
        item: live.id,
        path: live.path,
        sha256: live.id,
        size: 6_000_000_123,
      });
      assert.equal(await liveOriginal(cat, gone.id), undefined);
      assert.equal(await liveOriginal(cat, pending.id), undefined);
      assert.deepEqual(
        (await companionsToCheck(cat, live.id)).map((c) => c.path),
        [wav.path, xmp.path],
        'in extension order',
      );
      assert.deepEqual(await liveCompanionAt(cat, xmp.path), {
        item: live.id,
        path: xmp.path,
        sha256: xmp.sha256,
        size: 3,
      });
      assert.equal(await liveCompanionAt(cat, goneXmp.path), undefined);
      assert.equal(await liveCompanionWithHash(cat, live.id, wav.sha256), wav.path);
      assert.equal(await liveCompanionWithHash(cat, live.id, 'f'.repeat(64)), undefined);
      assert.equal(await liveCompanionWithHash(cat, gone.id, goneXmp.sha256), undefined);
    });

    it('reports recorded sizes whatever the state', async () => {
      const cat = await engine.open();
      const gone = await addItem(cat, 'gone', { deleted: 1, size: 77 });
      const c = await addCompanion(cat, gone, 'wav', { size: 12 });
      assert.equal(await recordedSize(cat, { kind: 'original', item: gone.id, path: gone.path }), 77);
      assert.equal(await recordedSize(cat, { kind: 'companion', item: gone.id, path: c.path }), 12);
      assert.equal(
        await recordedSize(cat, { kind: 'companion', item: gone.id, path: 'library/none.wav' }),
        undefined,
      );
    });

    it('walks live items in id order and sizes the cycle around a cursor', async () => {
      const cat = await engine.open();
      const rows = [];
      for (let i = 0; i < 5; i++) rows.push(await addItem(cat, `w${i}`, { size: 100 * (i + 1) }));
      await addItem(cat, 'deleted', { deleted: 1 });
      rows.sort((a, b) => (a.id < b.id ? -1 : 1));
      await addCompanion(cat, rows[3]!, 'wav', { size: 7 });
      await addCompanion(cat, rows[0]!, 'wav', { size: 1000 });
      const ids = rows.map((r) => r.id);
      assert.deepEqual(
        (await liveItemsAfter(cat, '', 3)).map((r) => r.id),
        ids.slice(0, 3),
      );
      assert.deepEqual(
        (await liveItemsAfter(cat, ids[2]!, 3)).map((r) => r.id),
        ids.slice(3),
      );
      const all = await scrubCycleTotals(cat, '');
      const total = rows.reduce((n, r) => n + r.size, 0) + 1007;
      assert.deepEqual(all, { items: 5, done: 0, bytes: total });
      // After the cursor: rows 3 and 4 with row 3's companion.
      const rest = await scrubCycleTotals(cat, ids[2]!);
      assert.deepEqual(rest, { items: 5, done: 3, bytes: rows[3]!.size + rows[4]!.size + 7 });
    });
  });
}
