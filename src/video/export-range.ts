/**
 * Any time range of a camera as one video (docs/video.md): its recorded segments (and motion
 * clips) from the catalogue, the part of each inside the range (range-plan.ts), one MP4 of them
 * (join.ts) with a chapter per recorded span and per gap, and that MP4 an item of its own in the
 * camera's day folder, through the library intake, its facts naming the segments it was made of.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { localFromInstant } from '../core/capture-time.js';
import { OutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import type { ItemRow } from '../library/catalog/schema.js';
import type { DriveLayout } from '../library/layout.js';
import { driveSource, type OpenedFiles, type VideoSource } from './source.js';
import type { MediaAnalyzer } from '../media/types.js';
import type { H264EncoderChoice } from './encoder.js';
import { joinPieces, type Chapter, type JoinResult } from './join.js';
import { placeVideo } from './place.js';
import { readTracks } from './tracks.js';
import { mismatches, planRange, type RangeGap, type RangePlan, type SegmentRef } from './range-plan.js';

export interface ExportRangeRequest {
  camera: string;
  fromMs: number;
  toMs: number;
  /** smart: exact start and end; keyframe: pure stream copy, widened to the keyframes. */
  mode: 'smart' | 'keyframe';
}

export interface ExportRangeDeps {
  runner: ProcessRunner;
  analyzer: MediaAnalyzer;
  clock: Clock;
  /** The station's zone: the item's day folder and the chapters' clock times. */
  timeZone: string;
  nameTemplate: string;
  thumbnailSize: number;
  previewSize: number;
  lowPriority: boolean;
  /** A full re-encode's encoder (config `video.encoder`; default auto). */
  encoder?: H264EncoderChoice | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: { step: number; steps: number; phase: string }) => void) | undefined;
  /** Watch it while it is made: a fragmented copy's path as the join starts (join.ts). */
  onStream?: ((path: string, state: 'writing' | 'done') => void) | undefined;
  /** Where the recordings are read from; default: the drive the result is placed on. */
  source?: VideoSource | undefined;
}

export interface ExportRangeResult {
  item: ItemRow;
  /** false: the same bytes were an item already (the same range exported before). */
  created: boolean;
  plan: RangePlan;
  join: JoinResult;
}

/** How far before the range a segment may start and still reach into it (sort_time is its start). */
const LOOKBACK_MS = 6 * 3600_000;
/** The most two zones' wall clocks differ by (UTC−12 to UTC+14). */
const ZONE_SLACK_MS = 26 * 3600_000;

/** A recording's wall-clock bounds from its facts (its end: the recorder's, or start + duration). */
export function recordedBounds(row: ItemRow): { startMs: number; endMs: number } | undefined {
  const facts = JSON.parse(row.facts) as RecordingFactsLite;
  const startMs = Date.parse(facts.recording?.start ?? '');
  if (!Number.isFinite(startMs)) return undefined;
  const end = Date.parse(facts.recording?.end ?? '');
  const endMs = Number.isFinite(end) ? end : startMs + (row.duration_s ?? 0) * 1000;
  return { startMs, endMs: Math.max(endMs, startMs + (row.duration_s ?? 0) * 1000) };
}

interface RecordingFactsLite {
  recording?: { start?: string; end?: string };
}

/** A catalogue row as a segment of the range plan, its track lengths read from its `moov`. */
async function segmentOf(
  files: OpenedFiles,
  row: ItemRow,
  bounds: { startMs: number; endMs: number },
): Promise<SegmentRef> {
  const got = files.pathOf(row.id);
  const path = 'path' in got ? got.path : '';
  const base = {
    id: row.id,
    path,
    startMs: bounds.startMs,
    codec: 'unknown',
    width: row.width ?? 0,
    height: row.height ?? 0,
    audioS: null,
  };
  try {
    if ('problem' in got) throw new Error(got.problem);
    return { ...base, ...(await readTracks(path)) };
  } catch (e) {
    // Unreadable: its recorded time becomes a gap that says so.
    return {
      ...base,
      videoS: Math.max(0, (bounds.endMs - bounds.startMs) / 1000),
      unusable: e instanceof Error ? e.message : String(e),
    };
  }
}

const hms = (ms: number, zone: string): string => localFromInstant(ms, zone).slice(11, 19);

/** A chapter per recorded span, and a short one (1 ms) where each gap was, saying what is missing. */
export function rangeChapters(
  plan: RangePlan,
  cuts: { inS: number; outS: number }[],
  zone: string,
  tolMs = 500,
): Chapter[] {
  const out: Chapter[] = [];
  let t = 0;
  const gapTitle = (g: RangeGap): string =>
    `${g.reason === 'unreadable' ? 'Unreadable recording' : 'No recording'} ${hms(g.fromMs, zone)}–${hms(g.toMs, zone)}`;
  const gapsLeft = [...plan.gaps];
  const emitGapsBefore = (ms: number): void => {
    while (gapsLeft[0] && gapsLeft[0].fromMs < ms) {
      const g = gapsLeft.shift()!;
      out.push({ title: gapTitle(g), startS: t, endS: t + 0.001 });
      t += 0.001;
    }
  };
  let spanStart: { t: number; ms: number } | undefined;
  let prevEndMs = -Infinity;
  for (const [i, p] of plan.pieces.entries()) {
    const c = cuts[i] ?? { inS: p.inS, outS: p.outS };
    const atMs = p.seg.startMs + c.inS * 1000;
    const endMs = p.seg.startMs + c.outS * 1000;
    if (spanStart && atMs - prevEndMs > tolMs) {
      out.push({
        title: `Recorded ${hms(spanStart.ms, zone)}–${hms(prevEndMs, zone)}`,
        startS: spanStart.t,
        endS: t,
      });
      spanStart = undefined;
    }
    emitGapsBefore(atMs);
    if (!spanStart) spanStart = { t, ms: atMs };
    t += c.outS - c.inS;
    prevEndMs = endMs;
  }
  if (spanStart)
    out.push({
      title: `Recorded ${hms(spanStart.ms, zone)}–${hms(prevEndMs, zone)}`,
      startS: spanStart.t,
      endS: t,
    });
  emitGapsBefore(Infinity);
  return out;
}

