import { OutpostError } from '../../core/errors.js';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import type { CompanionsTable, ItemRow, NewItem } from './schema.js';

export async function getItem(cat: Catalog, id: string): Promise<ItemRow | undefined> {
  return dbOf(cat).selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Which items an id reference may name: `any` row (the CLI on a drive), the `visible` ones (stored
 * and not deleted: what the web app and API show), or the `known` ones (not pending, not deleted:
 * HQ's items whether or not it holds their bytes yet).
 */
export type ItemScope = 'any' | 'visible' | 'known';

/**
 * The item a full id or a unique prefix (6 to 64 hex characters, any case) names, within `scope`.
 * ITEM_NOT_FOUND when none (or `ref` is not hex), AMBIGUOUS_ID (details.matches) when several.
 * Ids are lower-case hex, so the input is lower-cased (PostgreSQL compares case-sensitively), and
 * a prefix is a range on the primary key (`id >= ref and id < ref + 'g'`: 'g' follows every hex
 * digit), which both engines answer from the index, unlike SQLite's case-insensitive LIKE.
 */
export async function resolveItemId(cat: Catalog, ref: string, scope: ItemScope = 'any'): Promise<ItemRow> {
  const r = ref.toLowerCase();
  if (!/^[0-9a-f]{6,64}$/.test(r)) throw new OutpostError('ITEM_NOT_FOUND', `"${ref}" is not an item id`);
  let q = dbOf(cat).selectFrom('items').selectAll();
  q = r.length === 64 ? q.where('id', '=', r) : q.where('id', '>=', r).where('id', '<', `${r}g`);
  if (scope !== 'any') q = q.where('deleted', '=', 0);
  if (scope === 'visible') q = q.where('state', '=', 'stored');
  if (scope === 'known') q = q.where('state', '!=', 'pending');
  const rows = await q.orderBy('id').limit(2).execute();
  if (rows.length === 0) throw new OutpostError('ITEM_NOT_FOUND', `no item ${ref}`);
  if (rows.length > 1)
    throw new OutpostError('AMBIGUOUS_ID', `${ref} matches several items`, {
      details: { matches: rows.map((x) => x.id) },
    });
  return rows[0]!;
}

/** The pending row goes in first: it is the journal entry that lets a crashed ingest roll back. */
export async function insertPendingItem(cat: Catalog, item: NewItem): Promise<void> {
  await dbOf(cat).insertInto('items').values(item).execute();
}

export async function markStored(cat: Catalog, id: string): Promise<void> {
  await dbOf(cat).updateTable('items').set({ state: 'stored' }).where('id', '=', id).execute();
}

export async function deleteItemRow(cat: Catalog, id: string): Promise<void> {
  await dbOf(cat).deleteFrom('companions').where('item_id', '=', id).execute();
  await dbOf(cat).deleteFrom('imports').where('item_id', '=', id).execute();
  await dbOf(cat).deleteFrom('items').where('id', '=', id).execute();
}

/**
 * Delete a `pending` item's rows (its companions', imports', its own) in one transaction, only if
 * it is still pending; false when it is not (committed meanwhile by whoever admitted it, or gone).
 */
export async function deletePendingItemRow(cat: Catalog, id: string): Promise<boolean> {
  return cat.transaction(async (tx) => {
    const db = dbOf(tx);
    const r = await db.selectFrom('items').select('state').where('id', '=', id).executeTakeFirst();
    if (r?.state !== 'pending') return false;
    await db.deleteFrom('companions').where('item_id', '=', id).execute();
    await db.deleteFrom('imports').where('item_id', '=', id).execute();
    await db.deleteFrom('items').where('id', '=', id).execute();
    return true;
  });
}

export async function pendingItems(cat: Catalog): Promise<ItemRow[]> {
  return dbOf(cat).selectFrom('items').selectAll().where('state', '=', 'pending').execute();
}

export async function itemsNeedingDerivatives(cat: Catalog): Promise<ItemRow[]> {
  return dbOf(cat)
    .selectFrom('items')
    .selectAll()
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .where('derived_at', 'is', null)
    .execute();
}

/** Which derivatives an item has, with the derive pass still to run (derived_at stays empty). */
export async function setDerivedFlags(
  cat: Catalog,
  id: string,
  d: { thumb: boolean; preview: boolean; poster: boolean },
): Promise<void> {
  await dbOf(cat)
    .updateTable('items')
    .set({ has_thumb: d.thumb ? 1 : 0, has_preview: d.preview ? 1 : 0, has_poster: d.poster ? 1 : 0 })
    .where('id', '=', id)
    .execute();
}

export async function setDerived(
  cat: Catalog,
  id: string,
  d: {
    thumb: boolean;
    preview: boolean;
    poster: boolean;
    video?: boolean | undefined;
    phash?: string | undefined;
    warnings: unknown[];
    at: string;
  },
): Promise<void> {
  const row = await getItem(cat, id);
  if (!row) return;
  const warnings = [...(JSON.parse(row.warnings) as unknown[]), ...d.warnings];
  await dbOf(cat)
    .updateTable('items')
    .set({
      has_thumb: d.thumb ? 1 : 0,
      has_preview: d.preview ? 1 : 0,
      has_poster: d.poster ? 1 : 0,
      has_video: d.video ? 1 : 0,
      phash: d.phash ?? null,
      derived_at: d.at,
      warnings: JSON.stringify(warnings),
    })
    .where('id', '=', id)
    .execute();
}

export async function addCompanion(cat: Catalog, c: CompanionsTable): Promise<void> {
  await dbOf(cat)
    .insertInto('companions')
    .values(c)
    .onConflict((oc) => oc.columns(['item_id', 'ext']).doNothing())
    .execute();
}

export async function companionsOf(cat: Catalog, id: string): Promise<CompanionsTable[]> {
  return dbOf(cat).selectFrom('companions').selectAll().where('item_id', '=', id).execute();
}

export interface ItemFilter {
  monitor?: string;
  type?: string;
  includeDeleted?: boolean;
}

export async function listItems(cat: Catalog, f: ItemFilter = {}): Promise<ItemRow[]> {
  let q = dbOf(cat).selectFrom('items').selectAll().where('state', '=', 'stored');
  if (!f.includeDeleted) q = q.where('deleted', '=', 0);
  if (f.monitor) q = q.where('monitor', '=', f.monitor);
  if (f.type) q = q.where('type', '=', f.type as ItemRow['type']);
  return q.orderBy('sort_time').orderBy('id').execute();
}

export async function allCompanions(cat: Catalog): Promise<CompanionsTable[]> {
  return dbOf(cat).selectFrom('companions').selectAll().execute();
}

/** Paths of tombstoned items (fsck: files the catalogue still accounts for). */
export async function deletedItemPaths(cat: Catalog): Promise<string[]> {
  const rows = await dbOf(cat).selectFrom('items').select('path').where('deleted', '=', 1).execute();
  return rows.map((r) => r.path);
}

/**
 * An item's XMP sidecar was (re)written: record it as the item's `xmp` companion with the hash
 * and size of the new bytes, so `fsck --hash` stays clean.
 */
export async function recordSidecarCompanion(
  cat: Catalog,
  itemId: string,
  written: { path: string; sha256: string; size: number },
): Promise<void> {
  await dbOf(cat)
    .insertInto('companions')
    .values({ item_id: itemId, ext: 'xmp', ...written })
    .onConflict((oc) => oc.columns(['item_id', 'ext']).doUpdateSet(written))
    .execute();
}

/** A thumbnail was made for the item outside the usual derivation (a motion event's peak frame). */
export async function markThumbnailMade(cat: Catalog, id: string): Promise<void> {
  await dbOf(cat).updateTable('items').set({ has_thumb: 1 }).where('id', '=', id).execute();
}

/**
 * Items no op was ever recorded for (a rebuilt catalogue: their sidecars are the only record of
 * their attributes).
 */
export async function itemsWithoutOps(cat: Catalog): Promise<{ id: string; path: string }[]> {
  return dbOf(cat)
    .selectFrom('items')
    .select(['id', 'path'])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('ops')
            .select('ops.seq')
            .where('ops.entity', '=', 'item')
            .whereRef('ops.entity_id', '=', 'items.id'),
        ),
      ),
    )
    .execute();
}
