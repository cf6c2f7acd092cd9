/**
 * Deleting rejected items for real (issue 13 §2, docs/reject-delete.md). Only items marked
 * rejected may be deleted (two deliberate steps: reject, then delete). Each gets a tombstone op
 * (field `deleted`), which hides it everywhere and travels like every op (the mirror to drive B,
 * the uplink to HQ); ingest then skips its bytes ("tombstoned"). Its files (original, companions,
 * sidecar, derivatives) are removed from this drive only when the original is safe elsewhere
 * (`planDelete`: on the second drive, or uploaded to HQ), or when the person confirmed exactly the
 * risk of deleting the only copy; otherwise they stay on the drive, tombstoned and hidden.
 */
import { join } from 'node:path';
import { planDelete, type CopyState } from '../core/reject.js';
import { TOMBSTONE_FIELD } from '../core/ops.js';
import { visibleItemsByIds } from '../library/catalog/item-list.js';
import { companionsOnDrive, forgetPurgedFiles, isLiveItem } from '../library/catalog/mirror.js';
import type { Catalog } from '../library/catalog/open.js';
import { recordLocalOps } from '../library/catalog/ops.js';
import { UplinkJournal } from '../library/catalog/uplink-journal.js';
import { withSidecarLock } from '../library/sidecar/write.js';
import { purgeItemFiles } from './mirror-files.js';

export interface DeleteRequest {
  ids: string[];
  /** The person confirmed deleting originals that exist nowhere else. */
  confirmOnlyCopy: boolean;
  /** Only say what would happen. */
  dryRun: boolean;
  node: string;
  nowMs: number;
}

export interface DeleteOutcome {
  /** Rejected items among the ids: the ones deleted (or that would be). */
  items: number;
  /** Of those, how many have no copy elsewhere (what the dialog must say). */
  onlyCopyCount: number;
  /** Items whose files were removed from this drive (or would be). */
  filesRemoved: number;
  /** Items deleted but kept on the drive: their only copy, not confirmed. */
  keptOnlyCopy: number;
  /** Ids given that are not rejected: never deleted. */
  notRejected: string[];
}

/** Where each item's original exists besides this drive: drive B (when attached), HQ (the uplink journal). */
async function copyStates(cat: Catalog, partner: Catalog | undefined, ids: string[]): Promise<CopyState[]> {
  const journal = cat.engine === 'sqlite' ? new UplinkJournal(cat, 'hq') : undefined;
  return ids.map((id) => ({
    id,
    onMirror: partner !== undefined && isLiveItem(partner, id),
    atHq: journal?.originalOffsite(id) ?? false,
  }));
}

export async function deleteRejected(
  cat: Catalog,
  /** The library drive's root (a station); undefined: catalogue only (HQ keeps no files here). */
  root: string | undefined,
  /** Drive B's catalogue when it is attached. */
  partner: Catalog | undefined,
  req: DeleteRequest,
): Promise<DeleteOutcome> {
  const rows = await visibleItemsByIds(cat, req.ids);
  const chosen = rows.filter((r) => r.rejected);
  const notRejected = rows.filter((r) => !r.rejected).map((r) => r.id);
  const plan = planDelete(
    await copyStates(
      cat,
      partner,
      chosen.map((r) => r.id),
    ),
    req.confirmOnlyCopy,
  );
  const outcome: DeleteOutcome = {
    items: chosen.length,
    onlyCopyCount: plan.onlyCopyCount,
    filesRemoved: root ? plan.remove.length : 0,
    keptOnlyCopy: plan.keepOnlyCopy.length,
    notRejected,
  };
  if (req.dryRun || chosen.length === 0) return outcome;
  await recordLocalOps(
    cat,
    chosen.map((r) => ({ entity: 'item' as const, id: r.id, field: TOMBSTONE_FIELD, value: true })),
    req.node,
    req.nowMs,
  );
  if (!root) return outcome;
  const byId = new Map(chosen.map((r) => [r.id, r]));
  for (const id of plan.remove) {
    const row = byId.get(id)!;
    await withSidecarLock(join(root, id), async () => {
      await purgeItemFiles(
        root,
        row,
        companionsOnDrive(cat, id).map((c) => c.path),
      );
      forgetPurgedFiles(cat, id);
    });
  }
  return outcome;
}
