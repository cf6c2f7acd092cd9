import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dbOf } from '../../../src/library/catalog/handle.js';
import { addCompanion, getItem, insertPendingItem, markStored } from '../../../src/library/catalog/items.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import {
  clearRelocationNote,
  commitRelocation,
  companionPaths,
  currentPathsOf,
  itemsToRelocate,
  unfinishedRelocations,
} from '../../../src/library/catalog/relocations.js';
import { offloadRecording } from '../../../src/library/catalog/recordings.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { catalogEngines } from '../../kit/catalogs.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const OLD = 'library/ALPHA/2024-05-01';
const NEW = 'library/BRAVO/2024-05-01';

async function item(cat: Catalog, id: string, state: 'pending' | 'stored'): Promise<void> {
  await insertPendingItem(
    cat,
    buildItemRow(
      {
        sha256: id,
        type: 'video',
        ext: 'mp4',
        size: 1,
        monitor: 'ALPHA',
        originalName: 'a.mp4',
        mtimeMs: 0,
        importedAt: '2024-05-01T00:00:00.000Z',
        cardId: 'cam:gate',
        probe: { facts: {}, warnings: [] },
        timeZone: 'UTC',
      },
      `${OLD}/${id.slice(0, 4)}.mp4`,
    ),
  );
  if (state === 'stored') await markStored(cat, id);
  await addCompanion(cat, {
    item_id: id,
    ext: 'wav',
    path: `${OLD}/${id.slice(0, 4)}.mp4.wav`,
    sha256: 'f'.repeat(64),
    size: 1,
  });
}

for (const engine of catalogEngines()) {
  describe(`catalogue relocations and offloads (${engine.name})`, () => {
    it('lists the items to move: the ones named (in order, unknown left out), or every stored one', async () => {
      const cat = await engine.open();
      await item(cat, A, 'stored');
      await item(cat, B, 'pending');
      await item(cat, C, 'stored');
      assert.deepEqual(
        (await itemsToRelocate(cat, [C, 'd'.repeat(64), B])).map((r) => r.id),
        [C, B],
      );
      assert.deepEqual((await itemsToRelocate(cat, undefined)).map((r) => r.id).sort(), [A, C]);
      assert.deepEqual(await companionPaths(cat, A), [{ ext: 'wav', path: `${OLD}/aaaa.mp4.wav` }]);
      assert.deepEqual(await currentPathsOf(cat, A), new Set([`${OLD}/aaaa.mp4`, `${OLD}/aaaa.mp4.wav`]));
    });

    it('an unfinished move is found by its note until the note is cleared', async () => {
      const cat = await engine.open();
      await item(cat, A, 'stored');
      const moves = [
        { from: `${OLD}/aaaa.mp4`, to: `${NEW}/aaaa.mp4` },
        { from: `${OLD}/aaaa.mp4.wav`, to: `${NEW}/aaaa.mp4.wav` },
      ];
      if (engine.name === 'sqlite') commitRelocation(cat, A, `${NEW}/aaaa.mp4`, moves);
      else
        // The commit is a library drive's (SQLite); on PostgreSQL only the note is checked.
        await dbOf(cat)
          .insertInto('meta')
          .values({ key: `relocated:${A}`, value: JSON.stringify(moves.map((m) => m.from)) })
          .execute();
      await dbOf(cat).insertInto('meta').values({ key: 'RELOCATED-not-a-note', value: '[]' }).execute();
      assert.deepEqual(await unfinishedRelocations(cat), [{ id: A, oldPaths: moves.map((m) => m.from) }]);
      if (engine.name === 'sqlite') {
        assert.equal((await getItem(cat, A))?.path, `${NEW}/aaaa.mp4`);
        assert.deepEqual(await currentPathsOf(cat, A), new Set(moves.map((m) => m.to)));
      }
      await clearRelocationNote(cat, A);
      assert.deepEqual(await unfinishedRelocations(cat), []);
    });

    it('offloading a recording marks it and returns its files, once', async () => {
      const cat = await engine.open();
      await item(cat, A, 'stored');
      await item(cat, B, 'pending');
      assert.deepEqual(await offloadRecording(cat, A), [`${OLD}/aaaa.mp4`, `${OLD}/aaaa.mp4.wav`]);
      assert.equal((await getItem(cat, A))?.state, 'offloaded');
      assert.equal(await offloadRecording(cat, A), undefined);
      assert.equal(await offloadRecording(cat, B), undefined);
      assert.equal((await getItem(cat, B))?.state, 'pending');
    });
  });
}
