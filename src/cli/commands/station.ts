import type { Command } from 'commander';
import { buildTimeMs } from '../../adapters/build-time.js';
import { createServiceNotifier } from '../../adapters/service-notify.js';
import { ClockWatch } from '../../devices/clock-watch.js';
import { forwardClockStatus } from '../../station/clock.js';
import { startUpsShutdown } from '../../station/power.js';
import { superviseService } from '../../station/service-supervisor.js';
import { startStationServices } from '../../station/services.js';
import { startStation } from '../../station/station.js';
import { buildContext } from '../context.js';
import { run } from '../run.js';

/** No library drive this long after start: READY=1, the station waits for one. */
const READY_GRACE_MS = 5_000;
/** READY=1 at the latest (the unit's TimeoutStartSec is 90 s). */
const READY_MAX_WAIT_MS = 60_000;

export function registerStation(program: Command): void {
  program
    .command('station')
    .description('run the station: ingest every card inserted under the watched mount roots')
    .option(
      '--library <drive>',
      'library drive (default: config `library`, else the first library drive mounted)',
    )
    .option('--watch <dirs>', 'comma-separated mount roots to watch (default: /media,/run/media)')
    .option('--port <port>', 'port of the web app and API (default 8080; 0 picks a free one)')
    .option('--no-server', 'do not serve the web app and API')
    .action((o: { library?: string; watch?: string; port?: string; server: boolean }, cmd: Command) =>
      run(cmd, false, async () => {
        const overrides: Record<string, unknown> = {};
        if (o.watch) overrides.station = { watchRoots: o.watch.split(',').filter(Boolean) };
        if (o.port !== undefined || !o.server)
          overrides.server = {
            ...(o.port !== undefined ? { port: Number(o.port) } : {}),
            ...(o.server ? {} : { enabled: false }),
          };
        const base = await buildContext(cmd.optsWithGlobals(), overrides);
        // A Pi has no battery clock: cards and cameras wait while it looks wrong, and everything
        // else runs on the watch's best idea of the time (README, "The clock").
        const clockWatch = new ClockWatch({
          clock: base.clock,
          setter: base.clockSetter,
          buildMs: buildTimeMs(),
          stateFile: base.config.station.clock.stateFile,
          log: base.log,
        });
        await clockWatch.start();
        const ctx = { ...base, clock: clockWatch.clock, clockWatch };
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        process.once('SIGTERM', () => abort.abort());
        const library = o.library ?? ctx.config.library;
        ctx.log.info(
          { roots: ctx.config.station.watchRoots, library: library ?? '(first library drive mounted)' },
          'station started',
        );
        const station = startStation(ctx, { library, signal: abort.signal });
        const { events, done } = station;
        const unforwardClock = forwardClockStatus(clockWatch, events, ctx.log);
        // systemd (packaging/systemd/outpost.service): READY=1, STATUS=, WATCHDOG=1, STOPPING=1.
        const notifier = createServiceNotifier({
          runner: ctx.runner,
          onError: (message) =>
            ctx.log.warn(
              { hint: 'systemd-notify (package systemd) sends them; the unit needs NotifyAccess=all' },
              message,
            ),
        });
        const supervisor = superviseService({
          notifier,
          events,
          serverEnabled: ctx.config.server.enabled,
          graceMs: Math.max(READY_GRACE_MS, 2 * ctx.config.station.pollIntervalMs),
          maxWaitMs: READY_MAX_WAIT_MS,
          log: ctx.log,
        });
        const services = startStationServices(ctx, station, { onServer: supervisor.onServer });
        abort.signal.addEventListener('abort', () => supervisor.stopping(), { once: true });
        events.on('ingest-progress', ({ mountPoint, progress }) => {
          if (progress.phase !== 'copy') ctx.log.debug({ mountPoint, phase: progress.phase }, 'ingest');
        });
        // Everything stops once: on SIGTERM, or when the UPS says the battery is low (then the
        // machine is synced and powered off after this).
        let stopping: Promise<void> | undefined;
        const stop = (): Promise<void> =>
          (stopping ??= (async () => {
            abort.abort();
            await done;
            await services.close();
            await supervisor.close();
          })());
        const ups = startUpsShutdown(
          ctx.config,
          ctx,
          { drain: (ms) => station.drain(ms), shutdownRequested: stop },
          (detail) => events.emit('power-low', { detail }),
        );
        await done;
        await stop();
        await ups?.done();
        ups?.stop();
        unforwardClock();
        await clockWatch.close();
      }),
    );
}
