/**
 * The mirror's decisions, pure: given what each drive's catalogue says about an item (after the
 * op logs were merged), what must be copied, purged or moved. The fs side (mirror-apply.ts)
 * carries the actions out. See docs/mirror.md.
 */
import { RENDITIONS, type Rendition } from '../library/layout.js';
import type { Op } from '../core/ops.js';
import { otherSide, type Side } from './mirror-types.js';

/** The parts of an item row the planner looks at. */
export interface PlanRow {
  id: string;
  state: string;
  path: string;
  monitor: string;
  size: number;
  deleted: number;
  has_thumb: number;
  has_preview: number;
  has_poster: number;
  has_video: number;
}

export interface PlanCompanion {
  ext: string;
  sha256: string;
  size: number;
}

/** One drive's view of an item. `originalPresent` is only looked up for deleted items. */
export interface SideItem {
  row: PlanRow;
  companions: PlanCompanion[];
  originalPresent?: boolean;
}

export interface ItemPair {
  id: string;
  a?: SideItem | undefined;
  b?: SideItem | undefined;
}

export { RENDITIONS };

export type MirrorAction =
  /** The original (with its companions and derivatives) and its row. */
  | { kind: 'copy-item'; id: string; from: Side; to: Side; bytes: number }
  /** A deleted item's row only, so the other drive never imports it again. */
  | { kind: 'copy-tombstone'; id: string; from: Side; to: Side }
  | { kind: 'copy-companion'; id: string; ext: string; from: Side; to: Side; bytes: number }
  | { kind: 'copy-derived'; id: string; rendition: Rendition; from: Side; to: Side }
  /** Remove the files of a deleted item (its tombstone is on both drives). */
  | { kind: 'purge'; id: string; side: Side; original: boolean }
  /**
   * The drives filed the same bytes under different monitors and no op decided (each ingested
   * its own copy of a card): one monitor op, recorded on both, settles it.
   */
  | { kind: 'settle-monitor'; id: string; monitor: string }
  /**
   * The item is not at the path both drives agree on: move it there (relocate.ts). The monitor
   * folder comes from the (settled) monitor; date folder and name from the path that sorts
   * first, i.e. the earlier download, so two drives that filed the same bytes differently meet.
   */
  | { kind: 'relocate'; id: string; side: Side; path: string }
  /** Same kind of companion with other bytes on each side: never overwritten, reported. */
  | { kind: 'companion-conflict'; id: string; ext: string };

function hasRendition(r: PlanRow, rendition: Rendition): boolean {
  const has = { thumb: r.has_thumb, preview: r.has_preview, poster: r.has_poster, video: r.has_video };
  return has[rendition] !== 0;
}

/** `library/<MONITOR>/...`: the monitor folder of a path, undefined when it is not in that shape. */
export function monitorFolderOf(path: string): string | undefined {
  const parts = path.split('/');
  return parts.length === 4 && parts[0] === 'library' ? parts[1] : undefined;
}

/** `<date>/<name>` of `library/<MONITOR>/<date>/<name>`. */
function restOf(path: string): string | undefined {
  const parts = path.split('/');
  return parts.length === 4 && parts[0] === 'library' ? `${parts[2]}/${parts[3]}` : undefined;
}

function stored(s: SideItem | undefined): SideItem | undefined {
  return s && s.row.state === 'stored' ? s : undefined;
}

/** Whether anything of a deleted item is still on the drive. */
function needsPurge(s: SideItem): boolean {
  return (
    s.originalPresent === true ||
    s.companions.length > 0 ||
    s.row.has_thumb !== 0 ||
    s.row.has_preview !== 0 ||
    s.row.has_poster !== 0 ||
    s.row.has_video !== 0
  );
}

