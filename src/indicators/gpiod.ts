import { parseGpioinfo, parseGpiodVersion, type GpiodVersion } from '../adapters/gpiod-tools.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { OutpostError } from '../core/errors.js';
import { DEFAULT_FLASH_MS, type LedDriver, type LedMode } from './driver.js';
import { ledMissing } from './errors.js';

/** A repeating timer, injected so tests step the software flasher by hand. */
export interface Ticker {
  start(everyMs: number, tick: () => void): { stop(): void };
}

export const realTicker: Ticker = {
  start(everyMs, tick) {
    const h = setInterval(tick, everyMs);
    // Flashing LEDs must never be what keeps a finishing process alive.
    h.unref();
    return { stop: () => clearInterval(h) };
  },
};

export interface GpiodLedOptions {
  /** Runs `gpioset` / `gpioinfo`; tests pass a fake that records command lines. */
  runner: ProcessRunner;
  /** GPIO chip name or path (`gpiochip0`; Raspberry Pi 5 header is also `gpiochip0` on current kernels). */
  chip?: string;
  /** Flash half-period in ms. */
  flashMs?: number;
  ticker?: Ticker;
  /** Told when a `gpioset` that should hold a line exits on its own (line taken by another program, chip gone). */
  onError?: (e: OutpostError) => void;
}

export { parseGpioinfo, parseGpiodVersion, type GpiodVersion } from '../adapters/gpiod-tools.js';

/**
 * The `gpioset` command line that holds one line at a value (or, v2 only, blinking) until killed.
 * A gpioset that exits releases the line and "the state is not guaranteed" after that (both
 * versions' manuals), so every lit LED is held by its own process.
 */
export function gpiosetArgs(
  version: GpiodVersion,
  chip: string,
  offset: number,
  level: 0 | 1 | 'blink',
  flashMs: number,
): string[] {
  if (version === 1) {
    if (level === 'blink') throw new Error('libgpiod v1 gpioset cannot blink');
    return ['--mode=signal', chip, `${offset}=${level}`];
  }
  // v2 toggles by itself; the sequence repeats because the last period is non-zero.
  if (level === 'blink') return ['-c', chip, '-t', `${flashMs}ms`, `${offset}=1`];
  return ['-c', chip, `${offset}=${level}`];
}

interface Line {
  offset: number;
  mode: LedMode;
  holder?: { stop: () => Promise<void> };
}

/**
 * GPIO LEDs through the libgpiod command-line tools, for boards or kernels without the
 * `gpio-led` overlay. Steady LEDs are held by one `gpioset` each; flashing uses v2's `--toggle`,
 * and on v1 (which cannot blink) a software timer re-runs `gpioset` every half-period.
 */
export class GpiodLedDriver implements LedDriver {
  readonly kind = 'gpiod' as const;
  private readonly runner: ProcessRunner;
  private readonly chip: string;
  private readonly flashMs: number;
  private readonly ticker: Ticker;
  private readonly onError: (e: OutpostError) => void;
  private versionP: Promise<GpiodVersion> | undefined;
  private infoP: Promise<Map<number, string | undefined>> | undefined;
  private readonly leds = new Map<string, Line>();
  /** Per-LED chain, so a tick and a set never race on one line. */
  private readonly chains = new Map<string, Promise<void>>();
  private flasher: { stop(): void } | undefined;
  private phase: 0 | 1 = 1;
  private closed = false;

  constructor(opts: GpiodLedOptions) {
    this.runner = opts.runner;
    this.chip = opts.chip ?? 'gpiochip0';
    this.flashMs = opts.flashMs ?? DEFAULT_FLASH_MS;
    this.ticker = opts.ticker ?? realTicker;
    this.onError = opts.onError ?? (() => undefined);
  }

  /** The detected libgpiod major version (runs `gpioset --version` once). */
  version(): Promise<GpiodVersion> {
    this.versionP ??= this.runner.run('gpioset', ['--version'], { timeoutMs: 5000 }).then((r) => {
      const v = parseGpiodVersion(`${r.stdout.toString('utf8')}\n${r.stderr}`);
      if (v === undefined)
        throw new OutpostError(
          'TOOL_MISSING',
          `cannot tell the libgpiod version from \`gpioset --version\``,
          {
            hint: 'Install the libgpiod tools: `sudo apt-get install gpiod`.',
          },
        );
      return v;
    });
    // Not cached when it fails: the tools may be installed while the station runs.
    this.versionP.catch(() => {
      this.versionP = undefined;
    });
    return this.versionP;
  }

  async check(leds: readonly string[]): Promise<void> {
    for (const led of leds) await this.line(led);
  }

