/**
 * Video as the web app sees it (routes/video.ts): the cameras with recordings, a camera's
 * recorded spans over a stretch of time (the timeline), and exports of a range run one at a time
 * (export-jobs.ts) over one library drive.
 */
import type { Catalog } from '../library/catalog/open.js';
import { recordedCameras, recordingsBetween } from '../library/catalog/recordings.js';
import type { DriveLayout } from '../library/layout.js';
import { localFromInstant } from '../core/capture-time.js';
import { ExportJobs, type ExportJob } from './export-jobs.js';
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
  exports(): ExportJob[];
  cancelExport(id: string): boolean;
  close(): Promise<void>;
}

/** Contiguous: less than this between one recording's end and the next one's start. */
const JOIN_MS = 1500;

export function createVideoApi(
  cat: Catalog,
  layout: DriveLayout,
  d: Omit<ExportRangeDeps, 'signal' | 'onProgress'> & { onJob?: (job: ExportJob) => void },
): VideoApi {
  const jobs = new ExportJobs(
    (req, signal, onProgress) => exportRange(cat, layout, req, { ...d, signal, onProgress }),
    { now: () => d.clock.now(), ...(d.onJob ? { onChange: d.onJob } : {}) },
  );
  return {
    cameras: () => recordedCameras(cat),
    timeline: async (camera, fromMs, toMs) => {
      const day = 26 * 3600_000;
      const rows = await recordingsBetween(
        cat,
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
    startExport: (req) => jobs.start(req),
    exports: () => jobs.list(),
    cancelExport: (id) => jobs.cancel(id),
    close: () => jobs.close(),
  };
}
