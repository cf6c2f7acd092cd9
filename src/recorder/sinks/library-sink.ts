/**
 * Continuous mode: each closed segment becomes a library item under `<camera>/<date>/` (the
 * segment commit path of segment-item.ts), then its poster, then the storage budget.
 */
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from '../../adapters/logger.js';
import { OutpostError, isOutpostError } from '../../core/errors.js';
import type { Catalog } from '../../library/catalog/open.js';
import type { DriveLayout } from '../../library/layout.js';
import type { GreyOutput } from '../capture-command.js';
import { deriveSegment, placeSegment, type SegmentItemDeps } from '../segment-item.js';
import type { ClosedSegment, SegmentSink, SinkOutput, SinkResult } from './sink.js';

export interface LibrarySinkOptions {
  camera: string;
  /** Segment length, seconds. */
  seconds: number;
  /** The camera's recording directory on the library drive (hard links into the library). */
  root: string;
  layout: DriveLayout;
  /** Output B when asked for explicitly (continuous mode has no detector). */
  grey: GreyOutput | undefined;
  /** The recorder's open catalogue (undefined before start and once it is closed). */
  catalog: () => Catalog | undefined;
  deps: SegmentItemDeps & { log: Logger };
  out: SinkOutput;
}

export class LibrarySink implements SegmentSink {
  readonly segments: { kind: 'continuous'; seconds: number };
  readonly root: string;
  readonly needsSourceSize = false;
  readonly recoversRuns = true;

  constructor(private readonly o: LibrarySinkOptions) {
    this.segments = { kind: 'continuous', seconds: o.seconds };
    this.root = o.root;
  }

  async start(): Promise<void> {}

  grey(): GreyOutput | undefined {
    return this.o.grey;
  }

  attach(_grey: Readable): void {
    // No detector: the supervisor drains output B when nobody else claims it.
  }

  holdsListed(): boolean {
    return false;
  }

  async stop(): Promise<void> {}

  async accept(seg: ClosedSegment): Promise<SinkResult> {
    const { camera, layout, deps, out } = this.o;
    const cat = this.o.catalog();
    if (!cat) return 'kept';
    try {
      const { item, created } = await placeSegment(
        cat,
        layout,
        {
          path: seg.path,
          camera,
          startMs: seg.startMs,
          endMs: seg.endMs,
          index: seg.index,
          runId: seg.run,
          runStartS: seg.startS,
          runEndS: seg.endS,
          session: seg.session,
        },
        deps,
      );
      out.segment({
        camera,
        id: item.id,
        path: item.path,
        durationS: item.duration_s,
        start: new Date(seg.startMs).toISOString(),
        end: new Date(seg.endMs).toISOString(),
        run: seg.run,
        index: seg.index,
      });
      if (created)
        await deriveSegment(cat, layout, item, deps).catch((err: unknown) =>
          deps.log.warn({ err, item: item.id }, 'segment poster failed; retried by the next ingest'),
        );
      await out.spaceUsed();
      return 'ok';
    } catch (e) {
      const err = isOutpostError(e) ? e : new OutpostError('INTERNAL', String(e), { cause: e });
      out.failed({ camera, path: seg.path, code: err.code, message: err.message });
      deps.log.warn({ camera, path: seg.path, code: err.code }, err.message);
      if (err.code === 'SEGMENT_INVALID') {
        await rm(seg.path, { force: true });
        return 'dropped';
      }
      return 'kept';
    }
  }
}