/** What one item needs so both drives hold the same. */
export function planItem(pair: ItemPair): MirrorAction[] {
  const a = stored(pair.a);
  const b = stored(pair.b);
  const out: MirrorAction[] = [];
  const sides: [Side, SideItem | undefined][] = [
    ['a', a],
    ['b', b],
  ];
  const present = sides.filter((s): s is [Side, SideItem] => s[1] !== undefined);
  if (present.length === 0) return out;

  // Tombstones first: the files go only once the deletion is in both catalogues (a side without
  // the row is given the tombstone row; the op itself already travelled with the op logs).
  const deleted = present.filter(([, s]) => s.row.deleted !== 0);
  if (deleted.length > 0) {
    if (deleted.length < present.length) return out; // op logs disagree: touch nothing this pass
    if (present.length === 1) {
      const [from] = present[0]!;
      out.push({ kind: 'copy-tombstone', id: pair.id, from, to: otherSide(from) });
    }
    for (const [side, s] of present)
      if (needsPurge(s)) out.push({ kind: 'purge', id: pair.id, side, original: s.originalPresent === true });
    return out;
  }

  if (present.length === 1) {
    const [from, s] = present[0]!;
    const bytes = s.row.size + s.companions.reduce((n, c) => n + c.size, 0);
    out.push({ kind: 'copy-item', id: pair.id, from, to: otherSide(from), bytes });
    return out;
  }

  // Live on both: companions and derivatives the other lacks, and moves the monitor asks for.
  const sa = a!;
  const sb = b!;
  for (const [from, src, dst] of [
    ['a', sa, sb],
    ['b', sb, sa],
  ] as const) {
    const to = otherSide(from);
    for (const c of src.companions) {
      const there = dst.companions.find((d) => d.ext === c.ext);
      if (!there) out.push({ kind: 'copy-companion', id: pair.id, ext: c.ext, from, to, bytes: c.size });
      // Sidecars are rewritten from the merged catalogue on each drive, so theirs may differ.
      else if (from === 'a' && there.sha256 !== c.sha256 && c.ext !== 'xmp')
        out.push({ kind: 'companion-conflict', id: pair.id, ext: c.ext });
    }
    for (const r of RENDITIONS)
      if (hasRendition(src.row, r) && !hasRendition(dst.row, r))
        out.push({ kind: 'copy-derived', id: pair.id, rendition: r, from, to });
  }
  // Deterministic whichever drive is "A": the monitor of the path that sorts first.
  let monitor = sa.row.monitor;
  if (sa.row.monitor !== sb.row.monitor) {
    monitor = sa.row.path <= sb.row.path ? sa.row.monitor : sb.row.monitor;
    out.push({ kind: 'settle-monitor', id: pair.id, monitor });
  }
  const rests = [sa.row.path, sb.row.path]
    .map(restOf)
    .filter((r): r is string => r !== undefined)
    .sort();
  if (rests[0] === undefined) return out;
  const canonical = `library/${monitor}/${rests[0]}`;
  for (const [side, s] of sides)
    if (s && monitorFolderOf(s.row.path) !== undefined && s.row.path !== canonical)
      out.push({ kind: 'relocate', id: pair.id, side, path: canonical });
  return out;
}

export interface MirrorPlan {
  actions: MirrorAction[];
  /** Bytes to copy in each direction (originals and companions; derivatives are not counted). */
  bytes: { aToB: number; bToA: number };
}

/** Plan every pair. Purges come first (they free space), then copies, then moves. */
export function planMirror(pairs: Iterable<ItemPair>): MirrorPlan {
  const all: MirrorAction[] = [];
  for (const p of pairs) all.push(...planItem(p));
  const order: Record<MirrorAction['kind'], number> = {
    purge: 0,
    'copy-tombstone': 1,
    'copy-item': 2,
    'copy-companion': 3,
    'copy-derived': 4,
    'settle-monitor': 5,
    relocate: 6,
    'companion-conflict': 7,
  };
  const actions = all
    .map((a, i) => ({ a, i }))
    .sort((x, y) => order[x.a.kind] - order[y.a.kind] || x.i - y.i)
    .map((x) => x.a);
  const bytes = { aToB: 0, bToA: 0 };
  for (const a of actions)
    if (a.kind === 'copy-item' || a.kind === 'copy-companion') {
      if (a.from === 'a') bytes.aToB += a.bytes;
      else bytes.bToA += a.bytes;
    }
  return { actions, bytes };
}

/**
 * Items that incoming ops would delete on the receiving drive: the distinct ids whose latest
 * incoming `deleted` op says true and that are live there now. Counted before anything merges,
 * for the deletion guard.
 */
export function incomingDeletions(ops: Iterable<Op>, isLive: (id: string) => boolean): string[] {
  const latest = new Map<string, Op>();
  for (const op of ops) {
    if (op.entity !== 'item' || op.field !== 'deleted') continue;
    const cur = latest.get(op.id);
    if (!cur || op.hlc > cur.hlc) latest.set(op.id, op);
  }
  return [...latest.values()].filter((op) => op.value === true && isLive(op.id)).map((op) => op.id);
}

export interface DeleteGuardBreach {
  side: Side;
  deletions: number;
  liveItems: number;
  share: number;
}

/** The first drive on which `deletions` exceed `maxShare` of its live items, if any. */
export function checkDeleteGuard(
  counts: Record<Side, { deletions: number; liveItems: number }>,
  maxShare: number,
): DeleteGuardBreach | undefined {
  for (const side of ['a', 'b'] as const) {
    const { deletions, liveItems } = counts[side];
    if (deletions === 0 || liveItems === 0) continue;
    const share = deletions / liveItems;
    if (share > maxShare) return { side, deletions, liveItems, share };
  }
  return undefined;
}
