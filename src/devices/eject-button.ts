/**
 * A push button that ejects drive A: a GPIO line wired to ground through the button, read with
 * libgpiod's `gpiomon` (internal pull-up, falling edge = pressed). `gpiomon` waits for one press
 * and exits; the watcher handles it and waits for the next one. Wiring: README, Hardware.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { parseGpiodVersion, type GpiodVersion } from '../indicators/gpiod.js';

/** `gpiomon` waiting for one press (falling edge with the internal pull-up). */
export function gpiomonArgs(version: GpiodVersion, chip: string, line: number): string[] {
  if (version === 1) return ['--num-events=1', '--falling-edge', '--bias=pull-up', chip, String(line)];
  return [
    '--num-events=1',
    '--edges=falling',
    '--bias=pull-up',
    '--debounce-period=20ms',
    '--chip',
    chip,
    String(line),
  ];
}

export interface EjectButtonOptions {
  runner: ProcessRunner;
  chip: string;
  line: number;
  signal: AbortSignal;
  log: Logger;
  /** A press: eject drive A (its result shows on the DRIVE A light). */
  onPress: () => Promise<void>;
  /** Presses closer together than this count once (contact bounce, a double press). */
  settleMs?: number;
  /** Wait before trying again after gpiomon failed (line busy, no chip). */
  retryMs?: number;
}

/** Runs until the signal aborts; never rejects. */
export async function watchEjectButton(o: EjectButtonOptions): Promise<void> {
  const settleMs = o.settleMs ?? 1000;
  const retryMs = o.retryMs ?? 30_000;
  let version: GpiodVersion | undefined;
  let told = false;
  while (!o.signal.aborted) {
    try {
      version ??=
        parseGpiodVersion(
          (await o.runner.run('gpiomon', ['--version'], { timeoutMs: 5000 })).stdout.toString(),
        ) ?? 1;
      const r = await o.runner.run('gpiomon', gpiomonArgs(version, o.chip, o.line), { signal: o.signal });
      if (o.signal.aborted) break;
      if (r.code !== 0) throw new Error(r.stderr.trim() || `gpiomon exit ${r.code}`);
      told = false;
      o.log.info({ chip: o.chip, line: o.line }, 'eject button pressed');
      await o.onPress().catch((err: unknown) => o.log.warn({ err }, 'eject button'));
      await sleep(settleMs, undefined, { signal: o.signal }).catch(() => undefined);
    } catch (err) {
      if (o.signal.aborted) break;
      if (!told)
        o.log.error(
          {
            err: err instanceof Error ? err.message : String(err),
            hint: 'install gpiod (apt-get install gpiod) and check station.devices.ejectButton',
          },
          'eject button not working',
        );
      told = true;
      version = undefined;
      await sleep(retryMs, undefined, { signal: o.signal }).catch(() => undefined);
    }
  }
}
