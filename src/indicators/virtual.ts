import { EventEmitter } from 'node:events';
import { ledMissing } from './errors.js';
import type { LedDriver, LedMode } from './driver.js';

export interface VirtualLedOptions {
  /** If given, only these LEDs exist (like real hardware); otherwise any name is accepted. */
  leds?: readonly string[];
}

export interface VirtualLedEvents {
  change: [{ led: string; mode: LedMode }];
}

/**
 * LEDs kept in memory. The station's default driver: nothing to wire, and the web app's status
 * panel and `outpost status` can show what the box would show. Also the reference for the contract tests.
 */
export class VirtualLedDriver extends EventEmitter<VirtualLedEvents> implements LedDriver {
  readonly kind = 'virtual' as const;
  private readonly known: ReadonlySet<string> | undefined;
  private readonly modes = new Map<string, LedMode>();
  private closed = false;

  constructor(opts: VirtualLedOptions = {}) {
    super();
    this.known = opts.leds ? new Set(opts.leds) : undefined;
  }

  async check(leds: readonly string[]): Promise<void> {
    for (const led of leds) this.assertKnown(led);
  }

  async set(led: string, mode: LedMode): Promise<void> {
    if (this.closed) return;
    this.assertKnown(led);
    if (this.modes.get(led) !== mode) {
      this.modes.set(led, mode);
      this.emit('change', { led, mode });
    }
  }

  /** The mode of one LED ('off' if never set). */
  get(led: string): LedMode {
    return this.modes.get(led) ?? 'off';
  }

  /** Every LED that was set, with its mode. */
  snapshot(): Record<string, LedMode> {
    return Object.fromEntries(this.modes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const led of [...this.modes.keys()]) await this.set(led, 'off');
    this.closed = true;
  }

  private assertKnown(led: string): void {
    if (this.known && !this.known.has(led))
      throw ledMissing(
        led,
        'not among the virtual LEDs',
        'Fix the LED name under indicators.leds in the config.',
      );
  }
}
