import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOutpostError } from '../../../src/core/errors.js';
import { carryOverImports, isReadable } from '../../../src/library/catalog/carry-over.js';
import {
  commitIngestedItem,
  importsOfCard,
  ledgerKey,
  loadLedger,
  recordImport,
} from '../../../src/library/catalog/imports.js';
import { getItem, insertPendingItem } from '../../../src/library/catalog/items.js';
import type { ImportsTable } from '../../../src/library/catalog/schema.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { catalogEngines } from '../../kit/catalogs.js';

const ID = 'a'.repeat(64);
const AT = '2024-05-01T10:00:00.000Z';

function ledgerRow(over: Partial<ImportsTable> = {}): ImportsTable {
  return {
    card_id: 'uuid:1',
    rel_path: 'DCIM/100/IMG_0001.JPG',
    size: 5_000_000_000,
    mtime_ms: 1_700_000_000_123,
    item_id: ID,
    outcome: 'copied',
    imported_at: AT,
    ...over,
  };
}

const pendingRow = (id: string) =>
  buildItemRow(
    {
      sha256: id,
      type: 'photo',
      ext: 'jpg',
      size: 1,
      monitor: 'ALPHA',
      originalName: 'IMG_0001.JPG',
      mtimeMs: 0,
      importedAt: AT,
      cardId: 'uuid:1',
      probe: { facts: {}, warnings: [] },
      timeZone: 'UTC',
    },
    `library/ALPHA/2024-05-01/${id.slice(0, 8)}.jpg`,
  );

for (const engine of catalogEngines()) {
  describe(`catalogue import ledger (${engine.name})`, () => {
    it('records each card file once and loads a card’s ledger as keys', async () => {
      const cat = await engine.open();
      await recordImport(cat, ledgerRow());
      await recordImport(cat, ledgerRow({ outcome: 'duplicate', imported_at: 'later' })); // same file: kept as first
      await recordImport(cat, ledgerRow({ rel_path: 'DCIM/100/IMG_0002.JPG', outcome: 'duplicate' }));
      await recordImport(cat, ledgerRow({ card_id: 'uuid:2' }));
      const rows = await importsOfCard(cat, 'uuid:1');
      assert.deepEqual(rows.map((r) => [r.rel_path, r.outcome, r.imported_at]).sort(), [
        ['DCIM/100/IMG_0001.JPG', 'copied', AT],
        ['DCIM/100/IMG_0002.JPG', 'duplicate', AT],
      ]);
      assert.equal(rows[0]!.size, 5_000_000_000);
      const ledger = await loadLedger(cat, 'uuid:1');
      assert.deepEqual(
        [...ledger].sort(),
        [
          ledgerKey('DCIM/100/IMG_0001.JPG', 5_000_000_000, 1_700_000_000_123),
          ledgerKey('DCIM/100/IMG_0002.JPG', 5_000_000_000, 1_700_000_000_123),
        ].sort(),
      );
      // A changed size or mtime is another file version: not in the ledger.
      assert.equal(ledger.has(ledgerKey('DCIM/100/IMG_0001.JPG', 5_000_000_000, 1_700_000_000_124)), false);
      assert.equal((await loadLedger(cat, 'uuid:3')).size, 0);
    });

    it('ledger keys of distinct files never collide', () => {
      assert.notEqual(ledgerKey('a', 12, 3), ledgerKey('a1', 2, 3));
      assert.notEqual(ledgerKey('a', 1, 23), ledgerKey('a', 12, 3));
    });

    if (engine.name === 'sqlite')
      it('the ingest commit point makes the item stored and writes its ledger row, or neither', async () => {
        const cat = await engine.open();
        await insertPendingItem(cat, pendingRow(ID));
        commitIngestedItem(cat, ID, ledgerRow());
        assert.equal((await getItem(cat, ID))?.state, 'stored');
        assert.equal((await importsOfCard(cat, 'uuid:1')).length, 1);
        // The ledger row cannot go in (no card id): the item stays pending.
        const other = 'b'.repeat(64);
        await insertPendingItem(cat, pendingRow(other));
        assert.throws(() =>
          commitIngestedItem(cat, other, ledgerRow({ card_id: null as unknown as string, item_id: other })),
        );
        assert.equal((await getItem(cat, other))?.state, 'pending');
      });
    else
      it('the ingest commit point belongs to library drives (SQLite) only', async () => {
        const cat = await engine.open();
        assert.throws(
          () => commitIngestedItem(cat, ID, ledgerRow()),
          (e: unknown) => isOutpostError(e) && e.code === 'CATALOG_ENGINE',
        );
      });

    it('carries the ledger over to a rebuilt catalogue for the items it has', async () => {
      const from = await engine.open();
      const to = await engine.open();
      const other = 'b'.repeat(64);
      await recordImport(from, ledgerRow());
      await recordImport(from, ledgerRow({ rel_path: 'x', item_id: other }));
      await insertPendingItem(to, { ...pendingRow(ID), state: 'stored' });
      assert.equal(await isReadable(from), true);
      assert.equal(await carryOverImports(from, to), 1);
      assert.deepEqual(
        (await importsOfCard(to, 'uuid:1')).map((r) => r.item_id),
        [ID],
      );
      assert.equal(await carryOverImports(from, to), 0);
    });
  });
}
