/**
 * The station as a systemd service (packaging/systemd/outpost.service): READY=1 once it is up
 * (src/core/service-readiness.ts), STATUS= as drives come and go, WATCHDOG=1 from the event loop
 * at half WatchdogSec (a blocked loop stops the pings and systemd restarts the station), and
 * STOPPING=1 on the way out. Everything is a no-op when systemd did not start the station.
 */
import type { Logger } from '../adapters/logger.js';
import type { ServiceNotifier } from '../adapters/service-notify.js';
import {
  initialReadiness,
  nextReadiness,
  readinessStatus,
  type ReadinessFact,
} from '../core/service-readiness.js';
import type { StationEvents } from './events.js';

export interface ServiceSupervisorOptions {
  notifier: ServiceNotifier;
  events: StationEvents;
  /** The web app is configured: readiness waits for it once a library drive is attached. */
  serverEnabled: boolean;
  /** No library drive this long after start: the station is up, waiting for one. */
  graceMs: number;
  /** Up at the latest this long after start (below the unit's TimeoutStartSec). */
  maxWaitMs: number;
  log: Logger;
}

export interface ServiceSupervisor {
  /** For startStationServices: the web app listens, or could not start. */
  onServer(r: { url: string } | { error: string }): void;
  /** Resolves once READY=1 has been sent (or at once when systemd does not listen). */
  readonly ready: Promise<void>;
  /** Say STOPPING=1 (SIGTERM arrived). */
  stopping(): void;
  /** Stop the timers and wait for the last message. */
  close(): Promise<void>;
}

export function superviseService(opts: ServiceSupervisorOptions): ServiceSupervisor {
  const { notifier, events } = opts;
  let state = initialReadiness(opts.serverEnabled);
  let lastStatus = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  if (!notifier.enabled) markReady();
  let stopped = false;
  let last: Promise<void> = Promise.resolve();

  const apply = (fact: ReadinessFact): void => {
    if (stopped) return;
    const wasReady = state.ready;
    state = nextReadiness(state, fact);
    const status = readinessStatus(state);
    const becameReady = state.ready && !wasReady;
    if (!becameReady && status === lastStatus) return;
    lastStatus = status;
    last = notifier.notify({ ready: becameReady, status });
    if (becameReady) {
      opts.log.debug({ status }, 'service ready');
      void last.then(markReady);
    }
  };

  const onAttached = ({ label }: { label: string }): void => apply({ kind: 'library-attached', label });
  const onDetached = (): void => apply({ kind: 'library-detached' });
  events.on('library-attached', onAttached);
  events.on('library-detached', onDetached);
  const grace = setTimeout(() => apply({ kind: 'grace-elapsed' }), opts.graceMs);
  const maxWait = setTimeout(() => apply({ kind: 'max-wait-elapsed' }), opts.maxWaitMs);
  // Fired by the event loop itself: if it is blocked (or the process hangs), the pings stop.
  const every = notifier.watchdogIntervalMs;
  const ping = every ? setInterval(() => void notifier.notify({ watchdog: true }), every) : undefined;
  for (const t of [grace, maxWait, ping]) t?.unref();
  if (notifier.enabled) void notifier.notify({ status: 'starting', ...(every ? { watchdog: true } : {}) });

  const stopTimers = (): void => {
    clearTimeout(grace);
    clearTimeout(maxWait);
    if (ping) clearInterval(ping);
    events.off('library-attached', onAttached);
    events.off('library-detached', onDetached);
  };

  return {
    onServer: (r) =>
      apply(
        'url' in r ? { kind: 'server-listening', url: r.url } : { kind: 'server-failed', error: r.error },
      ),
    ready,
    stopping() {
      if (stopped) return;
      stopped = true;
      stopTimers();
      last = notifier.notify({ stopping: true, status: 'stopping' });
    },
    async close() {
      stopped = true;
      stopTimers();
      await last;
    },
  };
}
