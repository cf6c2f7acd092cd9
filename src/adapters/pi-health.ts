/**
 * A station's temperature and throttling, where the machine says: the first thermal zone in
 * sysfs (millidegrees) and, on a Raspberry Pi, `vcgencmd get_throttled` (bits 0–3: under-voltage,
 * frequency capped, throttled, soft temperature limit, now). Null where the machine has neither.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessRunner } from './process-runner.js';

export interface PiHealth {
  temperatureC: number | null;
  throttled: boolean | null;
}

/** `throttled=0x50005` → true when any of the "now" bits (0–3) is set. */
export function parseThrottled(out: string): boolean | null {
  const m = /throttled=0x([0-9a-f]+)/i.exec(out);
  return m ? (parseInt(m[1]!, 16) & 0xf) !== 0 : null;
}

export async function readPiHealth(o: { sysRoot?: string; runner?: ProcessRunner } = {}): Promise<PiHealth> {
  let temperatureC: number | null = null;
  try {
    const raw = await readFile(join(o.sysRoot ?? '/sys', 'class/thermal/thermal_zone0/temp'), 'utf8');
    const milli = Number(raw.trim());
    if (Number.isFinite(milli)) temperatureC = Math.round(milli / 100) / 10;
  } catch {
    // No thermal zone (a VM, a container): unknown.
  }
  let throttled: boolean | null = null;
  if (o.runner) {
    const r = await o.runner.run('vcgencmd', ['get_throttled'], { timeoutMs: 2000 }).catch(() => undefined);
    if (r && r.code === 0) throttled = parseThrottled(r.stdout.toString());
  }
  return { temperatureC, throttled };
}
