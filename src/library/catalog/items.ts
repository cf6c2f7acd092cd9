import type { Catalog } from './open.js';
import type { CompanionsTable, ItemRow, NewItem } from './schema.js';
import { OutpostError } from '../../core/errors.js';

export async function getItem(cat: Catalog, id: string): Promise<ItemRow | undefined> {
  return cat.db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Resolve a full id or a unique prefix (at least 6 hex chars). */
export async function resolveItemId(cat: Catalog, ref: string): Promise<ItemRow> {
  const r = ref.toLowerCase();
  if (!/^[0-9a-f]{6,64}$/.test(r)) throw new OutpostError('ITEM_NOT_FOUND', `"${ref}" is not an item id`);
  const rows = await cat.db.selectFrom('items').selectAll().where('id', 'like', `${r}%`).limit(2).execute();
  if (rows.length === 0) throw new OutpostError('ITEM_NOT_FOUND', `no item ${ref}`);
  if (rows.length > 1) throw new OutpostError('AMBIGUOUS_ID', `${ref} matches several items`);
  return rows[0]!;
}

/** The pending row goes in first: it is the journal entry that lets a crashed ingest roll back. */
export async function insertPendingItem(cat: Catalog, item: NewItem): Promise<void> {
  await cat.db.insertInto('items').values(item).execute();
}

export async function markStored(cat: Catalog, id: string): Promise<void> {
  await cat.db.updateTable('items').set({ state: 'stored' }).where('id', '=', id).execute();
}

export async function deleteItemRow(cat: Catalog, id: string): Promise<void> {
  await cat.db.deleteFrom('companions').where('item_id', '=', id).execute();
  await cat.db.deleteFrom('imports').where('item_id', '=', id).execute();
  await cat.db.deleteFrom('items').where('id', '=', id).execute();
}

export async function pendingItems(cat: Catalog): Promise<ItemRow[]> {
  return cat.db.selectFrom('items').selectAll().where('state', '=', 'pending').execute();
}

export async function itemsNeedingDerivatives(cat: Catalog): Promise<ItemRow[]> {
  return cat.db
    .selectFrom('items')
    .selectAll()
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .where('derived_at', 'is', null)
    .execute();
}

export async function setDerived(
  cat: Catalog,
  id: string,
  d: {
    thumb: boolean;
    preview: boolean;
    poster: boolean;
    phash?: string | undefined;
    warnings: unknown[];
    at: string;
  },
): Promise<void> {
  const row = await getItem(cat, id);
  if (!row) return;
  const warnings = [...(JSON.parse(row.warnings) as unknown[]), ...d.warnings];
  await cat.db
    .updateTable('items')
    .set({
      has_thumb: d.thumb ? 1 : 0,
      has_preview: d.preview ? 1 : 0,
      has_poster: d.poster ? 1 : 0,
      phash: d.phash ?? null,
      derived_at: d.at,
      warnings: JSON.stringify(warnings),
    })
    .where('id', '=', id)
    .execute();
}

export async function addCompanion(cat: Catalog, c: CompanionsTable): Promise<void> {
  await cat.db
    .insertInto('companions')
    .values(c)
    .onConflict((oc) => oc.columns(['item_id', 'ext']).doNothing())
    .execute();
}

export async function companionsOf(cat: Catalog, id: string): Promise<CompanionsTable[]> {
  return cat.db.selectFrom('companions').selectAll().where('item_id', '=', id).execute();
}

export interface ItemFilter {
  monitor?: string;
  type?: string;
  includeDeleted?: boolean;
}

export async function listItems(cat: Catalog, f: ItemFilter = {}): Promise<ItemRow[]> {
  let q = cat.db.selectFrom('items').selectAll().where('state', '=', 'stored');
  if (!f.includeDeleted) q = q.where('deleted', '=', 0);
  if (f.monitor) q = q.where('monitor', '=', f.monitor);
  if (f.type) q = q.where('type', '=', f.type as ItemRow['type']);
  return q.orderBy('sort_time').orderBy('id').execute();
}

export async function allCompanions(cat: Catalog): Promise<CompanionsTable[]> {
  return cat.db.selectFrom('companions').selectAll().execute();
}
