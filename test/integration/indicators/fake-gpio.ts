import type { ProcessRunner, RunOptions, RunResult } from '../../../src/adapters/process-runner.js';
import type { Ticker } from '../../../src/indicators/gpiod.js';

type Level = 0 | 1 | 'blink';

/**
 * A GPIO chip behind fake libgpiod tools: answers `gpioset --version` and `gpioinfo`, and keeps
 * one holder per line for `gpioset` runs (until aborted), refusing a second holder like the kernel
 * (EBUSY). Every command line is recorded.
 */
export class FakeGpio implements ProcessRunner {
  readonly commands: string[] = [];
  /** Lines currently held by a running gpioset. */
  readonly held = new Map<number, Level>();
  /** What each line was last driven to (a released line keeps it, as on a Raspberry Pi). */
  readonly last = new Map<number, Level>();

  constructor(
    readonly version: 1 | 2,
    readonly chip = 'gpiochip0',
    readonly lineCount = 28,
  ) {}

  run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    this.commands.push([cmd, ...args].join(' '));
    const done = (code: number, stdout = '', stderr = ''): Promise<RunResult> =>
      Promise.resolve({ code, signal: null, stdout: Buffer.from(stdout), stderr });
    if (cmd === 'gpioset' && args[0] === '--version')
      return done(
        0,
        `gpioset (libgpiod) v${this.version === 1 ? '1.6.3' : '2.1.3'}\nCopyright (C) 2017-2023 Bartosz Golaszewski\n`,
      );
    if (cmd === 'gpioinfo') {
      const chip = this.version === 1 ? args[0] : args[0] === '-c' ? args[1] : undefined;
      if (chip !== this.chip) return done(1, '', `cannot find GPIO chip character device '${chip}'\n`);
      const rows = Array.from({ length: this.lineCount }, (_, i) =>
        i === 3
          ? `\tline   3:      unnamed       unused   input  active-high`
          : this.version === 1
            ? `\tline ${String(i).padStart(3)}:     "GPIO${i}"       unused   input  active-high`
            : `\tline ${String(i).padStart(3)}:\t"GPIO${i}"        \tinput`,
      );
      return done(0, `${this.chip} - ${this.lineCount} lines:\n${rows.join('\n')}\n`);
    }
    if (cmd !== 'gpioset') return done(127, '', `${cmd}: not found`);
    const parsed = this.parseSet(args);
    if (!parsed) return done(1, '', `gpioset: bad arguments ${args.join(' ')}\n`);
    const { offset, level } = parsed;
    if (offset >= this.lineCount) return done(1, '', `gpioset: invalid offset ${offset}\n`);
    if (this.held.has(offset))
      return done(1, '', 'gpioset: unable to request lines: Device or resource busy\n');
    this.held.set(offset, level);
    this.last.set(offset, level);
    return new Promise((resolve) => {
      const release = (): void => {
        this.held.delete(offset);
        resolve({ code: null, signal: 'SIGKILL', stdout: Buffer.alloc(0), stderr: '' });
      };
      if (opts.signal?.aborted) release();
      else opts.signal?.addEventListener('abort', release, { once: true });
    });
  }

  /** The line's current level as an LED would show it. */
  mode(offset: number): 'on' | 'off' | 'flash' {
    const v = this.held.get(offset) ?? this.last.get(offset) ?? 0;
    return v === 'blink' ? 'flash' : v === 1 ? 'on' : 'off';
  }

  private parseSet(args: readonly string[]): { offset: number; level: Level } | undefined {
    const a = [...args];
    let blink = false;
    if (this.version === 1) {
      if (a.shift() !== '--mode=signal' || a.shift() !== this.chip) return undefined;
    } else {
      if (a.shift() !== '-c' || a.shift() !== this.chip) return undefined;
      if (a[0] === '-t') {
        a.shift();
        if (!/^\d+ms$/.test(a.shift() ?? '')) return undefined;
        blink = true;
      }
    }
    const m = a.length === 1 ? /^(\d+)=([01])$/.exec(a[0]!) : null;
    if (!m) return undefined;
    return { offset: Number(m[1]), level: blink ? 'blink' : (Number(m[2]) as 0 | 1) };
  }
}

/** A ticker the test steps by hand. */
export class ManualTicker implements Ticker {
  private fn: (() => void) | undefined;
  everyMs: number | undefined;
  start(everyMs: number, tick: () => void): { stop(): void } {
    this.everyMs = everyMs;
    this.fn = tick;
    return { stop: () => (this.fn = undefined) };
  }
  get running(): boolean {
    return this.fn !== undefined;
  }
  tick(): void {
    this.fn?.();
  }
}

/** Let queued promise chains (kill, wait, respawn) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
