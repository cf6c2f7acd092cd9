/**
 * Bursts: photos a camera took within a few seconds of each other (camera traps fire 3–10 frames
 * per trigger) shown as one stack in the grid. Pure: the server groups the page it returns, so
 * paging stays as fast as without stacks.
 */

/** What grouping needs of an item of the page, in the page's order. */
export interface BurstCandidate {
  id: string;
  /** The camera that took it (e.g. monitor + card, or the camera's serial); null: never grouped. */
  camera: string | null;
  /** Capture time in ms since the epoch; null (no date): never grouped. */
  captureMs: number | null;
  /** Only photos are stacked; videos and others stay on their own. */
  isPhoto: boolean;
}

/** One tile of the grid: a lone item, or a burst of 2+ items (the first is the cover). */
export interface BurstGroup {
  ids: string[];
}

/** Default gap between two frames of one burst. */
export const DEFAULT_BURST_GAP_MS = 5_000;

/**
 * Groups consecutive items of a page into bursts: an item joins the group before it when both are
 * photos of the same camera and their capture times are at most `gapMs` apart (each frame to the
 * previous one, so a 10-frame burst at 1 s intervals is one stack with the default gap). The page
 * order is kept; `gapMs` ≤ 0 turns stacking off.
 */
export function groupBursts(
  items: readonly BurstCandidate[],
  gapMs: number = DEFAULT_BURST_GAP_MS,
): BurstGroup[] {
  const groups: BurstGroup[] = [];
  let prev: BurstCandidate | undefined;
  for (const it of items) {
    const last = groups[groups.length - 1];
    if (last && prev && gapMs > 0 && joins(prev, it, gapMs)) last.ids.push(it.id);
    else groups.push({ ids: [it.id] });
    prev = it;
  }
  return groups;
}

function joins(a: BurstCandidate, b: BurstCandidate, gapMs: number): boolean {
  if (!a.isPhoto || !b.isPhoto) return false;
  if (a.camera === null || a.camera !== b.camera) return false;
  if (a.captureMs === null || b.captureMs === null) return false;
  return Math.abs(b.captureMs - a.captureMs) <= gapMs;
}
