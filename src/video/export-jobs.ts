/**
 * Exports asked for in the web app, one at a time (a Pi encodes one thing at once), each
 * cancellable; the newest few are remembered with their outcome. A job's changes are reported
 * (the live events) as it is queued, advances, and ends.
 */
import { randomBytes } from 'node:crypto';
import { toOutpostError } from '../core/errors.js';
import type { ItemRow } from '../library/catalog/schema.js';
import type { EditSpec } from './edit.js';
import type { ExportRangeRequest } from './export-range.js';
import type { JoinResult } from './join.js';
import type { RangeGap } from './range-plan.js';

/** What a job makes: a camera's range, or an edit of items. */
export type VideoJobRequest =
  | { kind: 'range'; range: ExportRangeRequest }
  | { kind: 'edit'; edit: EditSpec; /** The first piece's monitor (camera or person). */ monitor: string };

export interface VideoJobOutcome {
  item: ItemRow;
  created: boolean;
  join: JoinResult;
  gaps?: RangeGap[] | undefined;
}

export interface ExportJob {
  id: string;
  kind: 'range' | 'edit';
  /** The camera (a range) or the first piece's monitor (an edit). */
  camera: string;
  /** A range's bounds; an edit's are its pieces. */
  from?: string | undefined;
  to?: string | undefined;
  pieces?: number | undefined;
  preset?: string | undefined;
  mode: 'smart' | 'keyframe';
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  /** A fragmented copy can be watched while the join runs (GET /api/video/exports/:id/stream). */
  streaming?: boolean | undefined;
  /** Steps done of all (re-encoded stretches, sound pieces, the join, the check). */
  progress: { step: number; steps: number } | null;
  createdAt: string;
  itemId?: string | undefined;
  error?: { code: string; message: string; hint: string } | undefined;
  result?:
    | {
        mode: 'smart' | 'keyframe' | 'reencode';
        reason?: string | undefined;
        durationS: number;
        frames: number;
        reencodedPerCut: number[];
        widened: { start: number; end: number };
        gaps: { from: string; to: string; reason: string }[];
        created: boolean;
        /** A full re-encode's encoder, and why the hardware one was not used when asked for. */
        encoder?: string | undefined;
        encoderNote?: string | undefined;
      }
    | undefined;
}

export type RunExport = (
  req: VideoJobRequest,
  signal: AbortSignal,
  onProgress: (p: { step: number; steps: number }) => void,
  onStream: (path: string, state: 'writing' | 'done') => void,
) => Promise<VideoJobOutcome>;

/** A job's fragmented copy while it is written. */
export interface JobStream {
  path: string;
  done(): boolean;
}

/** How many finished jobs are remembered. */
const KEEP = 20;

export class ExportJobs {
  private readonly jobs: ExportJob[] = [];
  private readonly aborts = new Map<string, AbortController>();
  private readonly streams = new Map<string, { path: string; done: boolean }>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly run: RunExport,
    private readonly o: { now: () => Date; onChange?: (job: ExportJob) => void },
  ) {}

  list(): ExportJob[] {
    return this.jobs.map((j) => ({ ...j }));
  }

  start(req: VideoJobRequest): ExportJob {
    const job: ExportJob = {
      id: randomBytes(6).toString('hex'),
      kind: req.kind,
      ...(req.kind === 'range'
        ? {
            camera: req.range.camera,
            from: new Date(req.range.fromMs).toISOString(),
            to: new Date(req.range.toMs).toISOString(),
            mode: req.range.mode,
          }
        : {
            camera: req.monitor,
            pieces: req.edit.pieces.length,
            preset: req.edit.preset,
            mode: 'smart' as const,
          }),
      state: 'queued',
      progress: null,
      createdAt: this.o.now().toISOString(),
    };
    this.jobs.unshift(job);
    const abort = new AbortController();
    this.aborts.set(job.id, abort);
    this.changed(job);
    this.chain = this.chain.then(() => this.runOne(job, req, abort));
    this.trim();
    return { ...job };
  }

  /** The fragmented copy of a running job, while there is one. */
  stream(id: string): JobStream | undefined {
    const s = this.streams.get(id);
    return s ? { path: s.path, done: () => s.done } : undefined;
  }

  /** Cancel a queued or running job; false when it is over (or unknown). */
  cancel(id: string): boolean {
    const job = this.jobs.find((j) => j.id === id);
    const abort = this.aborts.get(id);
    if (!job || !abort || (job.state !== 'queued' && job.state !== 'running')) return false;
    abort.abort();
    if (job.state === 'queued') {
      job.state = 'cancelled';
      this.changed(job);
    }
    return true;
  }

  /** Cancel everything and wait for the running job to stop. */
  async close(): Promise<void> {
    for (const j of this.jobs) this.cancel(j.id);
    await this.chain;
  }

  private async runOne(job: ExportJob, req: VideoJobRequest, abort: AbortController): Promise<void> {
    if (abort.signal.aborted) {
      this.aborts.delete(job.id);
      return;
    }
    job.state = 'running';
    this.changed(job);
    try {
      const r = await this.run(
        req,
        abort.signal,
        (p) => {
          job.progress = p;
          this.changed(job);
        },
        (path, state) => {
          const s = this.streams.get(job.id);
          if (s) s.done = state === 'done';
          else this.streams.set(job.id, { path, done: state === 'done' });
          if (!job.streaming) {
            job.streaming = true;
            this.changed(job);
          }
        },
      );
      job.state = 'done';
      job.itemId = r.item.id;
      job.result = {
        mode: r.join.mode,
        ...(r.join.reason ? { reason: r.join.reason } : {}),
        durationS: r.join.durationS,
        frames: r.join.frames,
        reencodedPerCut: r.join.reencodedPerCut,
        ...(r.join.encoder ? { encoder: r.join.encoder } : {}),
        ...(r.join.encoderNote ? { encoderNote: r.join.encoderNote } : {}),
        widened: r.join.widened,
        gaps: (r.gaps ?? []).map((g) => ({
          from: new Date(g.fromMs).toISOString(),
          to: new Date(g.toMs).toISOString(),
          reason: g.reason,
        })),
        created: r.created,
      };
    } catch (e) {
      const err = toOutpostError(e);
      job.state = abort.signal.aborted ? 'cancelled' : 'failed';
      job.error = { code: err.code, message: err.message, hint: err.hint };
    } finally {
      this.aborts.delete(job.id);
      const s = this.streams.get(job.id);
      if (s) s.done = true;
      this.streams.delete(job.id);
      job.streaming = false;
    }
    this.changed(job);
  }

  private changed(job: ExportJob): void {
    this.o.onChange?.({ ...job });
  }

  private trim(): void {
    let finished = 0;
    for (let i = 0; i < this.jobs.length; i++) {
      const s = this.jobs[i]!.state;
      if (s === 'queued' || s === 'running') continue;
      if (++finished > KEEP) this.jobs.splice(i--, 1);
    }
  }
}
