/**
 * Storage budget for recordings (docs/recorder.md): keep at least `minFreeBytes` free on the
 * drive and at most `maxBytes` of recordings per camera, deleting the oldest first, but never
 * an item HQ has not confirmed unless `deleteUnsent` says so. The plan is pure; `applyBudget`
 * removes originals the way the uplink's offload does (thumbnail and preview stay).
 */
import { statfs, unlink } from 'node:fs/promises';
import { errnoCode } from '../core/errors.js';
import type { WarningCode } from '../core/warnings.js';
import type { Catalog } from '../library/catalog/open.js';
import { offloadRecording, recordingsOnDrive } from '../library/catalog/recordings.js';
import { libraryFile } from '../library/layout.js';

export interface BudgetItem {
  id: string;
  camera: string;
  size: number;
  /** Sort key: oldest first (the segment's capture time). */
  sortTime: string;
  /** HQ confirmed the original (uplink journal `done`). */
  uploaded: boolean;
}

export interface BudgetInput {
  items: BudgetItem[];
  freeBytes: number;
  totalBytes: number;
  /** Keep at least this much free on the drive (0: no floor). */
  minFreeBytes: number;
  /** Per-camera cap on recordings kept (absent: no cap). */
  maxBytesPerCamera: Record<string, number | undefined>;
  /** Allow deleting recordings HQ has not confirmed (data loss: only when the config says so). */
  deleteUnsent: boolean;
  /** Warn when the unsent backlog of a camera reaches this share of its cap (default 0.8). */
  warnShare?: number;
}

export interface BudgetWarning {
  camera: string | null;
  code: Extract<WarningCode, 'BACKLOG_NEAR_BUDGET' | 'BUDGET_BLOCKED' | 'DRIVE_FLOOR_BLOCKED'>;
  message: string;
  unsentBytes: number;
}

export interface BudgetPlan {
  /** Items to remove, in order. */
  delete: { id: string; camera: string; size: number; uploaded: boolean }[];
  freedBytes: number;
  /** Bytes the plan wanted to free but could not without touching unsent items. */
  shortBytes: number;
  warnings: BudgetWarning[];
}

/** Pure: which recordings to remove, oldest first, and what to warn about. */
export function planBudget(input: BudgetInput): BudgetPlan {
  const warnShare = input.warnShare ?? 0.8;
  const deletable = (i: BudgetItem): boolean => i.uploaded || input.deleteUnsent;
  const byCamera = new Map<string, BudgetItem[]>();
  for (const i of input.items) {
    const list = byCamera.get(i.camera) ?? [];
    list.push(i);
    byCamera.set(i.camera, list);
  }
  const order = (a: BudgetItem, b: BudgetItem): number =>
    a.sortTime < b.sortTime ? -1 : a.sortTime > b.sortTime ? 1 : a.id < b.id ? -1 : 1;
  const chosen = new Set<string>();
  const plan: BudgetPlan = { delete: [], freedBytes: 0, shortBytes: 0, warnings: [] };
  const take = (i: BudgetItem): void => {
    chosen.add(i.id);
    plan.delete.push({ id: i.id, camera: i.camera, size: i.size, uploaded: i.uploaded });
    plan.freedBytes += i.size;
  };

  // 1. Per-camera caps.
  for (const [camera, items] of [...byCamera].sort(([a], [b]) => (a < b ? -1 : 1))) {
    items.sort(order);
    const cap = input.maxBytesPerCamera[camera];
    const total = items.reduce((s, i) => s + i.size, 0);
    const unsent = items.filter((i) => !i.uploaded).reduce((s, i) => s + i.size, 0);
    if (cap !== undefined && unsent >= cap * warnShare)
      plan.warnings.push({
        camera,
        code: 'BACKLOG_NEAR_BUDGET',
        message: `camera ${camera}: ${mb(unsent)} not yet at HQ, ${Math.round((unsent / cap) * 100)} % of its ${mb(cap)} budget`,
        unsentBytes: unsent,
      });
    if (cap === undefined || total <= cap) continue;
    let over = total - cap;
    for (const i of items) {
      if (over <= 0) break;
      if (!deletable(i)) continue;
      take(i);
      over -= i.size;
    }
    if (over > 0) {
      plan.shortBytes += over;
      plan.warnings.push({
        camera,
        code: 'BUDGET_BLOCKED',
        message: `camera ${camera} is ${mb(over)} over its budget, but the rest is not at HQ yet: kept`,
        unsentBytes: unsent,
      });
    }
  }

  // 2. The drive's free-space floor: oldest recording first, across cameras.
  let need = input.minFreeBytes - (input.freeBytes + plan.freedBytes);
  if (need > 0) {
    const rest = input.items.filter((i) => !chosen.has(i.id)).sort(order);
    for (const i of rest) {
      if (need <= 0) break;
      if (!deletable(i)) continue;
      take(i);
      need -= i.size;
    }
    if (need > 0) {
      plan.shortBytes += need;
      const unsent = input.items
        .filter((i) => !i.uploaded && !chosen.has(i.id))
        .reduce((s, i) => s + i.size, 0);
      plan.warnings.push({
        camera: null,
        code: 'DRIVE_FLOOR_BLOCKED',
        message: `drive has ${mb(input.freeBytes + plan.freedBytes)} free, below the ${mb(input.minFreeBytes)} floor; ${mb(unsent)} of recordings are not at HQ yet and are kept`,
        unsentBytes: unsent,
      });
    }
  }
  return plan;
}

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${Math.round(n / 1e6)} MB`;
}

/** Recordings on the drive (`cam:` items still stored here), with their upload state. */
export function loadRecordings(cat: Catalog, camera?: string): BudgetItem[] {
  return recordingsOnDrive(cat, camera);
}

export async function driveSpace(root: string): Promise<{ freeBytes: number; totalBytes: number }> {
  const s = await statfs(root);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

/**
 * Remove the planned originals. Same crash-safe order as the uplink's offload: the row says
 * `offloaded` first, then the files go (`finishOffloads` completes a killed run). The item's
 * thumbnail and preview stay, so the web app still shows what was recorded.
 */
export async function applyBudget(cat: Catalog, root: string, plan: BudgetPlan): Promise<number> {
  let removed = 0;
  for (const d of plan.delete) {
    const paths = await offloadRecording(cat, d.id);
    if (!paths) continue;
    for (const p of paths)
      await unlink(libraryFile(root, p)).catch((e: unknown) => {
        if (errnoCode(e) !== 'ENOENT') throw e;
      });
    removed++;
  }
  return removed;
}
