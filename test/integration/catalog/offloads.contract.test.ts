import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dbOf } from '../../../src/library/catalog/handle.js';
import { companionPaths, markOffloaded, offloadedItems } from '../../../src/library/catalog/offloads.js';
import { catalogEngines } from '../../kit/catalogs.js';
import { addCompanion, addItem } from './drive-rows.js';

/** Originals that left the station, alike on both engines. */
for (const engine of catalogEngines()) {
  describe(`offloads (${engine.name})`, () => {
    it('marks only a stored item offloaded, once, and lists it', async () => {
      const cat = await engine.open();
      const a = await addItem(cat, 'a');
      const p = await addItem(cat, 'p', { state: 'pending' });
      const wav = await addCompanion(cat, a, 'wav');
      assert.equal((await markOffloaded(cat, a.id))?.id, a.id);
      assert.equal((await markOffloaded(cat, a.id)) ?? null, null, 'already offloaded');
      assert.equal((await markOffloaded(cat, p.id)) ?? null, null, 'not stored');
      const state = await dbOf(cat)
        .selectFrom('items')
        .select('state')
        .where('id', '=', p.id)
        .executeTakeFirst();
      assert.equal(state?.state, 'pending');
      assert.deepEqual(
        (await offloadedItems(cat)).map((r) => r.id),
        [a.id],
      );
      assert.deepEqual(await companionPaths(cat, a.id), [wav.path]);
      assert.deepEqual(await companionPaths(cat, p.id), []);
    });
  });
}
