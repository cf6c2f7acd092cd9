/**
 * Fixing a wrong camera clock (issue 13 §2, like digiKam's Adjust Time): items' capture times move
 * by an offset, as `timeShift` ops (the camera's own time is kept; offsets add up, so a shift and
 * its opposite return to the camera's time). Files follow: a name stamped with the old time takes
 * the new one, with its sidecar and companions, crash-safe (relocate.ts); the `MONITOR/DATE/`
 * folder stays (it is the download day); sidecars carry the corrected time.
 */
import { combineShift, shiftedLibraryPath, shiftLocalIso } from '../core/time-shift.js';
import { visibleItemsByIds } from './catalog/item-list.js';
import type { Catalog } from './catalog/open.js';
import { recordLocalOps } from './catalog/ops.js';
import { rewriteSidecars } from './attributes.js';
import { moveItemsTo } from './relocate.js';

/** The op field of a capture-time correction (core/time-shift.ts TIME_SHIFT_FIELD). */
const FIELD = 'timeShift';

export interface ShiftRequest {
  ids: string[];
  /** Milliseconds to add to the items' capture times (negative: earlier). */
  byMs: number;
  dryRun: boolean;
  node: string;
  nowMs: number;
}

export interface ShiftOutcome {
  /** Items whose capture time moves. */
  items: number;
  /** Of those, how many files are renamed (names stamped with the capture time). */
  moving: number;
  /** Items without a capture date: nothing to correct, left as they are. */
  undated: number;
  /** The earliest item's time before and after (for the dialog's preview). */
  example: { id: string; before: string; after: string } | null;
  /** Files that could not be moved now (the next relocation pass retries). */
  failed: { id: string; message: string }[];
}

export async function shiftCaptureTimes(
  cat: Catalog,
  driveRoot: string | null,
  req: ShiftRequest,
): Promise<ShiftOutcome> {
  const rows = await visibleItemsByIds(cat, [...new Set(req.ids)]);
  const dated = rows
    .filter((r) => r.captured_at !== null)
    .sort((a, b) => a.sort_time.localeCompare(b.sort_time));
  const moves: { id: string; path: string }[] = [];
  for (const r of dated) {
    const after = shiftLocalIso(r.sort_time, req.byMs);
    const path = after ? shiftedLibraryPath(r.path, r.sort_time, after) : undefined;
    if (path) moves.push({ id: r.id, path });
  }
  const first = dated[0];
  const outcome: ShiftOutcome = {
    items: req.byMs === 0 ? 0 : dated.length,
    moving: req.byMs === 0 ? 0 : moves.length,
    undated: rows.length - dated.length,
    example: first
      ? { id: first.id, before: first.captured_at!, after: shiftLocalIso(first.captured_at!, req.byMs) ?? '' }
      : null,
    failed: [],
  };
  if (req.dryRun || req.byMs === 0 || dated.length === 0) return outcome;
  await recordLocalOps(
    cat,
    dated.map((r) => ({
      entity: 'item' as const,
      id: r.id,
      field: FIELD,
      value: combineShift(r.time_shift_ms ? { offsetMs: Number(r.time_shift_ms) } : null, req.byMs),
    })),
    req.node,
    req.nowMs,
  );
  if (driveRoot === null) return outcome;
  const moved = await moveItemsTo(cat, driveRoot, moves);
  outcome.failed = moved.failed;
  await rewriteSidecars(
    cat,
    driveRoot,
    dated.map((r) => r.id),
  );
  return outcome;
}
