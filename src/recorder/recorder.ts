/**
 * One camera (docs/recorder.md): the supervised ffmpeg pipeline, its segment lists, and what
 * becomes of each closed segment. Continuous mode: a library item under `<camera>/<date>/`
 * (then the storage budget). Motion mode: a `ring-segment` event for the motion ring
 * (src/recorder/motion/), plus the grey frames on fd 3 (`outputs` event).
 */
import { EventEmitter } from 'node:events';
import { mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import type { StreamSpawner } from '../adapters/spawn-stream.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { openCatalog } from '../library/catalog/open.js';
import type { Drive } from '../library/drive.js';
import type { MediaAnalyzer } from '../media/types.js';
import { applyBudget, driveSpace, loadRecordings, planBudget, type BudgetWarning } from './budget.js';
import {
  captureArgs,
  shouldCopy,
  type EncoderSettings,
  type GreyOutput,
  type MjpegOutput,
} from './capture-command.js';
import { SegmentListReader, parseSegmentList, type ListedSegment } from './segments.js';
import { deriveSegment, placeSegment, type SegmentItemDeps } from './segment-item.js';
import { parseSource, redactUrl, type SourceCodec, type SourceSpec } from './sources.js';
import { Supervisor, type BackoffSettings, type RunInfo, type SupervisorState } from './supervisor.js';

export type RecordMode = 'continuous' | 'motion';

export interface CameraSettings {
  name: string;
  source: string;
  mode: RecordMode;
  /** Continuous segment length, seconds. */
  segmentSeconds: number;
  /** Stream copy: `auto` when the source is H.264. */
  copy: 'auto' | 'always' | 'never';
  encoder?: EncoderSettings | undefined;
  /** No new frame for this long: restart the pipeline. */
  stallSeconds: number;
  /** Output B (fd 3): on in motion mode unless set. */
  grey?: GreyOutput | undefined;
  /** Output C (fd 4, live view): off unless set. */
  mjpeg?: MjpegOutput | undefined;
  /** Keep at most this many bytes of this camera's recordings. */
  maxBytes?: number | undefined;
}

export interface RecorderSettings {
  minFreeBytes: number;
  deleteUnsent: boolean;
  /** Motion mode: where the RAM ring lives (tmpfs). */
  ringRoot: string;
  backoff?: BackoffSettings | undefined;
}

export interface RecorderDeps extends SegmentItemDeps {
  spawner: StreamSpawner;
  runner: ProcessRunner;
  analyzer: MediaAnalyzer;
  clock: Clock;
  log: Logger;
}

export interface SegmentEvent {
  camera: string;
  id: string;
  path: string;
  durationS: number | null;
  start: string;
  end: string;
  run: string;
  index: number;
}

/** A closed 1 s ring segment (motion mode), for src/recorder/motion/ring.ts. */
export interface RingSegment {
  camera: string;
  path: string;
  run: string;
  index: number;
  startS: number;
  endS: number;
  startMs: number;
  endMs: number;
}

export interface RecorderStatus {
  camera: string;
  mode: RecordMode;
  source: string;
  state: SupervisorState;
  run: number;
  copy: boolean | null;
  segments: number;
  failedSegments: number;
  restarts: number;
  lastSegmentAt: string | null;
  lastExit: string | null;
  warnings: BudgetWarning[];
}

export interface RecorderEvents {
  state: [RecorderStatus];
  segment: [SegmentEvent];
  'segment-failed': [{ camera: string; path: string; code: string; message: string }];
  'ring-segment': [RingSegment];
  /** A new ffmpeg run: its fd 3 (grey) and fd 4 (MJPEG) streams, valid until the run ends. */
  outputs: [RunInfo & { camera: string }];
  budget: [{ camera: string; removed: number; freedBytes: number; warnings: BudgetWarning[] }];
}

interface RunCtx {
  id: string;
  dir: string;
  listFile: string;
  reader: SegmentListReader;
  spawnedAtMs: number;
  /** Wall clock of output time 0: min over progress reports of (wall − out_time). */
  anchorMs: number | undefined;
  anchorSavedMs: number | undefined;
  ended: boolean;
  /** A closed segment could not be placed (drive error): the directory stays for the next start. */
  keep: boolean;
}

const POLL_MS = 250;
const RUN_FILE = 'run.json';

/** The recording directory of a camera on the drive (same filesystem as the library: hard links). */
export function recDir(drive: Drive, camera: string): string {
  return join(drive.layout.outpostDir, 'rec', camera);
}

export class Recorder extends EventEmitter<RecorderEvents> {
  readonly camera: string;
  private readonly source: SourceSpec;
  private supervisor: Supervisor | undefined;
  private cat: Catalog | undefined;
  private copy: boolean | null = null;
  private readonly runs = new Map<number, RunCtx>();
  private poller: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private segments = 0;
  private failedSegments = 0;
  private restarts = 0;
  private lastSegmentAt: string | null = null;
  private warnings: BudgetWarning[] = [];
  private runBase = '';

  constructor(
    private readonly cam: CameraSettings,
    private readonly settings: RecorderSettings,
    private readonly drive: Drive,
    private readonly deps: RecorderDeps,
  ) {
    super();
    this.camera = cam.name;
    this.source = parseSource(cam.source);
  }

  status(): RecorderStatus {
    const s = this.supervisor?.current();
    const exit = s?.lastExit;
    return {
      camera: this.camera,
      mode: this.cam.mode,
      source: redactUrl(this.cam.source),
      state: s?.state ?? 'idle',
      run: s?.run ?? 0,
      copy: this.copy,
      segments: this.segments,
      failedSegments: this.failedSegments,
      restarts: this.restarts,
      lastSegmentAt: this.lastSegmentAt,
      lastExit: exit
        ? `run ${exit.run} ${exit.reason} (${exit.signal ?? `code ${exit.code}`})${exit.stderrTail ? `: ${lastLine(exit.stderrTail)}` : ''}`
        : null,
      warnings: this.warnings,
    };
  }

  /** Finish what a previous process left, decide copy vs encode, and start the pipeline. */
  async start(): Promise<void> {
    if (this.supervisor) return;
    this.cat = await openCatalog(this.drive.layout.catalog);
    const root = this.modeRoot();
    await mkdir(root, { recursive: true });
    await this.recoverOldRuns(root);
    this.copy = shouldCopy(await this.sourceCodec(), this.cam.copy);
    this.runBase = this.deps.clock.now().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const sup = new Supervisor({
      prepare: (run) => this.prepare(run),
      spawner: this.deps.spawner,
      stallMs: this.cam.stallSeconds * 1000,
      ...(this.settings.backoff ? { backoff: this.settings.backoff } : {}),
    });
    this.supervisor = sup;
    sup.on('state', () => this.emit('state', this.status()));
    sup.on('run', (info) => {
      const ctx = this.runs.get(info.run);
      if (ctx) void this.saveRun(ctx, info.pid);
      this.emit('outputs', { ...info, camera: this.camera });
    });
    sup.on('progress', (p) => {
      const ctx = this.runs.get(p.run);
      if (!ctx || p.outTimeMs <= 0) return;
      const a = p.wallMs - p.outTimeMs;
      if (ctx.anchorMs === undefined || a < ctx.anchorMs) ctx.anchorMs = a;
      if (ctx.anchorSavedMs === undefined || Math.abs(ctx.anchorSavedMs - ctx.anchorMs) > 20)
        void this.saveRun(ctx);
    });
    sup.on('exit', (e) => {
      if (e.reason !== 'stopped') this.restarts++;
      const log =
        e.reason === 'stopped'
          ? this.deps.log.info.bind(this.deps.log)
          : this.deps.log.warn.bind(this.deps.log);
      log(
        {
          camera: this.camera,
          run: e.run,
          code: e.code,
          signal: e.signal,
          reason: e.reason,
          stderr: lastLine(e.stderrTail),
        },
        'camera pipeline ended',
      );
      const ctx = this.runs.get(e.run);
      if (ctx) this.enqueue(() => this.finishRun(e.run, ctx));
    });
    sup.on('error', (err) =>
      this.deps.log.error({ camera: this.camera, code: err.code, hint: err.hint }, err.message),
    );
    this.poller = setInterval(() => {
      for (const [n, ctx] of this.runs) if (!ctx.ended) this.enqueue(() => this.pollRun(n, ctx));
    }, POLL_MS);
    sup.start();
  }

  /** Stop gracefully: ffmpeg closes the open segment, which is placed like the others. */
  async stop(): Promise<void> {
    await this.supervisor?.stop();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    await this.queue;
    await this.cat?.close();
    this.cat = undefined;
    this.emit('state', this.status());
  }

  private modeRoot(): string {
    return this.cam.mode === 'continuous'
      ? recDir(this.drive, this.camera)
      : join(this.settings.ringRoot, this.camera, 'ring');
  }

  private async prepare(
    run: number,
  ): Promise<{ ffmpegArgs: string[]; feeder?: SourceSpec['feeder']; grey: boolean; mjpeg: boolean }> {
    const id = `${this.runBase}-${String(run).padStart(3, '0')}`;
    const dir = join(this.modeRoot(), id);
    await mkdir(dir, { recursive: true });
    const listFile = join(dir, 'list.csv');
    const ctx: RunCtx = {
      id,
      dir,
      listFile,
      reader: new SegmentListReader(listFile, dir),
      spawnedAtMs: this.deps.clock.now().getTime(),
      anchorMs: undefined,
      anchorSavedMs: undefined,
      ended: false,
      keep: false,
    };
    this.runs.set(run, ctx);
    await this.saveRun(ctx);
    const grey = this.cam.grey ?? (this.cam.mode === 'motion' ? { fps: 5, height: 180 } : undefined);
    const args = captureArgs({
      source: this.source,
      copy: this.copy ?? false,
      ...(this.cam.encoder ? { encoder: this.cam.encoder } : {}),
      segments: {
        kind: this.cam.mode === 'continuous' ? 'continuous' : 'ring',
        dir,
        listFile,
        seconds: this.cam.mode === 'continuous' ? this.cam.segmentSeconds : 1,
      },
      ...(grey ? { grey } : {}),
      ...(this.cam.mjpeg ? { mjpeg: this.cam.mjpeg } : {}),
    });
    return { ffmpegArgs: args, feeder: this.source.feeder, grey: !!grey, mjpeg: !!this.cam.mjpeg };
  }

  private async saveRun(ctx: RunCtx, pid?: number): Promise<void> {
    ctx.anchorSavedMs = ctx.anchorMs;
    const prev = await readRunFile(ctx.dir);
    const data = {
      camera: this.camera,
      run: ctx.id,
      spawnedAtMs: ctx.spawnedAtMs,
      anchorMs: ctx.anchorMs ?? null,
      pid: pid ?? prev?.pid ?? null,
    };
    await writeFile(join(ctx.dir, RUN_FILE), JSON.stringify(data)).catch(() => undefined);
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue
      .then(job)
      .catch((err: unknown) =>
        this.deps.log.error({ err, camera: this.camera }, 'recorder: segment handling failed'),
      );
  }

  private async pollRun(run: number, ctx: RunCtx): Promise<void> {
    if (ctx.ended || this.runs.get(run) !== ctx) return;
    for (const seg of await ctx.reader.poll())
      if ((await this.handle(ctx, seg, ctx.anchorMs ?? ctx.spawnedAtMs)) === 'kept') ctx.keep = true;
  }

  /** After ffmpeg exited: the last lines, then the partial segment (killed mid-file) goes. */
  private async finishRun(run: number, ctx: RunCtx): Promise<void> {
    for (const seg of await ctx.reader.poll())
      if ((await this.handle(ctx, seg, ctx.anchorMs ?? ctx.spawnedAtMs)) === 'kept') ctx.keep = true;
    ctx.ended = true;
    this.runs.delete(run);
    if (!ctx.keep) await clearRunDir(ctx.dir, this.deps.log, this.camera, this.ringOwned());
  }

  /** Motion mode with a ring listening: the ring owns the closed segment files. */
  private ringOwned(): boolean {
    return this.cam.mode === 'motion' && this.listenerCount('ring-segment') > 0;
  }

  /** One closed segment: `kept` when it could not be placed for a reason worth retrying. */
  private async handle(
    ctx: { id: string },
    seg: ListedSegment,
    anchorMs: number,
  ): Promise<'ok' | 'dropped' | 'kept'> {
    const startMs = anchorMs + Math.round(seg.startS * 1000);
    const endMs = anchorMs + Math.round(seg.endS * 1000);
    if (this.cam.mode === 'motion') {
      this.emit('ring-segment', {
        camera: this.camera,
        path: seg.path,
        run: ctx.id,
        index: seg.index,
        startS: seg.startS,
        endS: seg.endS,
        startMs,
        endMs,
      });
      // Nobody holds a ring (motion wiring not there): the second is not kept.
      if (!this.ringOwned()) await rm(seg.path, { force: true });
      return 'ok';
    }
    const cat = this.cat;
    if (!cat) return 'kept';
    try {
      const { item, created } = await placeSegment(
        cat,
        this.drive.layout,
        {
          path: seg.path,
          camera: this.camera,
          startMs,
          endMs,
          index: seg.index,
          runId: ctx.id,
          runStartS: seg.startS,
          runEndS: seg.endS,
        },
        this.deps,
      );
      this.segments++;
      this.lastSegmentAt = new Date(endMs).toISOString();
      this.emit('segment', {
        camera: this.camera,
        id: item.id,
        path: item.path,
        durationS: item.duration_s,
        start: new Date(startMs).toISOString(),
        end: new Date(endMs).toISOString(),
        run: ctx.id,
        index: seg.index,
      });
      if (created)
        await deriveSegment(cat, this.drive.layout, item, this.deps).catch((err: unknown) =>
          this.deps.log.warn({ err, item: item.id }, 'segment poster failed; retried by the next ingest'),
        );
      await this.enforceBudget(cat).catch((err: unknown) =>
        this.deps.log.warn({ err, camera: this.camera }, 'storage budget check failed'),
      );
      return 'ok';
    } catch (e) {
      this.failedSegments++;
      const err = isOutpostError(e) ? e : new OutpostError('INTERNAL', String(e), { cause: e });
      this.emit('segment-failed', {
        camera: this.camera,
        path: seg.path,
        code: err.code,
        message: err.message,
      });
      this.deps.log.warn({ camera: this.camera, path: seg.path, code: err.code }, err.message);
      if (err.code === 'SEGMENT_INVALID') {
        await rm(seg.path, { force: true });
        return 'dropped';
      }
      return 'kept';
    }
  }

  private async enforceBudget(cat: Catalog): Promise<void> {
    const space = await driveSpace(this.drive.layout.root);
    const plan = planBudget({
      items: loadRecordings(cat, this.camera),
      ...space,
      minFreeBytes: this.settings.minFreeBytes,
      maxBytesPerCamera: { [this.camera]: this.cam.maxBytes },
      deleteUnsent: this.settings.deleteUnsent,
    });
    const removed = plan.delete.length ? await applyBudget(cat, this.drive.layout.root, plan) : 0;
    const changed = JSON.stringify(plan.warnings) !== JSON.stringify(this.warnings);
    this.warnings = plan.warnings;
    if (removed || changed)
      this.emit('budget', {
        camera: this.camera,
        removed,
        freedBytes: plan.freedBytes,
        warnings: plan.warnings,
      });
  }

  /** Codec of the source: stated by the URL, else asked of ffprobe (network cameras, files). */
  private async sourceCodec(): Promise<SourceCodec> {
    if (this.source.codec !== 'unknown' || this.cam.copy !== 'auto') return this.source.codec;
    const input = this.source.inputArgs.at(-1)!;
    const res = await this.deps.runner
      .run(
        'ffprobe',
        [
          '-v',
          'error',
          '-select_streams',
          'v:0',
          '-show_entries',
          'stream=codec_name',
          '-of',
          'csv=p=0',
          ...(this.source.kind === 'rtsp' ? ['-rtsp_transport', 'tcp'] : []),
          input,
        ],
        { timeoutMs: 20_000 },
      )
      .catch(() => undefined);
    const name = res?.stdout.toString('utf8').trim().split('\n')[0];
    if (name === 'h264') return 'h264';
    if (name === 'mjpeg') return 'mjpeg';
    if (!name) this.deps.log.warn({ camera: this.camera }, 'could not probe the source codec: re-encoding');
    return 'unknown';
  }

  /**
   * Runs a previous process left (it was killed): kill its ffmpeg if it still runs (only when
   * /proc says it is ours: its command line names the run directory), place the segments its
   * list says were closed, drop the partial one.
   */
  private async recoverOldRuns(root: string): Promise<void> {
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const dir = join(root, name);
      const info = await readRunFile(dir);
      if (info?.pid) await killOrphan(info.pid, dir);
      if (this.cam.mode === 'continuous' && this.cat) {
        const reader = new SegmentListReader(join(dir, 'list.csv'), dir);
        const anchor = info?.anchorMs ?? info?.spawnedAtMs;
        let keep = false;
        if (anchor !== undefined && anchor !== null)
          for (const seg of await reader.poll()) {
            const exists = await stat(seg.path).then(
              () => true,
              () => false,
            );
            if (exists && (await this.handle({ id: name }, seg, anchor)) === 'kept') keep = true;
          }
        if (keep) continue;
      }
      await clearRunDir(dir, this.deps.log, this.camera, false);
    }
  }
}

