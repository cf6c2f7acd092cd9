/**
 * One camera (docs/recorder.md): the supervised ffmpeg pipeline and its segment lists, the same
 * for every mode. The mode is the segment sink each closed segment goes to (sinks/): the library
 * sink (continuous: a library item under `<camera>/<date>/`, then the storage budget) or the ring
 * sink (motion: the RAM ring and the detector on fd 3; each motion event becomes a library item,
 * `motion-event`). Runs also go out as `outputs`, ring segments as `ring-segment` events.
 */
import { EventEmitter } from 'node:events';
import { mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import type { StreamSpawner } from '../adapters/spawn-stream.js';
import type { Catalog } from '../library/catalog/open.js';
import { openCatalog } from '../library/catalog/open.js';
import { validateMonitor } from '../core/naming.js';
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
import { FC_MATCH_ARGS, fontFromFcMatch } from './live/overlay.js';
import type { MotionBox, MotionEventSaved } from './motion-mode.js';
import { DEFAULT_MOTION_CONFIG, type MotionConfig } from './motion/config.js';
import { SegmentListReader, parseSegmentList, type ListedSegment } from './segments.js';
import { finishUnfinished, type SegmentItemDeps, type SessionPlacement } from './segment-item.js';
import { LibrarySink } from './sinks/library-sink.js';
import { RingSink } from './sinks/ring-sink.js';
import type {
  ClosedSegment,
  SegmentEvent,
  SegmentFailure,
  SegmentSink,
  SinkOutput,
  SinkResult,
} from './sinks/sink.js';
import { parseAudioSource, parseSource, redactUrl, type SourceCodec, type SourceSpec } from './sources.js';
import { Supervisor, type BackoffSettings, type RunInfo, type SupervisorState } from './supervisor.js';
import { CameraTiming, timingClocks, type TimingSettings } from './timing/run-timing.js';
import { transforms, type VideoTransform } from './transform.js';

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
  /** Output B (fd 3): on in motion mode (sized from `motion`) unless set. */
  grey?: GreyOutput | undefined;
  /** Motion mode: detector and event settings (config/motion.ts); default every default. */
  motion?: MotionConfig | undefined;
  /** Output C (fd 4, live view): off unless set. */
  mjpeg?: MjpegOutput | undefined;
  /** Keep at most this many bytes of this camera's recordings. */
  maxBytes?: number | undefined;
  /** Rotation, flips, size, frame rate of the recording (re-encodes; fleet per-camera settings). */
  transform?: VideoTransform | undefined;
  /** A fleet session: recordings go to `library/<group>/<session>/<camera>/` (docs/fleet.md). */
  session?: SessionPlacement | undefined;
  /** The station marks motion over the live view (recorder: nothing to do; kept with the settings). */
  motionHighlight?: boolean | undefined;
  /** The camera streams over RTSP (the station fills `rtspUrl` from its relay). */
  rtsp?: boolean | undefined;
  /** Output D: publish H.264 to the station's RTSP relay at this URL (with its token). */
  rtspUrl?: string | undefined;
  /** Sound with the segments: `alsa:<device>` (a USB microphone) or `testsrc:` (sources.ts). */
  audio?: string | undefined;
  /** Per-frame timestamps beside every recording, and TTL lines (timing/run-timing.ts). */
  timing?: TimingSettings | undefined;
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

export type { ClosedSegment, SegmentEvent };

export interface RecorderStatus {
  camera: string;
  mode: RecordMode;
  source: string;
  state: SupervisorState;
  run: number;
  copy: boolean | null;
  segments: number;
  /** Motion events saved as items (motion mode). */
  events: number;
  failedSegments: number;
  restarts: number;
  /** Frames ffmpeg dropped, over every run. */
  droppedFrames: number;
  lastSegmentAt: string | null;
  lastExit: string | null;
  warnings: BudgetWarning[];
}

export interface RecorderEvents {
  state: [RecorderStatus];
  segment: [SegmentEvent];
  'segment-failed': [SegmentFailure];
  /** Motion mode: a closed 1 s ring segment. */
  'ring-segment': [ClosedSegment];
  /** Motion mode: an event clip became a library item (thumbnail with the motion box). */
  'motion-event': [MotionEventSaved];
  /** Motion mode: where motion is now, when it appears, moves or goes (the live view's highlight). */
  'motion-box': [MotionBox];
  /** A new ffmpeg run: its fd 3 (grey) and fd 4 (MJPEG) streams, valid until the run ends. */
  outputs: [RunInfo & { camera: string }];
  budget: [{ camera: string; removed: number; freedBytes: number; warnings: BudgetWarning[] }];
  /** A run's first frame is in: its wall-clock time (output time 0). */
  'first-frame': [{ camera: string; run: number; atMs: number }];
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
  /** The source may be stream-copied (H.264), whatever the recording does with it. */
  private sourceCopy = false;
  private readonly runs = new Map<number, RunCtx>();
  private poller: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private segments = 0;
  private failedSegments = 0;
  private restarts = 0;
  private lastSegmentAt: string | null = null;
  private warnings: BudgetWarning[] = [];
  private runBase = '';
  private motionEvents = 0;
  private fontFile: string | undefined;
  private readonly audioInput: string[] | undefined;
  /** Frames dropped per run (ffmpeg counts from 0 in each). */
  private readonly drops = new Map<number, number>();
  /** Where closed segments go: the one place the mode matters. */
  private readonly sink: SegmentSink;
  private readonly timing: CameraTiming | undefined;

  constructor(
    private readonly cam: CameraSettings,
    private readonly settings: RecorderSettings,
    private readonly drive: Drive,
    private readonly deps: RecorderDeps,
  ) {
    super();
    this.camera = cam.name;
    this.source = parseSource(cam.source);
    this.audioInput = cam.audio ? parseAudioSource(cam.audio) : undefined;
    this.timing = cam.timing
      ? new CameraTiming(
          cam.timing,
          { camera: cam.name, driveRoot: drive.layout.root, segmentSeconds: cam.segmentSeconds },
          { ...deps, ...timingClocks(deps.clock), catalog: () => this.cat },
        )
      : undefined;
    const common = {
      camera: cam.name,
      layout: drive.layout,
      grey: cam.grey,
      catalog: () => this.cat,
      deps,
      out: this.sinkOutput(),
    };
    this.sink =
      cam.mode === 'continuous'
        ? new LibrarySink({ ...common, seconds: cam.segmentSeconds, root: recDir(drive, cam.name) })
        : new RingSink({
            ...common,
            config: cam.motion ?? DEFAULT_MOTION_CONFIG,
            root: join(settings.ringRoot, cam.name, 'ring'),
            session: cam.session,
          });
  }

  /** What the sinks report: counted for `status()`, then emitted. */
  private sinkOutput(): SinkOutput {
    return {
      segment: (e) => {
        this.segments++;
        this.lastSegmentAt = e.end;
        this.timing?.segment(e);
        this.emit('segment', e);
      },
      ringSegment: (e) => this.emit('ring-segment', e),
      motionBox: (e) => this.emit('motion-box', e),
      motionEvent: (e) => {
        this.motionEvents++;
        this.emit('motion-event', e);
      },
      failed: (f) => {
        this.failedSegments++;
        this.emit('segment-failed', f);
      },
      spaceUsed: async () => {
        const cat = this.cat;
        if (cat)
          await this.enforceBudget(cat).catch((err: unknown) =>
            this.deps.log.warn({ err, camera: this.camera }, 'storage budget check failed'),
          );
      },
      ringListened: () => this.listenerCount('ring-segment') > 0,
    };
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
      events: this.motionEvents,
      failedSegments: this.failedSegments,
      restarts: this.restarts,
      droppedFrames: [...this.drops.values()].reduce((a, b) => a + b, 0),
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
    const root = this.sink.root;
    await mkdir(root, { recursive: true });
    await finishUnfinished(this.cat, this.drive.layout, this.camera);
    await this.recoverOldRuns(root);
    const probed = await this.probeSource();
    this.sourceCopy = shouldCopy(probed.codec, this.cam.copy);
    this.copy = this.sourceCopy && !transforms(this.cam.transform);
    if (
      (this.cam.mjpeg?.timestamp && !this.cam.mjpeg.fontFile) ||
      (this.cam.transform?.timestamp && !this.cam.transform.timestamp.fontFile)
    )
      this.fontFile = await this.findFont();
    await this.sink.start(probed.size);
    await this.timing?.start();
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
      // The recorded frames' own wall clock anchors the run when it is known: ffmpeg's progress
      // time is the furthest of all outputs, and a live view or stream runs ahead of a gated
      // recording (a fleet session's pipeline starts before its instant).
      if (info.frames && ctx)
        this.timing?.attach(ctx.id, info.frames, (f) => this.anchor(info.run, f.wallMs - f.ptsS * 1000));
      if (info.grey) this.sink.attach(info.grey, () => ctx?.anchorMs ?? ctx?.spawnedAtMs ?? info.startedAtMs);
      this.emit('outputs', { ...info, camera: this.camera });
    });
    sup.on('progress', (p) => {
      this.drops.set(p.run, p.dropFrames);
      if (p.outTimeMs > 0 && !this.timing) this.anchor(p.run, p.wallMs - p.outTimeMs);
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

  /**
   * A sighting of run `run`'s output time 0 on the wall clock (a frame's wall clock less its
   * output time): the earliest is the anchor (later ones were delayed by buffering); the first
   * is the run's first frame.
   */
  private anchor(run: number, a: number): void {
    const ctx = this.runs.get(run);
    if (!ctx) return;
    const first = ctx.anchorMs === undefined;
    if (ctx.anchorMs === undefined || a < ctx.anchorMs) ctx.anchorMs = a;
    if (first) this.emit('first-frame', { camera: this.camera, run, atMs: a });
    if (ctx.anchorSavedMs === undefined || Math.abs(ctx.anchorSavedMs - ctx.anchorMs) > 20)
      void this.saveRun(ctx);
  }

  /** Stop gracefully: ffmpeg closes the open segment, which is placed like the others. */
  async stop(): Promise<void> {
    await this.supervisor?.stop();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    await this.queue;
    await this.timing?.stop();
    await this.sink.stop();
    await this.cat?.close();
    this.cat = undefined;
    this.emit('state', this.status());
  }

  /** drawtext's font: fontconfig's DejaVu Sans Mono, else the Debian path. */
  private async findFont(): Promise<string> {
    const res = await this.deps.runner
      .run('fc-match', [...FC_MATCH_ARGS], { timeoutMs: 5000 })
      .catch(() => undefined);
    return fontFromFcMatch(res?.code === 0 ? res.stdout.toString('utf8') : '');
  }

  private async prepare(run: number): Promise<{
    ffmpegArgs: string[];
    feeder?: SourceSpec['feeder'];
    grey: boolean;
    mjpeg: boolean;
    frames: boolean;
  }> {
    const id = `${this.runBase}-${String(run).padStart(3, '0')}`;
    const dir = join(this.sink.root, id);
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
    const grey = this.sink.grey();
    const mjpeg = this.cam.mjpeg
      ? { ...this.cam.mjpeg, ...(this.fontFile ? { fontFile: this.fontFile } : {}) }
      : undefined;
    const t = this.cam.transform;
    const transform =
      t?.timestamp && !t.timestamp.fontFile && this.fontFile
        ? { ...t, timestamp: { ...t.timestamp, fontFile: this.fontFile } }
        : t;
    const args = captureArgs({
      source: this.source,
      copy: this.copy ?? false,
      ...(this.audioInput ? { audioInput: this.audioInput } : {}),
      ...(this.cam.encoder ? { encoder: this.cam.encoder } : {}),
      ...(transform ? { transform } : {}),
      segments: { ...this.sink.segments, dir, listFile },
      ...(grey ? { grey } : {}),
      ...(mjpeg ? { mjpeg } : {}),
      ...(this.cam.rtspUrl ? { rtsp: { url: this.cam.rtspUrl, copy: this.sourceCopy } } : {}),
    });
    const timing = this.timing?.prepareRun(id, { copy: this.copy ?? false, transform: this.cam.transform });
    if (timing) args.push(...timing);
    return { ffmpegArgs: args, feeder: this.source.feeder, grey: !!grey, mjpeg: !!mjpeg, frames: !!timing };
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
      ...(this.cam.session ? { session: this.cam.session } : {}),
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
    await this.drainList(ctx);
  }

  /** The segments closed since the last look go to the sink. */
  private async drainList(ctx: RunCtx): Promise<void> {
    for (const seg of await ctx.reader.poll())
      if ((await this.handle(ctx, seg, ctx.anchorMs ?? ctx.spawnedAtMs, this.cam.session)) === 'kept')
        ctx.keep = true;
  }

  /** After ffmpeg exited: the last lines, then the partial segment (killed mid-file) goes. */
  private async finishRun(run: number, ctx: RunCtx): Promise<void> {
    await this.drainList(ctx);
    ctx.ended = true;
    this.runs.delete(run);
    this.timing?.endRun(ctx.id);
    if (!ctx.keep) await clearRunDir(ctx.dir, this.deps.log, this.camera, this.sink.holdsListed());
  }

  /** One closed segment, on the wall clock of the run's anchor, to the sink. */
  private handle(
    ctx: { id: string },
    seg: ListedSegment,
    anchorMs: number,
    session: SessionPlacement | undefined,
  ): Promise<SinkResult> {
    this.timing?.listed(ctx.id, seg);
    return this.sink.accept({
      session,
      camera: this.camera,
      path: seg.path,
      run: ctx.id,
      index: seg.index,
      startS: seg.startS,
      endS: seg.endS,
      startMs: anchorMs + Math.round(seg.startS * 1000),
      endMs: anchorMs + Math.round(seg.endS * 1000),
    });
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

  /**
   * Codec (copy or encode) and picture size (motion detector) of the source: stated by the URL,
   * else asked of ffprobe (network cameras, files).
   */
  private async probeSource(): Promise<{ codec: SourceCodec; size?: { width: number; height: number } }> {
    const stated = { codec: this.source.codec, ...(this.source.size ? { size: this.source.size } : {}) };
    const needCodec = this.source.codec === 'unknown' && this.cam.copy === 'auto';
    const needSize = this.sink.needsSourceSize && !this.source.size;
    if (!needCodec && !needSize) return stated;
    if (this.source.kind === 'v4l2' || this.source.kind === 'rpicam' || this.source.kind === 'testsrc')
      return stated;
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
          'stream=codec_name,width,height',
          '-of',
          'csv=p=0',
          ...(this.source.kind === 'rtsp' ? ['-rtsp_transport', 'tcp'] : []),
          input,
        ],
        { timeoutMs: 20_000 },
      )
      .catch(() => undefined);
    const [name, w, h] = (res?.stdout.toString('utf8').trim().split('\n')[0] ?? '').split(',');
    const width = Number(w);
    const height = Number(h);
    const size = width > 0 && height > 0 ? { width, height } : this.source.size;
    let codec: SourceCodec = this.source.codec;
    if (needCodec) {
      codec = name === 'h264' ? 'h264' : name === 'mjpeg' ? 'mjpeg' : 'unknown';
      if (!name) this.deps.log.warn({ camera: this.camera }, 'could not probe the source codec: re-encoding');
    }
    return { codec, ...(size ? { size } : {}) };
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
      if (this.sink.recoversRuns && this.cat) {
        const reader = new SegmentListReader(join(dir, 'list.csv'), dir);
        const anchor = info?.anchorMs ?? info?.spawnedAtMs;
        let keep = false;
        if (anchor !== undefined && anchor !== null)
          for (const seg of await reader.poll()) {
            const exists = await stat(seg.path).then(
              () => true,
              () => false,
            );
            if (exists && (await this.handle({ id: name }, seg, anchor, sessionOf(info))) === 'kept')
              keep = true;
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
  session?: unknown;
}

/** The session a killed run recorded for, when its run.json names a valid one. */
function sessionOf(info: RunFile | undefined): SessionPlacement | undefined {
  const s = info?.session as Partial<SessionPlacement> | undefined;
  if (!s || typeof s.group !== 'string' || typeof s.session !== 'string' || typeof s.id !== 'string')
    return undefined;
  try {
    validateMonitor(s.group);
    validateMonitor(s.session);
  } catch {
    return undefined;
  }
  return { group: s.group, session: s.session, id: s.id };
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
