import { INDICATORS, type Looks } from '../core/indicators.js';
import { ledModesFor, type LedDriver, type LedMap, type LedMode } from './driver.js';

/**
 * Applies indicator looks to LEDs through the config's mapping (indicator → green/red LED),
 * writing only LEDs whose mode changed. Calls are serialised and coalesced: while one apply is
 * writing, further applies collapse into the latest, so a burst of ingest progress costs one write.
 */
export class IndicatorPanel {
  private readonly written = new Map<string, LedMode>();
  private wanted: Looks | undefined;
  private running: Promise<void> | undefined;
  private shown: Looks | undefined;

  constructor(
    private readonly driver: LedDriver,
    private readonly leds: LedMap,
  ) {}

  /** Every LED name in the mapping, for `driver.check()`. */
  ledNames(): string[] {
    return INDICATORS.flatMap((i) => [this.leds[i].green, this.leds[i].red]);
  }

  /** The looks last applied in full (undefined before the first apply finished). */
  current(): Looks | undefined {
    return this.shown && { ...this.shown };
  }

  /** Show these looks. Resolves when they (or a later call's looks) are on the LEDs. */
  apply(looks: Looks): Promise<void> {
    this.wanted = { ...looks };
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    while (this.wanted) {
      const looks = this.wanted;
      this.wanted = undefined;
      const offs: [string, LedMode][] = [];
      const ons: [string, LedMode][] = [];
      for (const ind of INDICATORS) {
        const modes = ledModesFor(looks[ind]);
        for (const [led, mode] of [
          [this.leds[ind].green, modes.green],
          [this.leds[ind].red, modes.red],
        ] as const) {
          if (this.written.get(led) === mode) continue;
          (mode === 'off' ? offs : ons).push([led, mode]);
        }
      }
      // Offs before ons: a bi-colour LED never shows both dies (amber) between looks.
      for (const [led, mode] of [...offs, ...ons]) {
        // Forget the LED first: if the write fails, the next apply writes it again.
        this.written.delete(led);
        await this.driver.set(led, mode);
        this.written.set(led, mode);
      }
      this.shown = looks;
    }
  }

  /** Forget what was written (e.g. after the driver was re-opened) so the next apply writes every LED. */
  reset(): void {
    this.written.clear();
  }

  /** Wait for pending writes, then turn the LEDs off and release the driver. */
  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.driver.close();
  }
}
