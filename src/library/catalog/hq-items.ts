import { ITEM_FACT_COLUMNS } from '../item-facts.js';
import { dbOf } from './handle.js';
import { lockItems } from './locks.js';
import { refreshItemObjects } from './objects.js';
import type { Catalog } from './open.js';
import { projectItemOps } from './ops.js';
import type { NewItem } from './schema.js';

/**
 * Items at HQ: the facts stations send (immutable for an id), which stations hold which item
 * (table item_holders, migration 0009_hq_holders), and lookups the HQ routes need.
 */

/** A station's facts of an item as HQ stores them (hq/sync-schema.ts checks them first). */
export type StationItemFacts = Pick<NewItem, (typeof ITEM_FACT_COLUMNS)[number]> & { path: string };

/**
 * Insert items' facts from a station (facts never change for an id: a repeat, or the same item
 * from a second station, is a no-op). `path` becomes `<station>/<station's path>` so paths from
 * different stations never collide. Ops merged before the facts arrived are projected now.
 * Returns how many items were new.
 */
export async function upsertItemFacts(
  cat: Catalog,
  station: string,
  items: StationItemFacts[],
): Promise<number> {
  if (!items.length) return 0;
  // Sorted by id: the lock order of ops.ts, so two stations sending the same items never deadlock.
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return cat.transaction(async (tx) => {
    // Before the rows exist: a merge projecting onto these items waits for this transaction.
    await lockItems(
      tx,
      sorted.map((it) => it.id),
    );
    let fresh = 0;
    for (const it of sorted) {
      const row: Record<string, unknown> = {};
      for (const c of ITEM_FACT_COLUMNS) row[c] = it[c];
      await dbOf(tx)
        .insertInto('item_holders')
        .values({ item: it.id, station })
        .onConflict((oc) => oc.doNothing())
        .execute();
      const res = await dbOf(tx)
        .insertInto('items')
        .values({ ...(row as StationItemFacts), path: `${station}/${it.path}`, state: 'remote' })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) continue;
      fresh++;
      await refreshItemObjects(tx, it.id);
      // Ops merged before the facts arrived: project them onto the new row.
      await projectItemOps(tx, it.id);
    }
    return fresh;
  });
}

/** Whether `station` sent the facts of `item` (it holds the original): its ops and renditions may touch it. */
export async function stationHolds(cat: Catalog, station: string, item: string): Promise<boolean> {
  return (await itemsHeldBy(cat, station, [item])).has(item);
}

/** Which of `items` `station` holds (sent the facts of). */
export async function itemsHeldBy(cat: Catalog, station: string, items: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  const ids = [...new Set(items)];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await dbOf(cat)
      .selectFrom('item_holders')
      .select('item')
      .where('station', '=', station)
      .where('item', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows) out.add(r.item);
  }
  return out;
}

/** Whether the item carries a tombstone (HQ wants none of its bytes any more). */
export async function isTombstoned(cat: Catalog, item: string): Promise<boolean> {
  const row = await dbOf(cat)
    .selectFrom('items')
    .select('id')
    .where('id', '=', item)
    .where('deleted', '=', 1)
    .executeTakeFirst();
  return row !== undefined;
}
