/**
 * Video as the web app sees it (routes/video.ts): the cameras with recordings, a camera's
 * recorded spans over a stretch of time (the timeline), and exports of a range run one at a time
 * (export-jobs.ts) over one library drive.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../library/catalog/open.js';
import type { DriveLayout } from '../library/layout.js';
import { localFromInstant } from '../core/capture-time.js';
import { OutpostError } from '../core/errors.js';
import { getItem } from '../library/catalog/items.js';
import { makeEdit, type EditSpec } from './edit.js';
import { ExportJobs, type ExportJob, type JobStream } from './export-jobs.js';
import { probePackets } from './probe-packets.js';
import { readTracks } from './tracks.js';
import { driveSource, withFile } from './source.js';
import {
  exportRange,
  recordedBounds,
  type ExportRangeDeps,
  type ExportRangeRequest,
} from './export-range.js';

export interface VideoApi {
  cameras(): Promise<string[]>;
  /** A camera's recorded spans that touch [fromMs, toMs] (wall clock, ISO), merged where contiguous. */
  timeline(camera: string, fromMs: number, toMs: number): Promise<{ from: string; to: string }[]>;
  startExport(req: ExportRangeRequest): ExportJob;
  /** An edit of items (their monitor named by the first piece's item). */
  startEdit(spec: EditSpec): Promise<ExportJob>;
  /** `n` small pictures across a video, side by side in one JPEG (the editor's poster strip). */
  strip(id: string, n: number): Promise<Buffer>;
  /** A video item's keyframe times and length (the editor's timeline). */
  keyframes(id: string): Promise<{ keyframes: number[]; durationS: number; fps: number }>;
  exports(): ExportJob[];
  cancelExport(id: string): boolean;
  /** A running export's fragmented copy, written as it is made. */
  exportStream(id: string): JobStream | undefined;
  close(): Promise<void>;
}

/** Contiguous: less than this between one recording's end and the next one's start. */
const JOIN_MS = 1500;

