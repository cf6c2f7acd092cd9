import type { AttributePatch, Attributes, Item } from '../types';
import { tick } from './clock';
import { offlineDb, type QueuedOp } from './db';
import { markOfflineData } from './flag';

/**
 * Edits made on the tablet: applied to its own copy at once and queued as ops, one per field,
 * each with the value the person saw (`base`) so the station can tell when someone else changed
 * it meanwhile. The queue is kept until the station acknowledges it (sync.ts).
 */

type Listener = () => void;
const listeners = new Set<Listener>();

/** Called after every local edit (the sync engine pushes soon after). */
export function onLocalEdit(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const FIELDS = ['event', 'location', 'rating', 'priority', 'tags', 'notes', 'rejected'] as const;

function setField(a: Attributes, field: string, value: unknown): Attributes {
  const next = { ...a } as Record<string, unknown>;
  if (field === 'rejected') {
    if (value) next.rejected = true;
    else delete next.rejected;
  } else next[field] = value;
  return next as unknown as Attributes;
}

const fieldOf = (a: Attributes, field: string): unknown =>
  field === 'rejected' ? !!a.rejected : ((a as unknown as Record<string, unknown>)[field] ?? null);

/**
 * Apply `patch` to the tablet's copy of item `id` and queue it. Returns the item as it is now,
 * and the values before (for an undo, which is just another edit).
 */
export async function editOffline(
  id: string,
  patch: AttributePatch,
): Promise<{ item: Item; before: AttributePatch }> {
  const db = await offlineDb();
  const row = await db.get('items', id);
  if (!row) throw new Error(`item ${id.slice(0, 12)} is not on this tablet`);
  let attrs = row.record.attributes;
  const before: Record<string, unknown> = {};
  const ops: QueuedOp[] = [];
  for (const field of FIELDS) {
    if (!(field in patch)) continue;
    const value = (patch as Record<string, unknown>)[field];
    if (value === undefined) continue;
    const base = fieldOf(attrs, field);
    before[field] = base;
    ops.push({ hlc: await tick(), item: id, field, value, base, createdAt: Date.now() });
    attrs = setField(attrs, field, value);
  }
  const item = { ...row.record, attributes: attrs };
  const tx = db.transaction(['items', 'ops'], 'readwrite');
  await tx.objectStore('items').put({ ...row, record: item });
  for (const op of ops) await tx.objectStore('ops').put(op);
  await tx.done;
  markOfflineData(true);
  for (const fn of listeners) fn();
  return { item, before: before as AttributePatch };
}

/** Queue an edit that takes a conflict's other value (settling it when it arrives). */
export async function takeOtherOffline(
  conflict: { id: string; item: string; field: string },
  value: unknown,
): Promise<void> {
  const db = await offlineDb();
  const row = await db.get('items', conflict.item);
  const base = row ? fieldOf(row.record.attributes, conflict.field) : null;
  const op: QueuedOp = {
    hlc: await tick(),
    item: conflict.item,
    field: conflict.field,
    value,
    base,
    resolves: conflict.id,
    createdAt: Date.now(),
  };
  const tx = db.transaction(['items', 'ops', 'conflicts'], 'readwrite');
  if (row)
    await tx.objectStore('items').put({
      ...row,
      record: { ...row.record, attributes: setField(row.record.attributes, conflict.field, value) },
    });
  await tx.objectStore('ops').put(op);
  await tx.objectStore('conflicts').delete(conflict.id);
  await tx.done;
  markOfflineData(true);
  for (const fn of listeners) fn();
}

/** Put the queued edits of `ids` back on top of the station's values just stored. */
export async function reapplyQueued(ids: string[]): Promise<void> {
  const db = await offlineDb();
  const want = new Set(ids);
  const ops = (await db.getAll('ops'))
    .filter((o) => want.has(o.item))
    .sort((a, b) => (a.hlc < b.hlc ? -1 : 1));
  if (!ops.length) return;
  const tx = db.transaction('items', 'readwrite');
  for (const op of ops) {
    const row = await tx.store.get(op.item);
    if (row)
      await tx.store.put({
        ...row,
        record: { ...row.record, attributes: setField(row.record.attributes, op.field, op.value) },
      });
  }
  await tx.done;
}

/** Store the station's current attributes of items (then this tablet's queued edits on top). */
export async function storeAttributes(
  items: { id: string; attributes: Attributes }[],
  gone: string[] = [],
): Promise<void> {
  if (!items.length && !gone.length) return;
  const db = await offlineDb();
  const tx = db.transaction('items', 'readwrite');
  const touched: string[] = [];
  for (const it of items) {
    const row = await tx.store.get(it.id);
    if (!row) continue;
    await tx.store.put({ ...row, record: { ...row.record, attributes: it.attributes } });
    touched.push(it.id);
  }
  for (const id of gone) {
    const row = await tx.store.get(id);
    if (row) await tx.store.put({ ...row, gone: true });
  }
  await tx.done;
  await reapplyQueued(touched);
}

export async function offlineItem(id: string): Promise<Item | undefined> {
  return (await (await offlineDb()).get('items', id))?.record;
}
