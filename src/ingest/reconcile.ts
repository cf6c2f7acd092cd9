import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPANION_EXTENSIONS } from '../core/media-types.js';
import { companionName } from '../core/naming.js';
import type { Catalog } from '../library/catalog/open.js';
import { deleteItemRow, pendingItems } from '../library/catalog/items.js';
import type { ItemRow } from '../library/catalog/schema.js';
import type { DriveLayout } from '../library/layout.js';

/**
 * Undo a placement whose transaction never committed: the row is `pending`, so the card still
 * holds the file and it is not in the ledger; the next scan copies it again.
 */
export async function rollbackItem(cat: Catalog, layout: DriveLayout, item: ItemRow): Promise<void> {
  if (item.state !== 'pending') return;
  const abs = join(layout.root, item.path);
  for (const ext of COMPANION_EXTENSIONS) await rm(companionName(abs, ext), { force: true });
  await rm(abs, { force: true });
  await deleteItemRow(cat, item.id);
}

/**
 * Finish what a killed run left: roll back `pending` items and empty `.outpost/tmp` (every
 * file there is an unfinished copy). Must run with the library lock held.
 */
export async function reconcileLibrary(
  cat: Catalog,
  layout: DriveLayout,
): Promise<{ rolledBack: number; tmpRemoved: number }> {
  const pending = await pendingItems(cat);
  for (const item of pending) await rollbackItem(cat, layout, item);
  let tmpRemoved = 0;
  for (const name of await readdir(layout.tmpDir).catch(() => [] as string[])) {
    await rm(join(layout.tmpDir, name), { force: true, recursive: true });
    tmpRemoved++;
  }
  return { rolledBack: pending.length, tmpRemoved };
}