export function createVideoApi(
  cat: Catalog,
  layout: DriveLayout,
  d: Omit<ExportRangeDeps, 'signal' | 'onProgress'> & { onJob?: (job: ExportJob) => void },
): VideoApi {
  // Results go to `cat` on `layout`; recordings and clips are read from the source (by default
  // the same drive; at HQ its catalogue and object store).
  const source = d.source ?? driveSource(cat, layout.root);
  const src = source.catalog;
  const jobs = new ExportJobs(
    async (req, signal, onProgress, onStream) => {
      if (req.kind === 'edit') return makeEdit(cat, layout, req.edit, { ...d, signal, onProgress });
      const r = await exportRange(cat, layout, req.range, { ...d, signal, onProgress, onStream });
      return { ...r, gaps: r.plan.gaps };
    },
    { now: () => d.clock.now(), ...(d.onJob ? { onChange: d.onJob } : {}) },
  );
  const strips = new Map<string, Buffer>();
  sweepScratch(layout.tmpDir, d.clock.now().getTime()).catch(() => undefined);
  return {
    cameras: () => source.cameras(),
    timeline: async (camera, fromMs, toMs) => {
      const day = 26 * 3600_000;
      const rows = await source.recordings(
        camera,
        localFromInstant(fromMs - day - 6 * 3600_000, d.timeZone),
        localFromInstant(toMs + day, d.timeZone),
      );
      const spans: { fromMs: number; toMs: number }[] = [];
      const bounds = rows
        .map(recordedBounds)
        .filter((b): b is { startMs: number; endMs: number } => !!b && b.startMs < toMs && b.endMs > fromMs)
        .sort((a, b) => a.startMs - b.startMs);
      for (const b of bounds) {
        const last = spans[spans.length - 1];
        if (last && b.startMs - last.toMs <= JOIN_MS) last.toMs = Math.max(last.toMs, b.endMs);
        else spans.push({ fromMs: b.startMs, toMs: b.endMs });
      }
      return spans.map((s) => ({
        from: new Date(s.fromMs).toISOString(),
        to: new Date(s.toMs).toISOString(),
      }));
    },
    startExport: (req) => jobs.start({ kind: 'range', range: req }),
    startEdit: async (spec) => {
      const first = await getItem(src, spec.pieces[0]?.item ?? '');
      if (!first || first.type !== 'video')
        throw new OutpostError(
          'ITEM_NOT_FOUND',
          `no video ${String(spec.pieces[0]?.item).slice(0, 12)} on this drive`,
        );
      return jobs.start({ kind: 'edit', edit: spec, monitor: first.monitor });
    },
    strip: async (id, n) => {
      const key = `${id}:${n}`;
      const hit = strips.get(key);
      if (hit) return hit;
      const row = await getItem(src, id);
      if (!row || row.type !== 'video')
        throw new OutpostError('ITEM_NOT_FOUND', `no video ${id.slice(0, 12)}`);
      const r = await withFile(source, row, (path) => posterStrip(d.runner, path, row.duration_s, n));
      if (r.code !== 0 || r.stdout.length === 0)
        throw new OutpostError(
          'VIDEO_UNREADABLE',
          `no pictures from ${row.original_name}: ${r.stderr.trim().split('\n')[0] ?? ''}`,
        );
      strips.set(key, r.stdout);
      if (strips.size > 50) strips.delete(strips.keys().next().value!);
      return r.stdout;
    },
    keyframes: async (id) => {
      const row = await getItem(src, id);
      if (!row || row.type !== 'video')
        throw new OutpostError('ITEM_NOT_FOUND', `no video ${id.slice(0, 12)}`);
      const info = await withFile(source, row, (path) => probePackets(d.runner, path));
      return { keyframes: info.keys.map((k) => k.pts), durationS: info.durationS, fps: info.fps };
    },
    exports: () => jobs.list(),
    cancelExport: (id) => jobs.cancel(id),
    exportStream: (id) => jobs.stream(id),
    close: () => jobs.close(),
  };
}

/** `n` keyframes across a video, 72 px high, side by side in one JPEG. */
async function posterStrip(
  runner: ExportRangeDeps['runner'],
  path: string,
  durationS: number | null,
  n: number,
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const length = durationS ?? (await readTracks(path)).videoS;
  // Keyframes only are decoded (fast on a Pi); `fps` picks n of them evenly, `tile` lines them up.
  return runner.run(
    'ffmpeg',
    [
      '-nostdin',
      '-v',
      'error',
      '-skip_frame',
      'nokey',
      '-i',
      path,
      '-vf',
      `fps=${n}/${Math.max(1, length).toFixed(3)},scale=-2:72,tile=${n}x1`,
      '-frames:v',
      '1',
      '-an',
      '-f',
      'mjpeg',
      '-q:v',
      '6',
      'pipe:1',
    ],
    { timeoutMs: 120_000, maxStdoutBytes: 8 * 1024 * 1024 },
  );
}

/** Scratch of a video job: its folder, and the result before it became an item. */
const SCRATCH =
  /^(video-[0-9a-f]{12}|(export|edit)-\d+-\d+\.mp4(\.part)?|fetch-[0-9a-f]{64}-\d+\.mp4(\.part)?)$/;

/**
 * A job cut off by a stop (killed, power lost) is discarded, not resumed: what it left in the
 * drive's tmp goes when the drive is served again. Only what has not changed for an hour: an
 * `outpost export` running beside the station keeps its own.
 */
export async function sweepScratch(tmpDir: string, nowMs: number, ageMs = 3600_000): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
    if (!SCRATCH.test(name)) continue;
    const path = join(tmpDir, name);
    const st = await stat(path).catch(() => undefined);
    if (!st || nowMs - st.mtimeMs < ageMs) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
