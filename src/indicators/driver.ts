import type { Indicator, Look } from '../core/indicators.js';

/** What one physical LED does. Flash timing belongs to the driver (one `flashMs` for all LEDs). */
export type LedMode = 'on' | 'off' | 'flash';

/**
 * A set of single-colour LEDs addressed by name. Each indicator is two of them (green + red,
 * or the two dies of a bi-colour LED), combined by the panel.
 */
export interface LedDriver {
  readonly kind: 'sysfs' | 'gpiod' | 'virtual';
  /**
   * Check that every named LED exists and can be driven; throws CONFIG_INVALID naming the first
   * missing one and how to add it. Call once at start so a wiring mistake shows up immediately.
   */
  check(leds: readonly string[]): Promise<void>;
  /** Put one LED in a mode. Setting the mode it already has is harmless. */
  set(led: string, mode: LedMode): Promise<void>;
  /** Turn every LED this driver touched off and release timers and child processes. Later `set`s are ignored. */
  close(): Promise<void>;
}

/** The two LED names behind one indicator. */
export interface IndicatorLeds {
  green: string;
  red: string;
}

export type LedMap = Record<Indicator, IndicatorLeds>;

/** Default flash half-period: 500 ms on, 500 ms off (also the kernel timer trigger's default). */
export const DEFAULT_FLASH_MS = 500;

/** The green and red LED modes that make a look. Never both lit: on a bi-colour LED that is amber. */
export function ledModesFor(look: Look): { green: LedMode; red: LedMode } {
  switch (look) {
    case 'green':
      return { green: 'on', red: 'off' };
    case 'green-flash':
      return { green: 'flash', red: 'off' };
    case 'red':
      return { green: 'off', red: 'on' };
    case 'red-flash':
      return { green: 'off', red: 'flash' };
    case 'off':
      return { green: 'off', red: 'off' };
  }
}

/** The inverse of `ledModesFor`; undefined for combinations the panel never makes (both lit). */
export function lookFromModes(green: LedMode, red: LedMode): Look | undefined {
  if (red === 'off') return green === 'on' ? 'green' : green === 'flash' ? 'green-flash' : 'off';
  if (green === 'off') return red === 'on' ? 'red' : 'red-flash';
  return undefined;
}
