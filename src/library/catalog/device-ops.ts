import { ATTRIBUTE_FIELDS } from '../../core/op-check.js';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import type { DeviceOpsTable, SyncConflictsTable } from './schema.js';

/** Tablets' pushed ops and the conflicts they met (migration 0024_device_sync). */

const ROWS = 400;

/** The ops of `origin` already taken, by their device stamp. */
export async function deviceOpsSeen(
  cat: Catalog,
  origin: string,
  hlcs: string[],
): Promise<Map<string, DeviceOpsTable>> {
  const out = new Map<string, DeviceOpsTable>();
  for (let i = 0; i < hlcs.length; i += ROWS) {
    const rows = await dbOf(cat)
      .selectFrom('device_ops')
      .selectAll()
      .where('origin', '=', origin)
      .where('hlc', 'in', hlcs.slice(i, i + ROWS))
      .execute();
    for (const r of rows) out.set(r.hlc, { ...r, received_ms: Number(r.received_ms) });
  }
  return out;
}

export async function recordDeviceOps(cat: Catalog, rows: DeviceOpsTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS)
    await dbOf(cat)
      .insertInto('device_ops')
      .values(rows.slice(i, i + ROWS))
      .onConflict((oc) => oc.doNothing())
      .execute();
}

/** The winning stamp of each item field asked for (absent: never set). */
export async function itemFieldHeads(cat: Catalog, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += ROWS) {
    const rows = await dbOf(cat)
      .selectFrom('op_heads')
      .select(['entity_id', 'field', 'hlc'])
      .where('entity', '=', 'item')
      .where('entity_id', 'in', ids.slice(i, i + ROWS))
      .execute();
    for (const r of rows) out.set(`${r.entity_id}\u0000${r.field}`, r.hlc);
  }
  return out;
}

export async function addConflicts(cat: Catalog, rows: SyncConflictsTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS)
    await dbOf(cat)
      .insertInto('sync_conflicts')
      .values(rows.slice(i, i + ROWS))
      .execute();
}

/** Conflicts, newest first: open ones only unless `all`. */
export async function listConflicts(
  cat: Catalog,
  opts: { all?: boolean; limit: number; ids?: string[] },
): Promise<SyncConflictsTable[]> {
  let q = dbOf(cat).selectFrom('sync_conflicts').selectAll().orderBy('created_ms', 'desc').orderBy('id');
  if (!opts.all) q = q.where('resolved_ms', 'is', null);
  if (opts.ids) q = q.where('id', 'in', opts.ids.length ? opts.ids : ['']);
  const rows = await q.limit(opts.limit).execute();
  return rows.map(numeric);
}

export async function conflictById(cat: Catalog, id: string): Promise<SyncConflictsTable | undefined> {
  const row = await dbOf(cat)
    .selectFrom('sync_conflicts')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? numeric(row) : undefined;
}

/** Settle an open conflict; false when it was settled already (or is unknown). */
export async function settleConflict(
  cat: Catalog,
  id: string,
  resolution: 'kept' | 'took-other',
  nowMs: number,
): Promise<boolean> {
  const r = await dbOf(cat)
    .updateTable('sync_conflicts')
    .set({ resolved_ms: nowMs, resolution })
    .where('id', '=', id)
    .where('resolved_ms', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

const numeric = (r: SyncConflictsTable): SyncConflictsTable => ({
  ...r,
  created_ms: Number(r.created_ms),
  resolved_ms: r.resolved_ms === null ? null : Number(r.resolved_ms),
});

/**
 * Items whose attributes (or deletion) changed after op `cursor` (arrival order), at most
 * `limit` ops looked at: what a tablet pulls to refresh its take-away sets.
 */
export async function itemsChangedSince(
  cat: Catalog,
  cursor: number,
  limit: number,
): Promise<{ ids: string[]; cursor: number; more: boolean }> {
  const rows = await dbOf(cat)
    .selectFrom('ops')
    .select(['seq', 'entity_id', 'field'])
    .where('seq', '>', cursor)
    .where('entity', '=', 'item')
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const more = rows.length > limit;
  const seen = rows.slice(0, limit);
  const ids = new Set<string>();
  for (const r of seen) if (ATTRIBUTE_FIELDS.has(r.field) || r.field === 'deleted') ids.add(r.entity_id);
  return { ids: [...ids], cursor: seen.length ? Number(seen[seen.length - 1]!.seq) : cursor, more };
}
