import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attributePatchSchema, patchToChanges } from '../../core/attributes.js';
import { recordLocalOps, type OpChange } from '../catalog/ops.js';
import type { Catalog } from '../catalog/open.js';
import { parseXmp } from './xmp.js';

/**
 * Sidecars that came off a card (Lightroom on the field laptop, a camera's own rating). An item
 * takes its card sidecar's values only while no attribute was ever set on it: it has a card,
 * an `xmp` companion, empty attribute columns and no attribute op. The sidecar file is left as
 * it came.
 */

/** The op fields people set (core/attributes.ts). */
const ATTRIBUTE_FIELDS = ['event', 'location', 'rating', 'priority', 'tags', 'notes'] as const;

export interface CardSidecarRead {
  changes: OpChange[];
  /** Sidecars that could not be read or made no sense. */
  failed: { id: string; path: string; message: string }[];
}

/**
 * Read the card sidecars of items that can still take them (all such items, or those of `ids`).
 * `driveRoot` null (no library files here, HQ): none.
 */
export async function readCardSidecars(
  cat: Catalog,
  driveRoot: string | null,
  ids?: string[],
): Promise<CardSidecarRead> {
  if (driveRoot === null) return { changes: [], failed: [] };
  const out: CardSidecarRead = { changes: [], failed: [] };
  for (const c of candidates(cat, ids)) {
    let text: string;
    try {
      text = await readFile(join(driveRoot, c.path), 'utf8');
    } catch (e) {
      out.failed.push({ id: c.id, path: c.path, message: (e as Error).message });
      continue;
    }
    const parsed = attributePatchSchema.safeParse(parseXmp(text));
    if (!parsed.success) {
      out.failed.push({ id: c.id, path: c.path, message: parsed.error.issues[0]?.message ?? 'invalid' });
      continue;
    }
    for (const f of patchToChanges(parsed.data))
      if (!isEmpty(f.value)) out.changes.push({ entity: 'item', id: c.id, field: f.field, value: f.value });
  }
  return out;
}

/**
 * Record what `readCardSidecars` found, as ops from `node`. Items someone edited since are
 * checked again here and left out (their edit wins). Runs in a transaction of its own, or in
 * the caller's. Returns the ops recorded and the items they touched.
 */
export function recordCardSidecars(
  cat: Catalog,
  changes: OpChange[],
  node: string,
  nowMs: number,
): { items: number; ops: number } {
  if (!changes.length) return { items: 0, ops: 0 };
  return cat.sqlite.transaction(() => {
    const still = new Set(candidates(cat, [...new Set(changes.map((c) => c.id))]).map((c) => c.id));
    const keep = changes.filter((c) => still.has(c.id));
    const ops = recordLocalOps(cat, keep, node, nowMs).length;
    return { items: new Set(keep.map((c) => c.id)).size, ops };
  })();
}

function isEmpty(v: unknown): boolean {
  return v === null || v === false || (Array.isArray(v) && v.length === 0);
}

function candidates(cat: Catalog, ids: string[] | undefined): { id: string; path: string }[] {
  if (ids && ids.length === 0) return [];
  const fields = ATTRIBUTE_FIELDS.map((f) => `'${f}'`).join(', ');
  const sql = `select i.id, c.path from items i join companions c on c.item_id = i.id and c.ext = 'xmp'
    where i.card_id is not null and i.state = 'stored' and i.deleted = 0
      and i.event is null and i.location_lat is null and i.rating is null and i.priority = 0
      and i.tags = '[]' and i.notes is null
      and not exists (select 1 from ops o where o.entity = 'item' and o.entity_id = i.id and o.field in (${fields}))`;
  const stmt = cat.sqlite.prepare(ids ? `${sql} and i.id in (select value from json_each(?))` : sql);
  return (ids ? stmt.all(JSON.stringify(ids)) : stmt.all()) as { id: string; path: string }[];
}
