/**
 * Reading a UPS: when is the battery low enough that the station must shut down cleanly? Pure;
 * src/devices/ups.ts reads the files and lines.
 */

/** What /sys/class/power_supply/<name>/ says about a battery (absent files stay undefined). */
export interface BatteryReading {
  name: string;
  /** `capacity`: percent. */
  capacity?: number | undefined;
  /** `capacity_level`: Unknown, Critical, Low, Normal, High, Full. */
  capacityLevel?: string | undefined;
  /** `status`: Unknown, Charging, Discharging, Not charging, Full. */
  status?: string | undefined;
}

export interface LowVerdict {
  low: boolean;
  /** For the log and the status page, e.g. "battery BAT0 at 12 % and discharging". */
  detail: string;
}

/**
 * Low: the battery is not being charged and its capacity is at or below `lowPercent` (or, with no
 * capacity file, the driver says Critical). Charging or full is never low, whatever the number
 * (a capacity that lags behind a charger coming back).
 */
export function batteryLow(r: BatteryReading, lowPercent: number): LowVerdict {
  const charging = r.status === 'Charging' || r.status === 'Full';
  const state = r.status ? r.status.toLowerCase() : 'status unknown';
  if (r.capacity !== undefined && Number.isFinite(r.capacity)) {
    const detail = `battery ${r.name} at ${r.capacity} % (${state})`;
    return { low: !charging && r.capacity <= lowPercent, detail };
  }
  const level = r.capacityLevel ?? 'Unknown';
  return { low: !charging && level === 'Critical', detail: `battery ${r.name} level ${level} (${state})` };
}

/**
 * `gpioget` output → the line's value: v1 and v2 `--numeric` print `0`/`1`; v2 by default
 * `"17"=active` / `"17"=inactive`. undefined when it is neither.
 */
export function parseGpioget(text: string): 0 | 1 | undefined {
  const t = text.trim();
  if (/=\s*inactive\b/.test(t)) return 0;
  if (/=\s*active\b/.test(t)) return 1;
  if (t === '0' || t === '1') return Number(t) as 0 | 1;
  return undefined;
}

/**
 * Debounce: the shutdown starts after `needed` low readings in a row (a glitch on the line, a
 * capacity estimate dipping for a moment under load, must not power the station off).
 */
export function lowStreak(previous: number, low: boolean): number {
  return low ? previous + 1 : 0;
}