  set(led: string, mode: LedMode): Promise<void> {
    return this.serial(led, async () => {
      if (this.closed) return;
      const line = await this.line(led);
      if (line.mode === mode && line.holder) return;
      line.mode = mode;
      const v = await this.version();
      if (mode === 'flash' && v === 1) await this.hold(led, line, this.phase);
      else await this.hold(led, line, mode === 'flash' ? 'blink' : mode === 'on' ? 1 : 0);
      this.updateFlasher(v);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flasher?.stop();
    this.flasher = undefined;
    await Promise.all([...this.chains.values()]);
    // Drive every line low before letting go: a released line may keep its last level.
    for (const [led, line] of this.leds) {
      if (!line.holder && line.mode === 'off') continue;
      await this.hold(led, line, 0).catch(() => undefined);
    }
    await Promise.all([...this.leds.values()].map((l) => l.holder?.stop()));
  }

  private serial(led: string, job: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(led) ?? Promise.resolve()).then(job);
    // The chain swallows errors so one failure does not block later writes; the caller still sees it.
    this.chains.set(
      led,
      next.catch(() => undefined),
    );
    return next;
  }

  private async line(led: string): Promise<Line> {
    const known = this.leds.get(led);
    if (known) return known;
    const version = await this.version();
    this.infoP ??= this.runner
      .run('gpioinfo', version === 1 ? [this.chip] : ['-c', this.chip], { timeoutMs: 5000 })
      .then((r) => {
        if (r.code !== 0)
          throw ledMissing(
            this.chip,
            `gpioinfo cannot open ${this.chip}: ${r.stderr.trim()}`,
            'Set indicators.gpiochip to a chip listed by `gpiodetect`.',
          );
        return parseGpioinfo(r.stdout.toString('utf8'));
      });
    // A failed lookup must not be cached: the next call tries again (chip may appear later).
    const info = await this.infoP.catch((e: unknown) => {
      this.infoP = undefined;
      throw e;
    });
    let offset: number | undefined;
    if (/^\d+$/.test(led)) offset = info.has(Number(led)) ? Number(led) : undefined;
    else for (const [o, name] of info) if (name === led) offset = o;
    if (offset === undefined)
      throw ledMissing(
        led,
        `no line "${led}" on ${this.chip}`,
        'With the gpiod driver, name LEDs by GPIO (BCM) number, e.g. indicators.leds.CARD.green: "17", ' +
          'or by a line name that `gpioinfo` lists.',
      );
    const line: Line = { offset, mode: 'off' };
    this.leds.set(led, line);
    return line;
  }

  /** Replace the line's holder: kill the old gpioset (and wait, or the line is busy), start a new one. */
  private async hold(led: string, line: Line, level: 0 | 1 | 'blink'): Promise<void> {
    await line.holder?.stop();
    line.holder = undefined;
    const version = await this.version();
    const ac = new AbortController();
    const args = gpiosetArgs(version, this.chip, line.offset, level, this.flashMs);
    const done = this.runner.run('gpioset', args, { signal: ac.signal }).then(
      (r) => {
        if (ac.signal.aborted) return;
        if (line.holder?.stop === stop) line.holder = undefined;
        this.onError(
          new OutpostError(
            'CONFIG_INVALID',
            `gpioset stopped holding LED "${led}" (line ${line.offset}): ${r.stderr.trim() || `exit ${r.code}`}`,
            {
              hint: 'Another program may own the line (`gpioinfo` shows consumers); free it and restart the station.',
              details: { led },
            },
          ),
        );
      },
      (e: unknown) => {
        if (!ac.signal.aborted)
          this.onError(e instanceof OutpostError ? e : new OutpostError('INTERNAL', String(e)));
      },
    );
    const stop = async (): Promise<void> => {
      ac.abort();
      await done;
    };
    line.holder = { stop };
  }

  /** v1 only: run one shared timer while any LED flashes, so all flashing LEDs blink in step. */
  private updateFlasher(version: GpiodVersion): void {
    const anyFlashing = [...this.leds.values()].some((l) => l.mode === 'flash');
    if (version === 1 && anyFlashing && !this.flasher && !this.closed) {
      this.flasher = this.ticker.start(this.flashMs, () => this.tick());
    } else if ((!anyFlashing || version !== 1) && this.flasher) {
      this.flasher.stop();
      this.flasher = undefined;
    }
  }

  private tick(): void {
    this.phase = this.phase === 1 ? 0 : 1;
    const phase = this.phase;
    for (const [led, line] of this.leds) {
      if (line.mode !== 'flash') continue;
      void this.serial(led, async () => {
        if (this.closed || line.mode !== 'flash') return;
        await this.hold(led, line, phase);
      }).catch((e: unknown) =>
        this.onError(e instanceof OutpostError ? e : new OutpostError('INTERNAL', String(e))),
      );
    }
  }
}