interface RunFile {
  pid?: number | null;
  anchorMs?: number | null;
  spawnedAtMs?: number;
}

async function readRunFile(dir: string): Promise<RunFile | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, RUN_FILE), 'utf8')) as RunFile;
  } catch {
    return undefined;
  }
}

/** SIGKILL a leftover ffmpeg of ours from a killed process: only if its argv names `dir`. */
async function killOrphan(pid: number, dir: string): Promise<void> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(dir)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Remove what is left of a finished run: the unlisted (partial) segment, the list, run.json. */
async function clearRunDir(dir: string, log: Logger, camera: string, keepListed: boolean): Promise<void> {
  let left = await readdir(dir).catch(() => [] as string[]);
  if (keepListed) {
    const listed = new Set(
      parseSegmentList(await readFile(join(dir, 'list.csv'), 'utf8').catch(() => ''), dir, 0).segments.map(
        (s) => basename(s.path),
      ),
    );
    left = left.filter((n) => !listed.has(n));
  }
  const partial = left.filter((n) => n !== 'list.csv' && n !== RUN_FILE);
  if (partial.length)
    log.info({ camera, dir, files: partial }, 'dropping the segment in progress when the pipeline ended');
  for (const n of left) await rm(join(dir, n), { force: true, recursive: true });
  await rmdir(dir).catch(() => undefined);
}

function lastLine(s: string): string {
  return s.trim().split('\n').at(-1) ?? '';
}
