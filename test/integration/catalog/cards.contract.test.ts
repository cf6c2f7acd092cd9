import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cardRecord, findCard, listCards, upsertCardSeen } from '../../../src/library/catalog/cards.js';
import { carryOverCards, reprojectCardMonitors } from '../../../src/library/catalog/carry-over.js';
import { dbOf } from '../../../src/library/catalog/handle.js';
import { recordImport } from '../../../src/library/catalog/imports.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import { catalogEngines } from '../../kit/catalogs.js';

const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-02T10:00:00.000Z';

async function monitorOp(cat: Catalog, card: string, hlc: string, monitor: string | null): Promise<void> {
  await dbOf(cat)
    .insertInto('ops')
    .values({
      hlc,
      origin: 'n',
      entity: 'card',
      entity_id: card,
      field: 'monitor',
      value: JSON.stringify(monitor),
    })
    .execute();
}

for (const engine of catalogEngines()) {
  describe(`catalogue cards (${engine.name})`, () => {
    it('a card seen again keeps its first sighting and monitor, and takes the new mount and label', async () => {
      const cat = await engine.open();
      const first = await upsertCardSeen(
        cat,
        { id: 'uuid:1234-ABCD', kind: 'uuid', label: 'CANON', fsUuid: '1234-ABCD', mount: '/media/a' },
        T1,
      );
      assert.deepEqual(first, {
        id: 'uuid:1234-ABCD',
        kind: 'uuid',
        label: 'CANON',
        fs_uuid: '1234-ABCD',
        monitor: null,
        first_seen: T1,
        last_seen: T1,
        last_mount: '/media/a',
      });
      await dbOf(cat).updateTable('cards').set({ monitor: 'ALPHA' }).where('id', '=', first.id).execute();
      const again = await upsertCardSeen(
        cat,
        { id: first.id, kind: 'uuid', label: 'RENAMED', mount: '/media/b' },
        T2,
      );
      assert.deepEqual(again, {
        ...first,
        label: 'RENAMED',
        monitor: 'ALPHA',
        last_seen: T2,
        last_mount: '/media/b',
      });
    });

    it('lists cards, most recently seen first, with how many items came off each', async () => {
      const cat = await engine.open();
      await upsertCardSeen(cat, { id: 'old', kind: 'list' }, T1);
      await upsertCardSeen(cat, { id: 'new', kind: 'list' }, T2);
      const imp = (rel: string, item: string) =>
        recordImport(cat, {
          card_id: 'new',
          rel_path: rel,
          size: 1,
          mtime_ms: 1,
          item_id: item,
          outcome: 'copied',
          imported_at: T2,
        });
      await imp('a.jpg', 'i1');
      await imp('b.jpg', 'i1'); // the same bytes twice: one item
      await imp('c.jpg', 'i2');
      const cards = await listCards(cat);
      assert.deepEqual(
        cards.map((c) => [c.id, c.items]),
        [
          ['new', 2],
          ['old', 0],
        ],
      );
      assert.equal(typeof cards[0]!.items, 'number');
      assert.deepEqual(cardRecord(cards[1]!), {
        id: 'old',
        kind: 'list',
        label: null,
        monitor: null,
        items: 0,
        firstSeen: T1,
        lastSeen: T1,
      });
    });

    it('finds a card by id, by id prefix in any case, or by label; LIKE wildcards are plain text', async () => {
      const cat = await engine.open();
      await upsertCardSeen(cat, { id: 'uuid:1234-ABCD', kind: 'uuid', label: 'CANON' }, T1);
      await upsertCardSeen(cat, { id: 'uuid:1299-0000', kind: 'uuid', label: 'SONY' }, T1);
      await upsertCardSeen(cat, { id: 'list:ab\\cd', kind: 'list' }, T1);
      const ids = async (ref: string) => (await findCard(cat, ref)).map((c) => c.id).sort();
      assert.deepEqual(await ids('uuid:1234-ABCD'), ['uuid:1234-ABCD']);
      assert.deepEqual(await ids('uuid:1234-ab'), ['uuid:1234-ABCD']);
      assert.deepEqual(await ids('UUID:1234'), ['uuid:1234-ABCD']);
      assert.deepEqual(await ids('uuid:12'), ['uuid:1234-ABCD', 'uuid:1299-0000']);
      assert.deepEqual(await ids('SONY'), ['uuid:1299-0000']);
      assert.deepEqual(await ids('uuid:1_34'), []);
      assert.deepEqual(await ids('list:ab\\'), ['list:ab\\cd']);
      assert.deepEqual(await ids('nikon'), []);
    });

    it("a card's monitor follows its winning op when ops are projected again", async () => {
      const cat = await engine.open();
      await upsertCardSeen(cat, { id: 'c1', kind: 'list' }, T1);
      await upsertCardSeen(cat, { id: 'c2', kind: 'list' }, T1);
      await upsertCardSeen(cat, { id: 'c3', kind: 'list' }, T1);
      await dbOf(cat).updateTable('cards').set({ monitor: 'KEEP' }).where('id', '=', 'c3').execute();
      await monitorOp(cat, 'c1', '00000000a-0000-n', 'OLD');
      await monitorOp(cat, 'c1', '00000000b-0000-n', 'NEW');
      await monitorOp(cat, 'c1', '00000000a-0001-n', 'MIDDLE');
      await monitorOp(cat, 'c2', '00000000a-0000-n', null);
      await reprojectCardMonitors(cat);
      const monitors = Object.fromEntries((await listCards(cat)).map((c) => [c.id, c.monitor]));
      assert.deepEqual(monitors, { c1: 'NEW', c2: null, c3: 'KEEP' });
    });

    it('carries cards over to a rebuilt catalogue, keeping the ones it has', async () => {
      const from = await engine.open();
      const to = await engine.open();
      await upsertCardSeen(from, { id: 'a', kind: 'list', label: 'OLD' }, T1);
      await upsertCardSeen(from, { id: 'b', kind: 'uuid', fsUuid: 'B' }, T1);
      await upsertCardSeen(to, { id: 'a', kind: 'list', label: 'NEW' }, T2);
      assert.equal(await carryOverCards(from, to), 1);
      const cards = await listCards(to);
      assert.deepEqual(
        cards.map((c) => [c.id, c.label, c.fs_uuid]),
        [
          ['a', 'NEW', null],
          ['b', null, 'B'],
        ],
      );
      assert.equal(await carryOverCards(from, to), 0);
    });
  });
}
