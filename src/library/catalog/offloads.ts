import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import type { ItemRow } from './schema.js';

/**
 * Originals that left the station once HQ confirmed them (src/uplink/offload.ts): the row says
 * `offloaded` before the files go, so a killed run's leftovers can be found and removed.
 */

/** Mark a stored item offloaded; its row as it was, or undefined when it was not stored. */
export async function markOffloaded(cat: Catalog, id: string): Promise<ItemRow | undefined> {
  const db = dbOf(cat);
  const row = await db
    .selectFrom('items')
    .selectAll()
    .where('id', '=', id)
    .where('state', '=', 'stored')
    .executeTakeFirst();
  if (!row) return undefined;
  const res = await db
    .updateTable('items')
    .set({ state: 'offloaded' })
    .where('id', '=', id)
    .where('state', '=', 'stored')
    .executeTakeFirst();
  // Another writer changed it between the two statements: not ours to remove.
  return res.numUpdatedRows > 0n ? row : undefined;
}

/** An offloaded item's bytes are back at its path: stored again. False when it was not offloaded. */
export async function restoreOffloaded(cat: Catalog, id: string): Promise<boolean> {
  const res = await dbOf(cat)
    .updateTable('items')
    .set({ state: 'stored' })
    .where('id', '=', id)
    .where('state', '=', 'offloaded')
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

export async function offloadedItems(cat: Catalog): Promise<ItemRow[]> {
  return dbOf(cat).selectFrom('items').selectAll().where('state', '=', 'offloaded').execute();
}

/** Drive-relative paths of an item's companions. */
export async function companionPaths(cat: Catalog, id: string): Promise<string[]> {
  const rows = await dbOf(cat).selectFrom('companions').select('path').where('item_id', '=', id).execute();
  return rows.map((r) => r.path);
}
