import { unlink } from 'node:fs/promises';
import { errnoCode } from '../core/errors.js';
import { companionPaths, markOffloaded, offloadedItems } from '../library/catalog/offloads.js';
import type { Catalog } from '../library/catalog/open.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { libraryFile } from '../library/layout.js';
import type { Logger } from '../adapters/logger.js';
import { itemCard } from '../library/catalog/uplink-items.js';
import type { ByteTarget } from './targets/target.js';

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

/**
 * The uplink's offload queue: originals the target confirmed, removed here in batches, each
 * only after the target confirms once more that it holds verified bytes with that hash.
 * Refused (kept) when a mirror is required: the station does not know the second drive's
 * contents yet.
 */
export class Offloader {
  private readonly queue: string[] = [];

  constructor(
    private readonly d: {
      catalog: Catalog;
      driveRoot: string;
      target: ByteTarget;
      policy: OffloadPolicy;
      requiresMirror: boolean;
      log: Logger;
    },
  ) {}

  /** Finish removals a killed station left half done (when the policy removes anything). */
  resume(): void {
    if (this.d.policy === 'never') return;
    void finishOffloads(this.d.catalog, this.d.driveRoot).catch((err: unknown) =>
      this.d.log.warn({ err }, 'uplink: could not finish removing offloaded originals'),
    );
  }

  /** The target holds this original now. */
  confirmed(item: string): void {
    if (this.d.policy !== 'never') this.queue.push(item);
  }

  /** One batch; true when the target was asked. */
  async run(signal: AbortSignal): Promise<boolean> {
    if (this.queue.length === 0 || this.d.requiresMirror) {
      this.queue.length = 0;
      return false;
    }
    const ids = this.queue.splice(0, OFFLOAD_BATCH);
    const rows = ids
      .map((id) => itemCard(this.d.catalog, id))
      .filter((r): r is { id: string; card_id: string | null } => !!r && offloadWanted(this.d.policy, r));
    if (rows.length === 0) return false;
    const have = await this.d.target.have(
      rows.map((r) => ({ item: r.id, rendition: 'original' as const, sha256: r.id })),
      signal,
    );
    for (const [i, r] of rows.entries())
      if (have[i] && (await offloadOriginal(this.d.catalog, this.d.driveRoot, r.id)))
        this.d.log.info({ item: r.id }, 'uplink: original at HQ (hash confirmed), removed here');
    return true;
  }
}

const OFFLOAD_BATCH = 200;
