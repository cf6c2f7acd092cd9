/**
 * Which parts of which recorded segments make a time range of a camera (pure). Segments are the
 * recorder's items (`facts.recording`: wall-clock start, video length); the plan takes from each
 * the part inside the range, never the same instant twice (overlapping runs), and names the
 * stretches with no footage (not recorded, or a segment that cannot be read) so the export can
 * show them instead of hiding them.
 */

export interface SegmentRef {
  id: string;
  /** The file (absolute path). */
  path: string;
  /** Wall clock of its first frame (ms since the epoch). */
  startMs: number;
  /** Length of its video track (s). */
  videoS: number;
  /** Length of its audio track (s); null when it has no sound. */
  audioS: number | null;
  codec: string;
  width: number;
  height: number;
  /** Set when the file cannot be used (unreadable, no video): its time becomes a gap. */
  unusable?: string | undefined;
}

export interface RangePiece {
  seg: SegmentRef;
  /** In and out points in the file (s). */
  inS: number;
  outS: number;
  /** Wall clock of the in point (ms). */
  atMs: number;
}

export interface RangeGap {
  fromMs: number;
  toMs: number;
  reason: 'not-recorded' | 'unreadable';
  /** For an unreadable segment: which, and why. */
  segment?: string | undefined;
  detail?: string | undefined;
}

export interface RangePlan {
  pieces: RangePiece[];
  /** Stretches of continuous footage, wall clock. */
  spans: { fromMs: number; toMs: number }[];
  gaps: RangeGap[];
  /** Length of the footage (s), gaps left out. */
  durationS: number;
}

/** Less than this between two segments is no gap (rounding of start times). */
export const DEFAULT_GAP_TOLERANCE_MS = 500;

export function planRange(
  segments: readonly SegmentRef[],
  fromMs: number,
  toMs: number,
  opts: { gapToleranceMs?: number; minPieceS?: number } = {},
): RangePlan {
  const tol = opts.gapToleranceMs ?? DEFAULT_GAP_TOLERANCE_MS;
  // A sliver shorter than this (less than a frame at 20 fps) is not worth a piece.
  const minPiece = opts.minPieceS ?? 0.04;
  const sorted = [...segments].sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
  const pieces: RangePiece[] = [];
  const gaps: RangeGap[] = [];
  let covered = fromMs; // everything before this is decided
  for (const seg of sorted) {
    const segEnd = seg.startMs + seg.videoS * 1000;
    if (segEnd <= fromMs || seg.startMs >= toMs) continue;
    const a = Math.max(seg.startMs, fromMs, covered);
    const b = Math.min(segEnd, toMs);
    if (b - a < minPiece * 1000) continue;
    if (seg.unusable) {
      gaps.push({ fromMs: a, toMs: b, reason: 'unreadable', segment: seg.id, detail: seg.unusable });
      covered = Math.max(covered, b);
      continue;
    }
    if (a - covered > tol) gaps.push({ fromMs: covered, toMs: a, reason: 'not-recorded' });
    pieces.push({ seg, inS: (a - seg.startMs) / 1000, outS: (b - seg.startMs) / 1000, atMs: a });
    covered = b;
  }
  if (toMs - covered > tol) gaps.push({ fromMs: covered, toMs, reason: 'not-recorded' });
  gaps.sort((x, y) => x.fromMs - y.fromMs);
  // Unreadable stretches next to "not recorded" ones stay apart: they say different things.
  const spans: { fromMs: number; toMs: number }[] = [];
  for (const p of pieces) {
    const end = p.atMs + (p.outS - p.inS) * 1000;
    const last = spans[spans.length - 1];
    if (last && p.atMs - last.toMs <= tol) last.toMs = end;
    else spans.push({ fromMs: p.atMs, toMs: end });
  }
  const durationS = pieces.reduce((n, p) => n + (p.outS - p.inS), 0);
  return { pieces, spans, gaps, durationS };
}

/** Pieces whose video cannot be joined with the first one's by stream copy, with what differs. */
export function mismatches(pieces: readonly RangePiece[]): { piece: RangePiece; differs: string }[] {
  const first = pieces[0]?.seg;
  if (!first) return [];
  const out: { piece: RangePiece; differs: string }[] = [];
  for (const p of pieces.slice(1)) {
    const s = p.seg;
    const d: string[] = [];
    if (s.codec !== first.codec) d.push(`codec ${s.codec} ≠ ${first.codec}`);
    if (s.width !== first.width || s.height !== first.height)
      d.push(`size ${s.width}×${s.height} ≠ ${first.width}×${first.height}`);
    if ((s.audioS === null) !== (first.audioS === null)) d.push(s.audioS === null ? 'no sound' : 'sound');
    if (d.length) out.push({ piece: p, differs: d.join(', ') });
  }
  return out;
}
