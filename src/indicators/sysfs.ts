import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';
import { DEFAULT_FLASH_MS, type LedDriver, type LedMode } from './driver.js';
import { ledMissing, ledWriteFailed, overlayHint } from './errors.js';

export interface SysfsLedOptions {
  /** The LED class directory; tests point this at a fake tree. Default `/sys/class/leds`. */
  root?: string;
  /** Flash half-period in ms. The kernel timer trigger's default is 500, so 500 writes no delay files. */
  flashMs?: number;
}

/** The current trigger in a `trigger` file: the kernel brackets it (`none [timer] heartbeat`). */
export function currentTrigger(text: string): string {
  const m = /\[([^\]]+)\]/.exec(text);
  return m ? m[1]! : text.trim();
}

/**
 * Linux LED class driver (`/sys/class/leds/<name>`), e.g. GPIO LEDs from the `gpio-led` overlay.
 * Flashing uses the kernel `timer` trigger, so LEDs keep blinking even if Node is busy.
 */
export class SysfsLedDriver implements LedDriver {
  readonly kind = 'sysfs' as const;
  private readonly root: string;
  private readonly flashMs: number;
  private readonly maxBrightness = new Map<string, number>();
  private readonly touched = new Set<string>();
  private closed = false;

  constructor(opts: SysfsLedOptions = {}) {
    this.root = opts.root ?? '/sys/class/leds';
    this.flashMs = opts.flashMs ?? DEFAULT_FLASH_MS;
  }

  async check(leds: readonly string[]): Promise<void> {
    for (const led of leds) {
      await this.max(led);
      const triggers = await readFile(this.file(led, 'trigger'), 'utf8').catch((e: unknown) => {
        throw ledWriteFailed(led, this.file(led, 'trigger'), e);
      });
      if (!/(^|[\s[])timer(\]|\s|$)/.test(triggers))
        throw ledMissing(
          led,
          `${this.file(led, 'trigger')} offers no "timer" trigger`,
          'Load the timer trigger: `sudo modprobe ledtrig-timer` (and add ledtrig-timer to /etc/modules).',
        );
    }
  }

  async set(led: string, mode: LedMode): Promise<void> {
    if (this.closed) return;
    const max = await this.max(led);
    this.touched.add(led);
    if (mode === 'flash') {
      await this.write(led, 'trigger', 'timer');
      // The timer trigger starts at 500/500 ms; only write the delays when asked for another
      // speed, because the kernel creates these files root-only and a udev rule cannot reach them.
      if (this.flashMs !== DEFAULT_FLASH_MS) {
        await this.write(led, 'delay_on', String(this.flashMs));
        await this.write(led, 'delay_off', String(this.flashMs));
      }
      return;
    }
    // Leaving the timer trigger first, otherwise it would overwrite our brightness on its next tick.
    await this.write(led, 'trigger', 'none');
    await this.write(led, 'brightness', mode === 'on' ? String(max) : '0');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const leds = [...this.touched];
    const errors: unknown[] = [];
    for (const led of leds)
      await this.set(led, 'off').catch((e: unknown) => {
        errors.push(e);
      });
    this.closed = true;
    if (errors.length) throw errors[0];
  }

  private file(led: string, attr: string): string {
    return join(this.root, led, attr);
  }

  private async max(led: string): Promise<number> {
    const known = this.maxBrightness.get(led);
    if (known !== undefined) return known;
    if (led.includes('/') || led === '.' || led === '..')
      throw ledMissing(
        led,
        'not a valid LED name',
        `LED names under indicators.leds are directory names in ${this.root}, e.g. outpost-card-green.`,
      );
    try {
      await stat(join(this.root, led));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw ledMissing(led, `no ${join(this.root, led)}`, overlayHint(led));
      throw ledWriteFailed(led, join(this.root, led), e);
    }
    // gpio-led LEDs have max_brightness 1; PWM LEDs 255. Fall back to 1 if the file is odd.
    const text = await readFile(this.file(led, 'max_brightness'), 'utf8').catch(() => '1');
    const n = Number.parseInt(text.trim(), 10);
    const max = Number.isFinite(n) && n > 0 ? n : 1;
    this.maxBrightness.set(led, max);
    return max;
  }

  private async write(led: string, attr: string, value: string): Promise<void> {
    const path = this.file(led, attr);
    try {
      await writeFile(path, value);
    } catch (e) {
      throw ledWriteFailed(led, path, e);
    }
  }
}
