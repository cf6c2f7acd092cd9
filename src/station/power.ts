/**
 * Clean shutdown on a UPS's low-battery signal (src/devices/ups.ts): the station stops taking new
 * work, lets the file being copied finish, stops (the composition root's `shutdownRequested`:
 * services closed, catalogues closed, what the station mounted unmounted), flushes, and powers the
 * machine off. A Li-ion UPS HAT gives minutes, not hours: everything here is bounded.
 */
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import type { Config } from '../config/schema.js';
import { watchUps, type UpsWatch } from '../devices/ups.js';

export interface PowerDownSteps {
  /** Stop taking new work; resolves when the running work has finished its current file (or after `graceMs`). */
  drain(graceMs: number): Promise<void>;
  /** Stop the station: services, catalogues, and unmount what it mounted. */
  shutdownRequested(): Promise<void>;
}

export interface PowerDownOptions {
  runner: ProcessRunner;
  log: Logger;
  graceMs: number;
  powerOff: boolean;
}

/** The steps in order; each failure is logged and the next step still runs (the battery will not wait). */
export async function powerDown(reason: string, steps: PowerDownSteps, o: PowerDownOptions): Promise<void> {
  o.log.warn({ reason }, 'UPS battery low: finishing the current file, then shutting down');
  const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      o.log.error({ err }, `shutdown: ${what} failed`);
    }
  };
  await step('finishing the current work', () => steps.drain(o.graceMs));
  await step('stopping the station', () => steps.shutdownRequested());
  await step('sync', () => o.runner.run('sync', [], { timeoutMs: 60_000 }));
  if (!o.powerOff) {
    o.log.warn('shutdown: station stopped; station.ups.powerOff is false, the machine stays on');
    return;
  }
  await step('power off', async () => {
    const r = await o.runner.run('systemctl', ['poweroff'], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`systemctl poweroff exited ${r.code}: ${r.stderr.trim()}`);
  });
}

/**
 * Watch the UPS of `config.station.ups` and run {@link powerDown} once when it says low.
 * Returns undefined when no UPS is configured.
 */
export function startUpsShutdown(
  config: Config,
  deps: { runner: ProcessRunner; log: Logger },
  steps: PowerDownSteps,
  onLow?: (detail: string) => void,
): { stop(): void; done(): Promise<void> } | undefined {
  const ups = config.station.ups;
  let running: Promise<void> | undefined;
  const watch: UpsWatch | undefined = watchUps({
    settings: ups,
    runner: deps.runner,
    onLow: (detail) => {
      onLow?.(detail);
      running ??= powerDown(detail, steps, {
        runner: deps.runner,
        log: deps.log,
        graceMs: ups.finishSeconds * 1000,
        powerOff: ups.powerOff,
      });
    },
    onError: (e) => deps.log.warn({ code: e.code, hint: e.hint }, `UPS: ${e.message}`),
  });
  if (!watch) return undefined;
  deps.log.info({ source: ups.source }, 'watching the UPS battery');
  return { stop: () => watch.stop(), done: () => running ?? Promise.resolve() };
}
