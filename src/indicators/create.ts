import type { ProcessRunner } from '../adapters/process-runner.js';
import type { OutpostError } from '../core/errors.js';
import type { LedDriver, LedMap } from './driver.js';
import { GpiodLedDriver } from './gpiod.js';
import { IndicatorPanel } from './panel.js';
import { SysfsLedDriver } from './sysfs.js';
import { VirtualLedDriver } from './virtual.js';

/** The `indicators:` config, as the station passes it in. */
export interface IndicatorSettings {
  driver: 'sysfs' | 'gpiod' | 'virtual' | 'none';
  sysfsRoot: string;
  gpiochip: string;
  flashMs: number;
  /** Every indicator's LEDs (the config filled in the driver's defaults). */
  leds: LedMap;
}

export interface IndicatorDeps {
  runner: ProcessRunner;
  /** Asynchronous LED failures (a held gpioset died); log them, the station keeps running. */
  onError?: (e: OutpostError) => void;
}

/** The configured LED driver, or undefined for `driver: none`. */
export function createLedDriver(cfg: IndicatorSettings, deps: IndicatorDeps): LedDriver | undefined {
  switch (cfg.driver) {
    case 'none':
      return undefined;
    case 'virtual':
      return new VirtualLedDriver();
    case 'sysfs':
      return new SysfsLedDriver({ root: cfg.sysfsRoot, flashMs: cfg.flashMs });
    case 'gpiod':
      return new GpiodLedDriver({
        runner: deps.runner,
        chip: cfg.gpiochip,
        flashMs: cfg.flashMs,
        ...(deps.onError ? { onError: deps.onError } : {}),
      });
  }
}

/**
 * Driver + panel, checked: throws CONFIG_INVALID naming the first missing LED. Undefined for
 * `driver: none`.
 */
export async function openIndicatorPanel(
  cfg: IndicatorSettings,
  deps: IndicatorDeps,
): Promise<{ panel: IndicatorPanel; driver: LedDriver } | undefined> {
  const driver = createLedDriver(cfg, deps);
  if (!driver) return undefined;
  const panel = new IndicatorPanel(driver, cfg.leds);
  try {
    await driver.check(panel.ledNames());
  } catch (e) {
    await driver.close().catch(() => undefined);
    throw e;
  }
  return { panel, driver };
}
