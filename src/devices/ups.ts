/**
 * The UPS HAT's low-battery signal, read every few seconds: a battery under
 * /sys/class/power_supply (HATs with a kernel driver or a fuel gauge the kernel knows), or a GPIO
 * line the HAT drives (read with libgpiod's `gpioget`, as src/indicators/gpiod.ts drives LEDs).
 * Two low readings in a row call `onLow` once; the station then shuts down cleanly
 * (src/station/power.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import { batteryLow, lowStreak, parseGpioget, type BatteryReading, type LowVerdict } from '../core/ups.js';
import { parseGpiodVersion, type GpiodVersion } from '../indicators/gpiod.js';

export interface UpsSettings {
  source: 'none' | 'gpio' | 'power-supply';
  gpioChip: string;
  line?: number | undefined;
  activeLow: boolean;
  powerSupply?: string | undefined;
  powerSupplyRoot: string;
  lowPercent: number;
  pollSeconds: number;
}

/** Low readings in a row before the shutdown starts. */
export const LOW_READINGS = 2;

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/**
 * The battery to watch: `name` when given, else the first entry whose `type` is Battery and whose
 * `scope` is not Device (a wireless mouse's battery is scope Device). undefined: none there.
 */
export async function findBattery(root: string, name?: string): Promise<string | undefined> {
  if (name) return (await readText(join(root, name, 'type'))) !== undefined ? name : undefined;
  const entries = await readdir(root).catch(() => [] as string[]);
  for (const e of entries.sort()) {
    if ((await readText(join(root, e, 'type'))) !== 'Battery') continue;
    if ((await readText(join(root, e, 'scope'))) === 'Device') continue;
    return e;
  }
  return undefined;
}

export async function readBattery(root: string, name: string): Promise<BatteryReading> {
  const capacity = await readText(join(root, name, 'capacity'));
  const n = capacity === undefined ? Number.NaN : Number(capacity);
  return {
    name,
    capacity: Number.isFinite(n) ? n : undefined,
    capacityLevel: await readText(join(root, name, 'capacity_level')),
    status: await readText(join(root, name, 'status')),
  };
}

/** `gpioget` arguments that read one line as an input (v1: `chip line`; v2: `-c chip --numeric line`). */
export function gpiogetArgs(version: GpiodVersion, chip: string, line: number): string[] {
  return version === 1 ? [chip, String(line)] : ['-c', chip, '--numeric', String(line)];
}

export interface UpsWatchOptions {
  settings: UpsSettings;
  runner: ProcessRunner;
  /** Called once, after {@link LOW_READINGS} low readings in a row. */
  onLow(detail: string): void;
  /** Every reading (the status page shows the battery). */
  onReading?(v: LowVerdict): void;
  /** A reading failed (told once until one succeeds again). */
  onError?(e: OutpostError): void;
}

export interface UpsWatch {
  /** Read once now (tests; the timer calls it too). */
  poll(): Promise<LowVerdict | undefined>;
  stop(): void;
}

/** Reads the configured signal; undefined for source none. */
export function watchUps(o: UpsWatchOptions): UpsWatch | undefined {
  const s = o.settings;
  if (s.source === 'none') return undefined;
  let streak = 0;
  let fired = false;
  let erred = false;
  let version: GpiodVersion | undefined;
  let battery: string | undefined;

  const readGpio = async (): Promise<LowVerdict> => {
    if (version === undefined) {
      const v = await o.runner.run('gpioget', ['--version'], { timeoutMs: 5000 });
      version = parseGpiodVersion(`${v.stdout.toString('utf8')} ${v.stderr}`) ?? 1;
    }
    const line = s.line!;
    const r = await o.runner.run('gpioget', gpiogetArgs(version, s.gpioChip, line), { timeoutMs: 5000 });
    const value = r.code === 0 ? parseGpioget(r.stdout.toString('utf8')) : undefined;
    if (value === undefined)
      throw new OutpostError(
        'SYSTEM_COMMAND_FAILED',
        `gpioget ${s.gpioChip} ${line}: ${r.stderr.trim() || `exit ${r.code}`}`,
        {
          hint: 'Check station.ups.gpioChip and line (`gpioinfo`), and that no other program holds the line.',
        },
      );
    const active = s.activeLow ? value === 0 : value === 1;
    return {
      low: active,
      detail: `UPS signal on ${s.gpioChip} line ${line} is ${active ? 'active (battery low or power lost)' : 'inactive'}`,
    };
  };

  const readSupply = async (): Promise<LowVerdict> => {
    battery ??= await findBattery(s.powerSupplyRoot, s.powerSupply);
    if (!battery)
      throw new OutpostError(
        'SYSTEM_COMMAND_FAILED',
        `no battery ${s.powerSupply ?? '(type Battery)'} under ${s.powerSupplyRoot}`,
        {
          hint: "Is the UPS HAT's driver loaded (`ls /sys/class/power_supply`)? Set station.ups.powerSupply to its name.",
        },
      );
    return batteryLow(await readBattery(s.powerSupplyRoot, battery), s.lowPercent);
  };

  const poll = async (): Promise<LowVerdict | undefined> => {
    let v: LowVerdict;
    try {
      v = s.source === 'gpio' ? await readGpio() : await readSupply();
    } catch (e) {
      if (!erred) {
        erred = true;
        o.onError?.(
          isOutpostError(e) ? e : new OutpostError('SYSTEM_COMMAND_FAILED', String(e), { cause: e }),
        );
      }
      return undefined;
    }
    erred = false;
    streak = lowStreak(streak, v.low);
    o.onReading?.(v);
    if (streak >= LOW_READINGS && !fired) {
      fired = true;
      o.onLow(v.detail);
    }
    return v;
  };

  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void poll().finally(() => (busy = false));
  }, s.pollSeconds * 1000);
  timer.unref();
  return { poll, stop: () => clearInterval(timer) };
}
