/**
 * Motion mode: the closed 1 s segments feed the RAM ring (the pre-roll) and the grey frames the
 * detector (motion-mode.ts); each motion event becomes a library item. Every segment also goes
 * out as a `ring-segment` event.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../../adapters/logger.js';
import type { Catalog } from '../../library/catalog/open.js';
import type { DriveLayout } from '../../library/layout.js';
import type { GreyOutput } from '../capture-command.js';
import { MotionMode } from '../motion-mode.js';
import type { MotionConfig } from '../motion/config.js';
import { greyFrameSize } from '../motion/grey-frames.js';
import type { SegmentItemDeps, SessionPlacement } from '../segment-item.js';
import type { ClosedSegment, SegmentSink, SinkOutput, SinkResult } from './sink.js';

export interface RingSinkOptions {
  camera: string;
  /** The ring's directory (tmpfs). */
  root: string;
  config: MotionConfig;
  /** Output B's size when set explicitly; else sized from the source and `config.height`. */
  grey: GreyOutput | undefined;
  layout: DriveLayout;
  catalog: () => Catalog | undefined;
  deps: SegmentItemDeps & { log: Logger };
  out: SinkOutput;
  /** The fleet session its events record for. */
  session?: SessionPlacement | undefined;
}

export class RingSink implements SegmentSink {
  readonly segments = { kind: 'ring' as const, seconds: 1 };
  readonly root: string;
  readonly needsSourceSize: boolean;
  readonly recoversRuns = false;
  private motion: MotionMode | undefined;
  private size: { width: number; height: number } | undefined;

  constructor(private readonly o: RingSinkOptions) {
    this.root = o.root;
    this.needsSourceSize = !o.grey;
  }

  /** The detector's frame size (the source's aspect), the ring, leftover clips. */
  async start(src: { width: number; height: number } | undefined): Promise<void> {
    const { camera, config: cfg, out, deps } = this.o;
    if (!src)
      deps.log.warn(
        { camera },
        'motion: the source size is unknown (4:3 assumed); the detector sees a stretched picture',
      );
    const size = this.o.grey
      ? { width: this.o.grey.width, height: this.o.grey.height }
      : greyFrameSize(src?.width ?? 4, src?.height ?? 3, cfg.height);
    this.size = size;
    this.motion = new MotionMode({
      camera,
      config: cfg,
      frame: size,
      layout: this.o.layout,
      catalog: this.o.catalog,
      deps,
      session: this.o.session,
      onSaved: (e) => {
        out.motionEvent(e);
        // Events take space like segments do: the same budget applies.
        if (this.o.catalog()) void out.spaceUsed();
      },
      onFailed: (f) => out.failed(f),
      onBox: (b) => out.motionBox?.(b),
    });
    await this.motion.recover();
  }

  grey(): GreyOutput | undefined {
    return this.size ? { fps: this.o.config.fps, ...this.size } : this.o.grey;
  }

  attach(grey: Readable, originMs: () => number): void {
    this.motion?.attach(grey, originMs);
  }

  /** The ring (ours, or a listener's) owns the closed segment files. */
  holdsListed(): boolean {
    return !!this.motion || this.o.out.ringListened();
  }

  async accept(seg: ClosedSegment): Promise<SinkResult> {
    await this.motion?.addSegment({ path: seg.path, start: seg.startMs / 1000, end: seg.endMs / 1000 });
    this.o.out.ringSegment(seg);
    // Nobody holds a ring: the second is not kept.
    if (!this.holdsListed()) await rm(seg.path, { force: true });
    return 'ok';
  }

  /** The last frames and segments are in: close the event in progress and save it; empty the ring. */
  async stop(): Promise<void> {
    if (!this.motion) return;
    await this.motion.stop();
    this.motion = undefined;
    for (const n of await readdir(this.root).catch(() => [] as string[]))
      await rmdir(join(this.root, n)).catch(() => undefined);
  }
}
