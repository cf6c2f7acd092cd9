/** Rolling back what never committed: one item, or everything a killed run left. */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPANION_EXTENSIONS } from '../../core/media-types.js';
import { companionName } from '../../core/naming.js';
import type { Catalog } from '../catalog/open.js';
import { deletePendingItemRow, pendingItems } from '../catalog/items.js';
import type { ItemRow } from '../catalog/schema.js';
import type { DriveLayout } from '../layout.js';

/**
 * Undo a placement whose transaction never committed: the row is `pending`, so its source still
 * holds the file (a card: it is not in the ledger, the next scan copies it again; the recorder:
 * the segment file in `.outpost/rec/` is placed again on its next pass).
 *
 * The row goes first, and only while it is still pending: the recorder admits beside an ingest
 * (whose reconcile runs without stopping it), so a row read as pending may be committed by the
 * time it is rolled back; its files are then left alone. A crash between the row and the files
 * leaves files without a row, which the next placement of the same bytes adopts (no clobber).
 */
export async function rollbackItem(cat: Catalog, layout: DriveLayout, item: ItemRow): Promise<void> {
  if (item.state !== 'pending') return;
  if (!(await deletePendingItemRow(cat, item.id))) return;
  const abs = join(layout.root, item.path);
  for (const ext of COMPANION_EXTENSIONS) await rm(companionName(abs, ext), { force: true });
  await rm(abs, { force: true });
}

/** Cards whose pending items their own service finishes (never rolled back from outside). */
const OWN_RECOVERY = ['cam:', 'snap:', 'timelapse:'];

/**
 * Finish what a killed run left: roll back `pending` items and empty `.outpost/tmp` (every
 * file there is an unfinished copy). Must run with the library lock held.
 */
export async function reconcileLibrary(
  cat: Catalog,
  layout: DriveLayout,
  opts: { deep?: boolean } = {},
): Promise<{ rolledBack: number; tmpRemoved: number }> {
  // A camera's recordings are the recorder's to finish (src/recorder/segment-item.ts), an IP
  // camera's snapshots and timelapses the snapshot service's (src/snapshots/service.ts): either may
  // be admitting one right now, and where the drive has no hard links its placed file is the only copy.
  const pending = (await pendingItems(cat)).filter(
    (i) => !OWN_RECOVERY.some((p) => i.card_id?.startsWith(p)),
  );
  for (const item of pending) await rollbackItem(cat, layout, item);
  let tmpRemoved = 0;
  for (const name of await readdir(layout.tmpDir).catch(() => [] as string[])) {
    await rm(join(layout.tmpDir, name), { force: true, recursive: true });
    tmpRemoved++;
  }
  // After a killed run, half-written derivatives may sit beside the real ones as `.<name>.tmp`.
  if (opts.deep) tmpRemoved += await removeAtomicLeftovers(layout.derivedDir, 2);
  return { rolledBack: pending.length, tmpRemoved };
}

/** Remove `writeFileAtomic` leftovers (`.<name>.<random>.tmp`) up to `depth` folders down. */
async function removeAtomicLeftovers(dir: string, depth: number): Promise<number> {
  let n = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.isDirectory() && depth > 0) n += await removeAtomicLeftovers(join(dir, e.name), depth - 1);
    else if (e.isFile() && e.name.startsWith('.') && e.name.endsWith('.tmp')) {
      await rm(join(dir, e.name), { force: true });
      n++;
    }
  }
  return n;
}
