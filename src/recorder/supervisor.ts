/**
 * Runs one camera pipeline (ffmpeg, plus rpicam-vid feeding its stdin) and keeps it running:
 * restart with exponential backoff and jitter, a stall watchdog on ffmpeg's progress (frames
 * must keep coming), and a graceful stop (one SIGINT: ffmpeg closes the open segment) with
 * SIGKILL after a grace period. Signals go to our own children only, by pid.
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { StreamChild, StreamSpawner } from '../adapters/spawn-stream.js';
import { OutpostError } from '../core/errors.js';
import { ProgressParser, type ProgressReport } from './progress.js';
import type { Feeder } from './sources.js';
import { GREY_FD, MJPEG_FD } from './capture-command.js';
import { TIMING_FD } from './timing/frame-branch.js';

export interface PipelineSpec {
  ffmpegArgs: string[];
  feeder?: Feeder | undefined;
  /** Which of outputs B (fd 3) and C (fd 4) the argv writes. */
  grey: boolean;
  mjpeg: boolean;
  /** The argv writes the frame timing output on fd 5 (timing/frame-branch.ts). */
  frames?: boolean | undefined;
}

export type SupervisorState = 'idle' | 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

/** One ffmpeg run: its streams are valid until the matching `exit` event. */
export interface RunInfo {
  run: number;
  pid: number | undefined;
  startedAtMs: number;
  /** Output B: rawvideo gray frames (fd 3), when enabled. Read it promptly or the pipeline stalls. */
  grey?: Readable;
  /** Output C: concatenated JPEG frames (fd 4), when enabled. */
  mjpeg?: Readable;
  /** The frame timing output (fd 5), when enabled. */
  frames?: Readable;
}

export interface RunExit {
  run: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  reason: 'exited' | 'stalled' | 'stopped' | 'spawn-failed';
  /** Last lines ffmpeg wrote to stderr (its reason, usually). */
  stderrTail: string;
  ranMs: number;
}

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
  /** A run that lasted this long resets the backoff. */
  resetAfterMs: number;
  /** ± this fraction of random spread, so many cameras do not restart in lock-step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = {
  initialMs: 1000,
  maxMs: 60_000,
  resetAfterMs: 60_000,
  jitter: 0.2,
};

export interface SupervisorOptions {
  /** Builds the pipeline for run `n` (a fresh segment list per run). */
  prepare(run: number): Promise<PipelineSpec>;
  spawner: StreamSpawner;
  /** No new frame for this long: the pipeline is killed and restarted. */
  stallMs: number;
  /** Allowance for the first frame (connecting to an IP camera). */
  startupMs?: number;
  backoff?: BackoffSettings;
  /** After the stop signal, wait this long for ffmpeg to close its files, then SIGKILL. */
  graceMs?: number;
  ffmpeg?: string;
  random?: () => number;
  now?: () => number;
}

export interface SupervisorEvents {
  state: [SupervisorState];
  run: [RunInfo];
  progress: [ProgressReport & { run: number; wallMs: number }];
  exit: [RunExit];
  error: [OutpostError];
}

/** Delay before restart number `failures` (0-based): initial·2^n, capped, ± jitter. Pure. */
export function backoffDelay(failures: number, b: BackoffSettings, random: () => number): number {
  const base = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(failures, 30));
  const spread = base * b.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}

