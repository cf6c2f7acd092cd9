/**
 * Frame timing and TTL of one camera (docs/recorder.md, "Frame timing" and "TTL
 * synchronisation"): adds the timing output to each run's ffmpeg, reads it, pulses the TTL output
 * at each frame or segment start, records the TTL input edges, and writes beside every recording
 * `<recording>.frames.csv` (one row per frame) and, with TTL, `<recording>.ttl.csv` (the pulses
 * and edges that fell in it, each on the frame it belongs to).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Clock } from '../../adapters/clock.js';
import { writeFileAtomic } from '../../adapters/fs-atomic.js';
import { detectGpiodTools } from '../../adapters/gpiod-tools.js';
import type { Logger } from '../../adapters/logger.js';
import type { OutpostError } from '../../core/errors.js';
import { companionName } from '../../core/naming.js';
import { addCompanion } from '../../library/catalog/items.js';
import type { Catalog } from '../../library/catalog/open.js';
import type { ListedSegment } from '../segments.js';
import type { SegmentEvent } from '../sinks/sink.js';
import type { VideoTransform } from '../transform.js';
import { timingOutputArgs } from './frame-branch.js';
import { FramecrcTimingParser, PixelTimingParser, type FrameTime } from './frame-parse.js';
import { frameAtWall, framesOfSegment, type SegmentFrame } from './frame-split.js';
import { framesCsv, ttlCsv, type TtlRow } from './sidecar-csv.js';
import { checkTtlConfig, type TtlConfig } from './ttl-args.js';
import { TtlMonitor, TtlPulser, type EdgeSeen, type PulseSent, type TtlDeps } from './ttl-gpio.js';

/** A camera's `timing:` settings. */
export interface TimingSettings {
  /** TTL output and inputs (libgpiod); frame timestamps are kept whenever `timing` is set. */
  ttl?: TtlConfig | undefined;
}

export interface CameraTimingDeps extends Omit<TtlDeps, 'onError'> {
  log: Logger;
  /** The drive's catalogue (the sidecars are recorded as companions of their item). */
  catalog: () => Catalog | undefined;
}

/** Companion extensions of a recording: `<recording>.frames.csv`, `<recording>.ttl.csv`. */
export const FRAMES_EXT = 'frames.csv';
export const TTL_EXT = 'ttl.csv';

interface Run {
  parser: PixelTimingParser | FramecrcTimingParser;
  frames: FrameTime[];
  /** Closed segments of the run by index (the list's times), until their sidecars are written. */
  listed: Map<number, ListedSegment>;
  /** Next segment boundary (segment pulses), seconds of the run's output. */
  nextCutS: number;
  pulses: (PulseSent & { ptsS?: number | undefined })[];
}

/** Frames not claimed by a segment (motion mode, a failed segment) are dropped after this long. */
const KEEP_UNCLAIMED_MS = 10 * 60_000;

