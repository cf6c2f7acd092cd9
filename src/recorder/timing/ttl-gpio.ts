/**
 * The TTL lines of one camera through the libgpiod tools (the same tools as the GPIO LEDs):
 * a pulser (one `gpioset --interactive` per output line on libgpiod 2, one stdin write per pulse;
 * or one gpioset run per segment pulse) and a monitor (`gpiomon` on the input lines). Every pulse
 * sent and every edge seen is reported with its wall clock; placing them on frames is
 * run-timing.ts's job.
 */
import type { GpiodTools } from '../../adapters/gpiod-tools.js';
import type { ProcessRunner } from '../../adapters/process-runner.js';
import type { StreamChild, StreamSpawner } from '../../adapters/spawn-stream.js';
import { OutpostError } from '../../core/errors.js';
import {
  edgeWallMs,
  gpiomonArgs,
  interactiveArgs,
  oneShotPulseArgs,
  parseGpiomonLine,
  pulseCommand,
  type GpioEdge,
  type TtlInputConfig,
  type TtlOutputConfig,
} from './ttl-args.js';

export interface TtlDeps {
  runner: ProcessRunner;
  spawner: StreamSpawner;
  /** Wall clock, ms (fractions allowed). */
  now: () => number;
  /** Wall clock minus the monotonic clock, ms (libgpiod 1 stamps edges on the monotonic clock). */
  monoToWallMs: () => number;
  onError: (e: OutpostError) => void;
}

/** A pulse this station sent: the frame (run-wide index) or segment it marks, and when it was written. */
export interface PulseSent {
  frame?: number | undefined;
  segment?: number | undefined;
  wallMs: number;
}

/** Sends the pulses of one output line. */
export class TtlPulser {
  private child: StreamChild | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly o: TtlOutputConfig,
    private readonly tools: GpiodTools,
    private readonly deps: TtlDeps,
  ) {}

  /** v2 interactive: start the gpioset that holds the line (idle) and takes the pulses. */
  start(): void {
    if (!this.tools.interactive || this.child) return;
    const c = this.deps.spawner.spawn('gpioset', interactiveArgs(this.o), { stdinPipe: true });
    this.child = c;
    let stderr = '';
    c.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-2048)));
    // The prompt (`gpioset> `) comes back after every command: read and dropped.
    c.stdout.resume();
    void c.exited.then((r) => {
      if (this.child === c) this.child = undefined;
      if (!this.stopped)
        this.deps.onError(
          new OutpostError(
            'CONFIG_INVALID',
            `gpioset for the TTL output (line ${this.o.line} of ${this.o.chip}) stopped: ${stderr.trim() || r.error?.message || `exit ${r.code}`}`,
            {
              hint: 'Another program may own the line (`gpioinfo` shows consumers); free it and restart the station.',
            },
          ),
        );
    });
  }

  /** One pulse now. Returns what was sent (undefined when the line is not held). */
  pulse(mark: { frame?: number; segment?: number }): PulseSent | undefined {
    if (this.stopped) return undefined;
    const wallMs = this.deps.now();
    if (this.tools.interactive) {
      const stdin = this.child?.stdin;
      if (!stdin || !this.child?.alive()) return undefined;
      stdin.write(pulseCommand(this.o));
      return { ...mark, wallMs };
    }
    // One run (two on v1) per pulse, one pulse at a time.
    this.chain = this.chain.then(async () => {
      for (const args of oneShotPulseArgs(this.tools.version, this.o)) {
        const r = await this.deps.runner.run('gpioset', args, { timeoutMs: 5000 });
        if (r.code !== 0)
          this.deps.onError(
            new OutpostError(
              'CONFIG_INVALID',
              `gpioset (TTL pulse) failed: ${r.stderr.trim() || `exit ${r.code}`}`,
            ),
          );
      }
    });
    this.chain = this.chain.catch((e: unknown) =>
      this.deps.onError(e instanceof OutpostError ? e : new OutpostError('INTERNAL', String(e))),
    );
    return { ...mark, wallMs };
  }

  /** Leave the line inactive and let go: `exit` on stdin, then SIGTERM if it lingers. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
    const c = this.child;
    if (!c) return;
    c.stdin?.end(`set ${this.o.line}=0\nexit\n`);
    const t = setTimeout(() => c.kill('SIGTERM'), 1000);
    await c.exited;
    clearTimeout(t);
    this.child = undefined;
  }
}

/** An input edge with its wall clock. */
export interface EdgeSeen extends GpioEdge {
  chip: string;
  wallMs: number;
  /** When Node read gpiomon's line, ms. */
  arrivedMs: number;
}

/** Watches the input lines with one gpiomon. */
export class TtlMonitor {
  private child: StreamChild | undefined;
  private stopped = false;

  constructor(
    private readonly i: TtlInputConfig,
    private readonly tools: GpiodTools,
    private readonly deps: TtlDeps,
    private readonly onEdge: (e: EdgeSeen) => void,
  ) {}

  start(): void {
    if (this.child) return;
    const c = this.deps.spawner.spawn('gpiomon', gpiomonArgs(this.tools.version, this.i));
    this.child = c;
    let rest = '';
    let stderr = '';
    c.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-2048)));
    c.stdout.on('data', (b: Buffer) => {
      const arrivedMs = this.deps.now();
      rest += b.toString('utf8');
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const e = parseGpiomonLine(this.tools.version, rest.slice(0, nl));
        rest = rest.slice(nl + 1);
        if (e)
          this.onEdge({
            ...e,
            chip: this.i.chip,
            wallMs: edgeWallMs(e, this.deps.monoToWallMs()),
            arrivedMs,
          });
      }
      if (rest.length > 4096) rest = '';
    });
    void c.exited.then((r) => {
      if (this.child === c) this.child = undefined;
      if (!this.stopped)
        this.deps.onError(
          new OutpostError(
            'CONFIG_INVALID',
            `gpiomon for the TTL inputs (lines ${this.i.lines.join(', ')} of ${this.i.chip}) stopped: ${stderr.trim() || r.error?.message || `exit ${r.code}`}`,
            { hint: 'Check the chip and lines (`gpioinfo`); another program may own them.' },
          ),
        );
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const c = this.child;
    if (!c) return;
    c.kill('SIGINT');
    const t = setTimeout(() => c.kill('SIGKILL'), 1000);
    await c.exited;
    clearTimeout(t);
    this.child = undefined;
  }
}
