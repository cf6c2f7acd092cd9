import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { mergeOps, opsSince, recordLocalOps } from '../../../src/library/catalog/ops.js';
import { insertPendingItem, markStored, getItem } from '../../../src/library/catalog/items.js';
import { buildItemRow } from '../../../src/library/item-row.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-ops-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function catalogWithItem(name: string, id: string): Promise<Catalog> {
  const cat = await openCatalog(join(dir, `${name}.sqlite`));
  await insertPendingItem(
    cat,
    buildItemRow(
      {
        sha256: id,
        type: 'photo',
        ext: 'jpg',
        size: 1,
        monitor: 'm',
        originalName: 'a.jpg',
        mtimeMs: 0,
        importedAt: '2024-01-01T00:00:00Z',
        cardId: null,
        probe: { facts: {}, warnings: [] },
        timeZone: 'UTC',
      },
      `library/m/2024-01-01/${name}.jpg`,
    ),
  );
  await markStored(cat, id);
  return cat;
}

describe('catalogue op log (real SQLite files)', () => {
  it('two replicas that exchange ops in any order converge', async () => {
    const id = 'a'.repeat(64);
    const a = await catalogWithItem('a', id);
    const b = await catalogWithItem('b', id);
    await recordLocalOps(a, [{ entity: 'item', id, field: 'rating', value: 3 }], 'station-a', 1000);
    await recordLocalOps(b, [{ entity: 'item', id, field: 'rating', value: 5 }], 'station-b', 2000);
    await recordLocalOps(a, [{ entity: 'item', id, field: 'event', value: 'EV-1' }], 'station-a', 1500);
    await recordLocalOps(
      b,
      [{ entity: 'item', id, field: 'tags', value: ['lion', 'dusk'] }],
      'station-b',
      2500,
    );
    const fromA = (await opsSince(a, 0)).ops;
    const fromB = (await opsSince(b, 0)).ops;
    const trust = { mayMove: () => true };
    await mergeOps(a, [...fromB].reverse(), { node: 'station-a', nowMs: 3000, ...trust });
    await mergeOps(b, fromA, { node: 'station-b', nowMs: 3000, ...trust });
    // Idempotent: merging again changes nothing.
    assert.equal((await mergeOps(a, fromB, { node: 'station-a', nowMs: 3100, ...trust })).applied, 0);
    for (const cat of [a, b]) {
      const row = await getItem(cat, id);
      assert.equal(row?.rating, 5);
      assert.equal(row?.event, 'EV-1');
      assert.deepEqual(JSON.parse(row?.tags ?? '[]'), ['lion', 'dusk']);
    }
    // A later local edit on A, after seeing B's future-dated stamp, still wins.
    await recordLocalOps(a, [{ entity: 'item', id, field: 'rating', value: 1 }], 'station-a', 1200);
    assert.equal((await getItem(a, id))?.rating, 1);
    const cursor = (await opsSince(b, 0)).cursor;
    await mergeOps(b, (await opsSince(a, 0)).ops, { node: 'station-b', nowMs: 4000, ...trust });
    assert.equal((await getItem(b, id))?.rating, 1);
    assert.ok((await opsSince(b, cursor)).ops.length >= 1);
    await a.close();
    await b.close();
  });
});