export class CameraTiming {
  private readonly runs = new Map<string, Run>();
  private edges: EdgeSeen[] = [];
  private pulser: TtlPulser | undefined;
  private monitor: TtlMonitor | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: TimingSettings,
    private readonly o: { camera: string; driveRoot: string; segmentSeconds: number },
    private readonly deps: CameraTimingDeps,
  ) {}

  /** Checks the GPIO tools against the TTL config (CONFIG_INVALID, TOOL_MISSING) and starts the lines. */
  async start(): Promise<void> {
    const ttl = this.settings.ttl;
    if (!ttl?.output && !ttl?.input) return;
    const tools = await detectGpiodTools(this.deps.runner);
    checkTtlConfig(ttl, tools);
    const onError = (e: OutpostError): void =>
      this.deps.log.warn({ camera: this.o.camera, code: e.code, hint: e.hint }, e.message);
    const ttlDeps: TtlDeps = { ...this.deps, onError };
    if (ttl.output) {
      this.pulser = new TtlPulser(ttl.output, tools, ttlDeps);
      this.pulser.start();
    }
    if (ttl.input) {
      this.monitor = new TtlMonitor(ttl.input, tools, ttlDeps, (e) => this.edges.push(e));
      this.monitor.start();
    }
  }

  /** The run's extra ffmpeg output (fd 5), appended to its argv. */
  prepareRun(runId: string, o: { copy: boolean; transform?: VideoTransform | undefined }): string[] {
    const { args, format } = timingOutputArgs(o);
    this.runs.set(runId, {
      parser: format === 'pixels' ? new PixelTimingParser() : new FramecrcTimingParser(),
      frames: [],
      listed: new Map(),
      nextCutS: 0,
      pulses: [],
    });
    return args;
  }

  /**
   * The run's fd 5: every frame is kept (and pulsed, with per-frame TTL) as it arrives, and told
   * to `onFrame` (the recorder anchors the run's time line on the recorded frames' wall clock).
   */
  attach(runId: string, stream: Readable, onFrame?: (f: FrameTime) => void): void {
    const run = this.runs.get(runId);
    if (!run) {
      stream.resume();
      return;
    }
    const out = this.settings.ttl?.output;
    stream.on('data', (b: Buffer) => {
      for (const f of run.parser.push(b, this.deps.now())) {
        run.frames.push(f);
        onFrame?.(f);
        if (!this.pulser || !out) continue;
        if (out.on === 'frame') {
          const p = this.pulser.pulse({ frame: f.n });
          if (p) run.pulses.push({ ...p, ptsS: f.ptsS });
        } else if (f.key && f.ptsS >= run.nextCutS - 5e-4) {
          const segment = Math.round(run.nextCutS / this.o.segmentSeconds);
          run.nextCutS = (Math.floor(f.ptsS / this.o.segmentSeconds + 1e-6) + 1) * this.o.segmentSeconds;
          const p = this.pulser.pulse({ frame: f.n, segment });
          if (p) run.pulses.push({ ...p, ptsS: f.ptsS });
        }
      }
      const old = this.deps.now() - KEEP_UNCLAIMED_MS;
      if ((run.frames[0]?.wallMs ?? Infinity) < old) run.frames = run.frames.filter((f) => f.wallMs >= old);
      if ((run.pulses[0]?.wallMs ?? Infinity) < old) run.pulses = run.pulses.filter((p) => p.wallMs >= old);
      if ((this.edges[0]?.wallMs ?? Infinity) < old) this.edges = this.edges.filter((e) => e.wallMs >= old);
    });
  }

  /** A closed segment of the run (its times in the run's output), before the sink places it. */
  listed(runId: string, seg: ListedSegment): void {
    const run = this.runs.get(runId);
    if (!run) return;
    run.listed.set(seg.index, seg);
    // Segments that never became items (motion mode's ring, failures) are forgotten.
    run.listed.delete(seg.index - 100);
  }

  /** A segment became a library item: its sidecars are written beside it. */
  segment(e: SegmentEvent): void {
    const run = this.runs.get(e.run);
    const seg = run?.listed.get(e.index);
    if (!run || !seg) return;
    run.listed.delete(e.index);
    const rows = framesOfSegment(run.frames, seg.startS, seg.endS);
    const ttl =
      this.settings.ttl?.output || this.settings.ttl?.input ? this.ttlRows(run, seg, rows) : undefined;
    // Frames before this segment's end are done with (segments close in order).
    run.frames = run.frames.filter((f) => f.ptsS >= seg.endS - 5e-4);
    this.writes = this.writes
      .then(async () => {
        await this.store(e, FRAMES_EXT, framesCsv(rows));
        if (ttl) await this.store(e, TTL_EXT, ttlCsv(ttl));
      })
      .catch((err: unknown) =>
        this.deps.log.warn(
          { err, camera: this.o.camera, path: e.path },
          'cannot write the frame timing files',
        ),
      );
  }

  /** The run ended: its state goes once its last segments are written. */
  endRun(runId: string): void {
    this.runs.delete(runId);
  }

  /** Every sidecar asked for so far is written. */
  flush(): Promise<void> {
    return this.writes;
  }

  async stop(): Promise<void> {
    await this.pulser?.stop();
    await this.monitor?.stop();
    await this.flush();
  }

  /**
   * Beside the item (atomically), recorded as its companion: fsck knows the file, the storage
   * budget and the uplink's offload remove it with the recording, mirrors copy it.
   */
  private async store(e: SegmentEvent, ext: string, text: string): Promise<void> {
    const body = Buffer.from(text, 'utf8');
    const rel = companionName(e.path, ext);
    await writeFileAtomic(join(this.o.driveRoot, rel), body);
    const cat = this.deps.catalog();
    if (cat)
      await addCompanion(cat, {
        item_id: e.id,
        ext,
        path: rel,
        sha256: createHash('sha256').update(body).digest('hex'),
        size: body.length,
      });
  }

  /** Pulses that marked this segment's frames, and edges during it on the frame then current. */
  private ttlRows(run: Run, seg: ListedSegment, rows: SegmentFrame[]): TtlRow[] {
    const out: TtlRow[] = [];
    const o = this.settings.ttl?.output;
    if (o) {
      const mine = run.pulses.filter(
        (p) => p.ptsS !== undefined && p.ptsS >= seg.startS - 5e-4 && p.ptsS < seg.endS - 5e-4,
      );
      run.pulses = run.pulses.filter((p) => !mine.includes(p));
      for (const p of mine) {
        const ptsS = Math.round((p.ptsS! - seg.startS) * 1e6) / 1e6;
        const row = rows.find((r) => Math.abs(r.ptsS - ptsS) < 5e-4);
        out.push({
          kind: 'out',
          chip: o.chip,
          line: o.line,
          edge: 'rising',
          wallMs: p.wallMs,
          frame: row?.frame,
          ptsS,
        });
      }
    }
    const first = rows[0];
    const last = rows.at(-1);
    if (first && last) {
      // The segment spans its first frame's wall clock to the next segment's first frame (already
      // in: a segment closes when the next one's first frame is written), so no edge falls between
      // two; the last segment of a run ends a frame duration after its last frame.
      const next = run.frames.find((f) => f.ptsS >= seg.endS - 5e-4);
      const endWall = next?.wallMs ?? last.wallMs + Math.max(0, seg.endS - seg.startS - last.ptsS) * 1000;
      const byWall = [...rows].sort((a, b) => a.wallMs - b.wallMs);
      for (const e of this.edges) {
        if (e.wallMs < first.wallMs || e.wallMs >= endWall) continue;
        const f = frameAtWall(byWall, e.wallMs);
        out.push({
          kind: 'in',
          chip: e.chip,
          line: e.line,
          edge: e.edge,
          kernelNs: e.kernelNs.toString(),
          wallMs: e.wallMs,
          frame: f?.frame,
          ptsS: f?.ptsS,
        });
      }
      this.edges = this.edges.filter((e) => e.wallMs >= first.wallMs - KEEP_UNCLAIMED_MS);
    }
    return out.sort((a, b) => a.wallMs - b.wallMs);
  }
}

/**
 * The clocks: the wall clock (the recorder's) and its offset from the monotonic clock that
 * libgpiod 1 stamps edges with (Node's hrtime is CLOCK_MONOTONIC too).
 */
export function timingClocks(clock: Clock): { now: () => number; monoToWallMs: () => number } {
  return {
    now: () => clock.now().getTime(),
    monoToWallMs: () => clock.now().getTime() - Number(process.hrtime.bigint() / 1000n) / 1000,
  };
}
