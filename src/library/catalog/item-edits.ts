import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import type { ItemRow } from './schema.js';

/** The items people's edits reach: attribute patches (attributes.ts) and card assignment. */

/** Stored, not deleted items by id (unknown ids are simply absent). */
export async function storedItemsById(cat: Catalog, ids: string[]): Promise<Map<string, ItemRow>> {
  const out = new Map<string, ItemRow>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await dbOf(cat)
      .selectFrom('items')
      .selectAll()
      .where('id', 'in', ids.slice(i, i + 500))
      .where('state', '=', 'stored')
      .where('deleted', '=', 0)
      .execute();
    for (const r of rows) out.set(r.id, r);
  }
  return out;
}

/** Ids of the card's items (not deleted) that are not `monitor`'s yet. */
export async function cardItemsNotOf(cat: Catalog, cardId: string, monitor: string): Promise<string[]> {
  const rows = await dbOf(cat)
    .selectFrom('items')
    .select('id')
    .where('card_id', '=', cardId)
    .where('deleted', '=', 0)
    .where('monitor', '<>', monitor)
    .execute();
  return rows.map((r) => r.id);
}

/** Ids of a card's stored, visible items (a clock fix for everything one camera's card brought). */
export async function cardItemIds(cat: Catalog, cardId: string): Promise<string[]> {
  const rows = await dbOf(cat)
    .selectFrom('items')
    .select('id')
    .where('card_id', '=', cardId)
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .execute();
  return rows.map((r) => r.id);
}