export async function exportRange(
  cat: Catalog,
  layout: DriveLayout,
  req: ExportRangeRequest,
  d: ExportRangeDeps,
): Promise<ExportRangeResult> {
  if (!(req.toMs > req.fromMs))
    throw new OutpostError('INVALID_INPUT', 'the end of the range is not after its start');
  const source = d.source ?? driveSource(cat, layout.root);
  // sort_time is each item's wall clock in the zone it was recorded in: a window a day wider on
  // each side whatever the zones, then the exact bounds from facts.recording.
  const rows = (
    await source.recordings(
      req.camera,
      localFromInstant(req.fromMs - LOOKBACK_MS - ZONE_SLACK_MS, d.timeZone),
      localFromInstant(req.toMs + ZONE_SLACK_MS, d.timeZone),
    )
  )
    .map((row) => ({ row, bounds: recordedBounds(row) }))
    .filter(
      (r): r is { row: ItemRow; bounds: { startMs: number; endMs: number } } =>
        r.bounds !== undefined && r.bounds.startMs < req.toMs && r.bounds.endMs > req.fromMs,
    );
  const files = await source.open(
    rows.map((r) => r.row),
    d.signal,
  );
  try {
    return await exportOpened(cat, layout, req, { ...d, monitor: source.monitorOf(req.camera) }, files, rows);
  } finally {
    await files.release();
  }
}

async function exportOpened(
  cat: Catalog,
  layout: DriveLayout,
  req: ExportRangeRequest,
  d: ExportRangeDeps & { monitor: string },
  files: OpenedFiles,
  rows: { row: ItemRow; bounds: { startMs: number; endMs: number } }[],
): Promise<ExportRangeResult> {
  const segments = await Promise.all(rows.map((r) => segmentOf(files, r.row, r.bounds)));
  const plan = planRange(segments, req.fromMs, req.toMs);
  if (plan.pieces.length === 0)
    throw new OutpostError(
      'VIDEO_NO_FOOTAGE',
      `${req.camera} recorded nothing from ${localFromInstant(req.fromMs, d.timeZone)} to ${localFromInstant(req.toMs, d.timeZone)} (${d.timeZone})` +
        (plan.gaps.some((g) => g.reason === 'unreadable') ? ': its recordings there cannot be read' : ''),
    );
  const odd = mismatches(plan.pieces)[0];
  if (odd)
    throw new OutpostError(
      'VIDEO_MISMATCH',
      `the recordings of ${req.camera} change at ${localFromInstant(odd.piece.atMs, d.timeZone)} (${odd.differs}): export up to that time and from it separately`,
      { details: { at: new Date(odd.piece.atMs).toISOString(), differs: odd.differs } },
    );
  const firstMs = plan.pieces[0]!.atMs;
  const out = join(layout.tmpDir, `export-${process.pid}-${Date.now()}.mp4`);
  const result = await joinPieces(
    {
      pieces: plan.pieces.map((p) => ({
        path: p.seg.path,
        inS: p.inS,
        outS: p.outS,
        videoS: p.seg.videoS,
        audioS: p.seg.audioS,
      })),
      mode: req.mode,
      chapters: (cuts) => rangeChapters(plan, cuts, d.timeZone),
      creationTime: new Date(firstMs).toISOString(),
      ...(d.onStream ? { stream: d.onStream } : {}),
      title: `${req.camera} ${localFromInstant(req.fromMs, d.timeZone)} – ${localFromInstant(req.toMs, d.timeZone)}`,
      out,
    },
    {
      runner: d.runner,
      tmpDir: layout.tmpDir,
      lowPriority: d.lowPriority,
      encoder: d.encoder,
      signal: d.signal,
      onProgress: d.onProgress,
    },
  );
  try {
    const startMs = firstMs - result.widened.start * 1000;
    const item = await placeVideo(cat, layout, out, {
      monitor: d.monitor,
      startMs,
      card: `export:${d.monitor}`,
      stem: `${d.monitor}-export`,
      key: 'export',
      facts: {
        camera: req.camera,
        from: new Date(req.fromMs).toISOString(),
        to: new Date(req.toMs).toISOString(),
        mode: result.mode,
        ...(result.reason ? { reason: result.reason } : {}),
        sources: plan.pieces.map((p) => p.seg.id),
        spans: plan.spans.map((s) => ({
          from: new Date(s.fromMs).toISOString(),
          to: new Date(s.toMs).toISOString(),
        })),
        gaps: plan.gaps.map((g) => ({
          from: new Date(g.fromMs).toISOString(),
          to: new Date(g.toMs).toISOString(),
          reason: g.reason,
          ...(g.segment ? { segment: g.segment, detail: g.detail } : {}),
        })),
        reencodedPerCut: result.reencodedPerCut,
        widened: result.widened,
      },
      deps: d,
    });
    return { ...item, plan, join: result };
  } finally {
    await rm(out, { force: true });
  }
}