const STDERR_TAIL = 4096;

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private state: SupervisorState = 'idle';
  private runNo = 0;
  private stopping = false;
  private children: StreamChild[] = [];
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private lastExit: RunExit | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly o: SupervisorOptions) {
    super();
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
  }

  current(): { state: SupervisorState; run: number; lastExit?: RunExit | undefined } {
    return { state: this.state, run: this.runNo, lastExit: this.lastExit };
  }

  start(): void {
    if (this.loopDone) return;
    this.loopDone = this.loop();
  }

  /** Graceful stop: resolves once every child has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.children.length) this.setState('stopping');
    const ffmpeg = this.children.at(-1);
    const feeder = this.children.length > 1 ? this.children[0] : undefined;
    // Stopping the feeder ends ffmpeg's input (EOF); stopping ffmpeg closes the open segment.
    feeder?.kill('SIGINT');
    ffmpeg?.kill('SIGINT');
    const grace = setTimeout(() => {
      for (const c of this.children) c.kill('SIGKILL');
    }, this.o.graceMs ?? 5000);
    try {
      await this.loopDone;
    } finally {
      clearTimeout(grace);
    }
    if (this.state !== 'failed') this.setState('stopped');
  }

  private setState(s: SupervisorState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const run = ++this.runNo;
      this.setState('starting');
      let spec: PipelineSpec;
      try {
        spec = await this.o.prepare(run);
      } catch (e) {
        const err =
          e instanceof OutpostError
            ? e
            : new OutpostError('RECORDER_FAILED', `cannot prepare the pipeline: ${String(e)}`, { cause: e });
        this.emit('error', err);
        this.setState('failed');
        return;
      }
      if (this.stopping) break;
      const exit = await this.runOnce(run, spec);
      this.lastExit = exit;
      this.emit('exit', exit);
      if (this.stopping) break;
      if (exit.reason === 'spawn-failed' && exit.stderrTail.includes('not installed')) {
        this.emit('error', new OutpostError('TOOL_MISSING', exit.stderrTail));
        this.setState('failed');
        return;
      }
      if (exit.ranMs >= (this.o.backoff ?? DEFAULT_BACKOFF).resetAfterMs) failures = 0;
      const delay = backoffDelay(failures++, this.o.backoff ?? DEFAULT_BACKOFF, this.random);
      this.setState('backoff');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private async runOnce(run: number, spec: PipelineSpec): Promise<RunExit> {
    const started = this.now();
    let stderr = '';
    let feeder: StreamChild | undefined;
    if (spec.feeder) {
      feeder = this.o.spawner.spawn(spec.feeder.cmd, spec.feeder.args, { ownGroup: true });
      feeder.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-STDERR_TAIL)));
    }
    const extraFds = spec.frames ? TIMING_FD - 2 : spec.mjpeg ? MJPEG_FD - 2 : spec.grey ? GREY_FD - 2 : 0;
    const child = this.o.spawner.spawn(this.o.ffmpeg ?? 'ffmpeg', spec.ffmpegArgs, {
      extraFds,
      ownGroup: true,
      ...(feeder ? { stdin: feeder.stdout } : {}),
    });
    this.children = feeder ? [feeder, child] : [child];
    // ffmpeg has its own copy of the feeder's pipe now. Ours would stay open unread, and a child
    // "closes" only once all its pipes have: the feeder's end would never be seen, nor a stop end.
    if (feeder && typeof (feeder.stdout as { destroy?: unknown }).destroy === 'function')
      feeder.stdout.destroy();
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-STDERR_TAIL)));

    let lastFrame = -1;
    let lastOut = -1;
    let lastMoveAt = this.now();
    let sawFrame = false;
    let stalled = false;
    const parser = new ProgressParser();
    child.stdout.on('data', (b: Buffer) => {
      for (const p of parser.push(b.toString('utf8'))) {
        if (p.frame > lastFrame || p.outTimeMs > lastOut) {
          lastMoveAt = this.now();
          if (p.frame > 0) sawFrame = true;
          if (this.state === 'starting' && p.frame > 0) this.setState('running');
        }
        lastFrame = Math.max(lastFrame, p.frame);
        lastOut = Math.max(lastOut, p.outTimeMs);
        this.emit('progress', { ...p, run, wallMs: this.now() });
      }
    });
    const watchdog = setInterval(
      () => {
        const allowance = sawFrame ? this.o.stallMs : (this.o.startupMs ?? Math.max(this.o.stallMs, 20_000));
        if (this.stopping || this.now() - lastMoveAt <= allowance) return;
        stalled = true;
        for (const c of this.children) c.kill('SIGKILL');
      },
      Math.min(500, this.o.stallMs),
    );

    const info: RunInfo = { run, pid: child.pid, startedAtMs: started };
    if (spec.grey) info.grey = child.fds[GREY_FD - 3];
    if (spec.mjpeg) info.mjpeg = child.fds[MJPEG_FD - 3];
    if (spec.frames) info.frames = child.fds[TIMING_FD - 3];
    this.emit('run', info);
    // Outputs nobody reads are drained: a full pipe would block ffmpeg and the recording with it.
    for (const s of [info.grey, info.mjpeg, info.frames]) if (s && s.readableFlowing === null) s.resume();

    const res = await child.exited;
    clearInterval(watchdog);
    if (feeder) {
      feeder.kill('SIGTERM');
      const t = setTimeout(() => feeder.kill('SIGKILL'), 2000);
      await feeder.exited;
      clearTimeout(t);
    }
    this.children = [];
    if (res.error) stderr = `${stderr}\n${res.error.message}`.trim();
    return {
      run,
      code: res.code,
      signal: res.signal,
      reason: res.error ? 'spawn-failed' : this.stopping ? 'stopped' : stalled ? 'stalled' : 'exited',
      stderrTail: stderr.trim(),
      ranMs: this.now() - started,
    };
  }
}
