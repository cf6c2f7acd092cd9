import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attributePatchSchema, patchToChanges } from '../../core/attributes.js';
import { recordLocalOps, type OpChange } from '../catalog/ops.js';
import { itemsAwaitingCardSidecar } from '../catalog/card-sidecars.js';
import type { Catalog } from '../catalog/open.js';
import { parseXmp } from './xmp.js';

/**
 * Sidecars that came off a card (Lightroom on the field laptop, a camera's own rating). An item
 * takes its card sidecar's values only while no attribute was ever set on it: it has a card,
 * an `xmp` companion, empty attribute columns and no attribute op. The sidecar file is left as
 * it came.
 */

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
  for (const c of await itemsAwaitingCardSidecar(cat, ids)) {
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
export async function recordCardSidecars(
  cat: Catalog,
  changes: OpChange[],
  node: string,
  nowMs: number,
): Promise<{ items: number; ops: number }> {
  if (!changes.length) return { items: 0, ops: 0 };
  return cat.transaction(async (tx) => {
    const still = new Set(
      (await itemsAwaitingCardSidecar(tx, [...new Set(changes.map((c) => c.id))])).map((c) => c.id),
    );
    const keep = changes.filter((c) => still.has(c.id));
    const ops = (await recordLocalOps(tx, keep, node, nowMs)).length;
    return { items: new Set(keep.map((c) => c.id)).size, ops };
  });
}

function isEmpty(v: unknown): boolean {
  return v === null || v === false || (Array.isArray(v) && v.length === 0);
}
