import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dbOf } from '../../../src/library/catalog/handle.js';
import { catalogEngines } from '../../kit/catalogs.js';

/** The engine layer itself: migrations, 64-bit sizes, doubles, transactions on both engines. */
for (const engine of catalogEngines()) {
  describe(`catalogue engine (${engine.name})`, () => {
    it('stores sizes past 4 GB and GPS doubles exactly', async () => {
      const cat = await engine.open();
      await dbOf(cat)
        .insertInto('companions')
        .values({
          item_id: 'a'.repeat(64),
          ext: 'wav',
          path: 'library/x.wav',
          sha256: 'b'.repeat(64),
          size: 6_000_000_123,
        })
        .execute();
      const row = await dbOf(cat).selectFrom('companions').select('size').executeTakeFirstOrThrow();
      assert.equal(row.size, 6_000_000_123);
      assert.equal(typeof row.size, 'number');
    });

    it('commits a transaction, rolls back a failed one, and joins a nested one', async () => {
      const cat = await engine.open();
      const put = (c: typeof cat, key: string, value: string) =>
        dbOf(c).insertInto('meta').values({ key, value }).execute();
      await cat.transaction(async (tx) => {
        await put(tx, 'a', '1');
        await tx.transaction(async (inner) => put(inner, 'b', '2'));
      });
      await assert.rejects(
        cat.transaction(async (tx) => {
          await put(tx, 'c', '3');
          throw new Error('boom');
        }),
        /boom/,
      );
      const keys = (await dbOf(cat).selectFrom('meta').select('key').orderBy('key').execute()).map(
        (r) => r.key,
      );
      assert.deepEqual(keys, ['a', 'b']);
    });

    it('migrates once: opening again finds it current', async () => {
      const cat = await engine.open();
      const rows = await dbOf(cat).selectFrom('items').selectAll().execute();
      assert.deepEqual(rows, []);
    });
  });
}
