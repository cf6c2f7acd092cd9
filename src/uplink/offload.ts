import { unlink } from 'node:fs/promises';
import { errnoCode } from '../core/errors.js';
import { companionPaths, markOffloaded, offloadedItems } from '../library/catalog/offloads.js';
import type { Catalog } from '../library/catalog/open.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { libraryFile } from '../library/layout.js';

/** Which originals may leave the station once HQ confirmed them (config `uplink.deleteAfterUpload`). */
export type OffloadPolicy = 'never' | 'recordings' | 'all';

/** Recordings are items from the station's own cameras: their card id is `cam:<camera>`. */
export const isRecording = (row: Pick<ItemRow, 'card_id'>): boolean =>
  row.card_id?.startsWith('cam:') ?? false;

export function offloadWanted(policy: OffloadPolicy, row: Pick<ItemRow, 'card_id'>): boolean {
  return policy === 'all' || (policy === 'recordings' && isRecording(row));
}

/**
 * Remove an original HQ has confirmed (the caller asked HQ just before). Crash-safe order: the
 * catalogue says `offloaded` first, then the files go; `finishOffloads` removes files a killed
 * run left behind. The thumbnail and preview stay, so the station can still show the item.
 */
export async function offloadOriginal(cat: Catalog, driveRoot: string, id: string): Promise<boolean> {
  const row = await markOffloaded(cat, id);
  if (!row) return false;
  await removeFiles(cat, driveRoot, row);
  return true;
}

/** Files of offloaded items still on the drive (a run killed between its two steps). */
export async function finishOffloads(cat: Catalog, driveRoot: string): Promise<number> {
  const rows = await offloadedItems(cat);
  let n = 0;
  for (const r of rows) n += await removeFiles(cat, driveRoot, r);
  return n;
}

async function removeFiles(cat: Catalog, root: string, row: ItemRow): Promise<number> {
  let n = 0;
  for (const p of [row.path, ...(await companionPaths(cat, row.id))])
    await unlink(libraryFile(root, p)).then(
      () => n++,
      (e: unknown) => {
        if (errnoCode(e) !== 'ENOENT') throw e;
      },
    );
  return n;
}
