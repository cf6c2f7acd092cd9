import type { StationHttps } from './lan-https.js';
import { createVideoApi, type VideoApi } from '../video/control.js';
import type { FastifyInstance } from 'fastify';
import { mbtilesAt } from '../adapters/mbtiles.js';
import { nodeProcessRunner } from '../adapters/process-runner.js';
import { indicatorViews, looksOf } from '../core/indicators.js';
import { openDamageCount } from '../drives/scrub-store.js';
import { isOutpostError } from '../core/errors.js';
import { openIndicatorPanel } from '../indicators/create.js';
import type { IndicatorPanel } from '../indicators/panel.js';
import { openCatalog, type Catalog } from '../library/catalog/open.js';
import { openDrive, type Drive } from '../library/drive.js';
import { buildApp } from '../server/app.js';
import { announceIfNoUsers, announcedSetupCodes } from '../server/first-user.js';
import { limitsFromConfig } from '../server/http-limits.js';
import { startServer } from '../server/server.js';
import { createUplink } from '../uplink/create.js';
import type { UplinkRunner, UplinkStatus } from '../uplink/runner.js';
import { writeStatusFile } from './status-file.js';
import { controlSocketPath, startControlSocket } from './control-socket.js';
import { watchEjectButton } from '../devices/eject-button.js';
import { startStationCameras } from './cameras.js';
import { startStationSnapshots } from './snapshots.js';
import { createStationRtsp } from './rtsp.js';
import type { StationFleet } from './fleet-agent.js';
import { createStationStatus } from './station-status.js';
import type { Station, StationDeps } from './station.js';

const LED_EVERY_MS = 1000;

interface UplinkHandle {
  runner: UplinkRunner;
  abort: AbortController;
  done: Promise<unknown>;
  catalog: Catalog;
  close(): void;
}

/** Who else wants to know how the services are doing (systemd readiness: station/service-supervisor.ts). */
export interface StationServicesHooks {
  /** The web app and API listen at `url`, or could not start. */
  onServer?(r: { url: string } | { error: string }): void;
}

/**
 * What runs beside ingest while a library drive is attached: the web app and API, the uplink to
 * HQ (when configured) and the status LEDs. Each part that fails to start is logged with what to
 * do; the others and ingest carry on.
 */
export function startStationServices(
  ctx: StationDeps,
  station: Station,
  hooks: StationServicesHooks = {},
): { close(): Promise<void> } {
  const events = station.events;
  let drive: Drive | undefined;
  let app: FastifyInstance | undefined;
  let serverCatalog: Catalog | undefined;
  /** Exports of the drive being served (one at a time): cancelled before the drive goes. */
  let video: VideoApi | undefined;
  let https: StationHttps | undefined;
  let serving: Promise<void> | undefined;
  /** The previous web app closing (after a library drive went away); a new one waits for it. */
  let closing: Promise<unknown> = Promise.resolve();
  /** The drive's files the web app and uplink had open, being closed (awaited before an unmount). */
  let releasing: Promise<unknown> = Promise.resolve();
  let uplink: UplinkHandle | undefined;
  let panel: IndicatorPanel | undefined;
  // Cameras record while a library drive is attached (docs/recorder.md).
  // The RTSP relay: started the first time a camera streams (docs/rtsp-stream.md).
  const rtsp = createStationRtsp(ctx.config, ctx.log);
  const cameras = startStationCameras(ctx, events, rtsp);
  // IP cameras' snapshots by FTP or HTTP, their timelapses and retention (docs/snapshots.md).
  const snapshots = startStationSnapshots(ctx, events);
  // The fleet agent (docs/fleet.md), when configured: sessions borrow these cameras. Its code
  // (MQTT, the broker) is loaded only then: a station without a fleet keeps its memory.
  let fleet: StationFleet | undefined;
  const fleetStarted = ctx.config.fleet.enabled
    ? import('./fleet-agent.js')
        .then((m) => {
          fleet = m.startStationFleet(
            ctx,
            events,
            cameras,
            () => drive,
            () => uplinkStatus()?.pendingBytes ?? null,
            rtsp,
          );
        })
        .catch((e: unknown) =>
          ctx.log.error({ err: e }, `fleet agent not started: ${e instanceof Error ? e.message : String(e)}`),
        )
    : Promise.resolve();
  // The conductor for the web app's Fleet page (and the embedded broker), when configured.
  const conductor = ctx.config.fleet.conductor.enabled
    ? import('./fleet-conductor.js')
        .then((m) => m.startStationConductor(ctx))
        .catch((e: unknown) => {
          ctx.log.error(
            { err: e },
            `fleet conductor not started: ${e instanceof Error ? e.message : String(e)} (is port ${ctx.config.fleet.conductor.embeddedBroker.port} in use?)`,
          );
          return undefined;
        })
    : Promise.resolve(undefined);
  // The offline map's tiles (docs/map.md): read when asked, reopened after an import.
  const mapTiles = mbtilesAt(ctx.config.station.map.file);

  const uplinkStatus = (): UplinkStatus | null => uplink?.runner.status() ?? null;
  // What the station is doing, once: the LEDs below and the web app's /api/status show it.
  const status = createStationStatus({
    events,
    clock: ctx.clock,
    drive: () => drive,
    thresholds: ctx.config.drives.health,
    uplink: uplinkStatus,
    recorderWarnings: () => cameras.status().flatMap((c) => c.warnings),
    managedDevices: station.managed,
    catalogueDamage: () => (serverCatalog ? openDamageCount(serverCatalog).damaged : 0),
  });

  const startUplink = async (d: Drive): Promise<void> => {
    if (!ctx.config.uplink.enabled || uplink) return;
    const catalog = await openCatalog(d.layout.catalog);
    try {
      let last = 0;
      const up = await createUplink(ctx, catalog, d.layout.root, (s) => {
        const t = performance.now();
        if (t - last < 500 && s.state === 'sending') return;
        last = t;
        events.emit('uplink-status', s);
      });
      const abort = new AbortController();
      const done = up.runner
        .run(abort.signal)
        .catch((err: unknown) => ctx.log.error({ err }, 'uplink stopped'));
      uplink = { runner: up.runner, abort, done, catalog, close: up.close };
      ctx.log.info({ target: up.runner.status().target }, 'uplink started');
    } catch (e) {
      await catalog.close();
      throw e;
    }
  };

  const stopUplink = async (): Promise<void> => {
    const u = uplink;
    if (!u) return;
    uplink = undefined;
    u.abort.abort();
    await u.done;
    u.close();
    await u.catalog.close();
  };

  const serve = async (d: Drive, path: string): Promise<void> => {
    const fleetControl = (await conductor)?.control;
    serverCatalog = await openCatalog(d.layout.catalog);
    video = createVideoApi(serverCatalog, d.layout, {
      runner: ctx.runner,
      analyzer: ctx.analyzer,
      clock: ctx.clock,
      timeZone: ctx.timeZone,
      nameTemplate: ctx.config.ingest.nameTemplate,
      thumbnailSize: ctx.config.ingest.thumbnailSize,
      previewSize: ctx.config.ingest.previewSize,
      lowPriority: true,
      encoder: ctx.config.video.encoder,
      onJob: (job) => events.emit('video-export', job),
    });
    let url = `http://<this station>:${ctx.config.server.port}`;
    const setupCode = announcedSetupCodes(ctx.config.server.setupCode, ctx.log, () => url);
    const limits = limitsFromConfig(ctx.config.server.limits);
    const httpsCfg = ctx.config.server.https;
    // HTTPS with the station's own CA: the app there, plain HTTP beside it (redirects, /trust).
    // Loaded only when on: the certificate code (pkijs, asn1) costs a station's memory otherwise.
    https = httpsCfg.enabled
      ? await (
          await import('./lan-https.js')
        ).openStationHttps({ dir: httpsCfg.dir, clock: ctx.clock, log: ctx.log })
      : undefined;
    app = await buildApp({
      ...(https ? { https: https.deps } : {}),
      catalog: serverCatalog,
      drive: d,
      files: { root: d.layout.root },
      ...(ctx.config.cameras.length ? { cameras: cameras.control } : {}),
      ...(fleetControl ? { fleet: fleetControl } : {}),
      ...(snapshots ? { snapshots: snapshots.control } : {}),
      video,
      node: ctx.node,
      timeZone: ctx.timeZone,
      clock: ctx.clock,
      log: ctx.log,
      station: status,
      map: mapTiles,
      drives: {
        current: () => station.drives(),
        blank: () => station.blankVolumes(),
        init: (mountPoint, label) => station.initBlank(mountPoint, label),
        ...(station.managed
          ? {
              devices: () => station.devices(),
              eject: (target) => station.eject(target),
              format: (device, fs, label) => station.format(device, fs, label),
            }
          : {}),
      },
      ...(setupCode ? { setupCode } : {}),
      trustProxy: ctx.config.server.trustProxy,
      allowedHosts: ctx.config.server.allowedHosts,
      streams: limits.streams,
      ...(ctx.clockWatch
        ? { system: { clock: ctx.clockWatch, allowClockSet: ctx.config.station.clock.allowSetFromTablet } }
        : {}),
    });
    const bound = await startServer(app, {
      host: ctx.config.server.host,
      port: https ? httpsCfg.port : ctx.config.server.port,
      limits: limits.http,
    });
    const plainPort = await https?.listenPlain(
      ctx.config.server.host,
      ctx.config.server.port,
      bound.port,
      limits.http,
    );
    if (plainPort !== undefined)
      ctx.log.info(
        { port: plainPort, trust: `http://<this station>:${plainPort}/trust` },
        'plain HTTP sends people to HTTPS; /trust explains how to trust the station on a tablet',
      );
    // People are told where to open it on a tablet (each LAN address, <host>.local), not 0.0.0.0.
    url = bound.urls.join(' or ');
    ctx.log.info({ url: bound.url, open: bound.urls, library: path }, 'web app and API listening');
    hooks.onServer?.({ url: bound.url });
    await announceIfNoUsers(setupCode, serverCatalog);
  };

  /**
   * The web app and API serve one library drive's catalogue: when that drive goes (ejected,
   * pulled, unmounted) they close, and start again with the next one. The catalogue is closed at
   * once (its files would keep the drive busy); the HTTP server after the answers in flight, among
   * them the eject request that caused this.
   */
  const stopServing = (): Promise<void> => {
    const s = serving;
    serving = undefined;
    let appClosed: Promise<unknown> = Promise.resolve();
    const catalogClosed = (async () => {
      await s;
      const a = app;
      const c = serverCatalog;
      const v = video;
      const h = https;
      https = undefined;
      app = undefined;
      serverCatalog = undefined;
      video = undefined;
      await v?.close().catch((err: unknown) => ctx.log.warn({ err }, 'video exports close'));
      if (a) appClosed = a.close().catch((err: unknown) => ctx.log.warn({ err }, 'web app close'));
      await h?.close().catch((err: unknown) => ctx.log.warn({ err }, 'plain HTTP close'));
      await c?.close().catch((err: unknown) => ctx.log.warn({ err }, 'catalogue close'));
      if (a) ctx.log.info('web app and API stopped: no library drive');
    })();
    closing = catalogClosed.then(() => appClosed);
    return catalogClosed;
  };
  // Before the station unmounts a library drive: nothing of ours may keep it busy.
  station.beforeUnmount(async () => {
    // A running export holds files of the drive open: it is cancelled (nothing of it is kept).
    await Promise.all([releasing, cameras.settled(), fleet?.settled(), snapshots?.settled(), video?.close()]);
  });

  events.on('library-attached', ({ path }) => {
    void (async () => {
      drive = await openDrive(path);
      const d = drive;
      if (ctx.config.server.enabled && !serving)
        serving = (async () => {
          await closing;
          await serve(d, path);
        })().catch((e: unknown) => {
          const err = e as Error & { code?: string };
          ctx.log.error(
            {
              err,
              hint:
                err.code === 'EADDRINUSE'
                  ? 'another program uses this port: set server.port or --port'
                  : undefined,
            },
            'web app and API could not start',
          );
          hooks.onServer?.({ error: err.message });
        });
      await startUplink(d).catch((e: unknown) =>
        ctx.log.error(
          { err: e, hint: isOutpostError(e) ? e.hint : undefined },
          `uplink could not start: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
    })().catch((err: unknown) => ctx.log.error({ err }, 'library drive could not be opened'));
  });
  events.on('library-detached', () => {
    drive = undefined;
    releasing = Promise.all([stopUplink(), stopServing()]);
  });

  // LEDs and `outpost status`: the same state the web app shows, once a second (a flash is the
  // driver's own timer). The status file is the terminal's view of the virtual panel.
  const tick = async (): Promise<void> => {
    const snap = await status.snapshot();
    const views = indicatorViews(snap.state);
    await panel?.apply(looksOf(views));
    await writeStatusFile(ctx.config.station.statusFile, {
      node: ctx.node,
      time: ctx.clock.now().toISOString(),
      pid: process.pid,
      library: drive ? { label: drive.marker.label, root: drive.layout.root } : null,
      indicators: views,
      uplink: snap.uplink,
    });
  };
  let statusFileWarned = false;
  const ledTimer = setInterval(
    () =>
      void tick().catch((err: unknown) => {
        if (statusFileWarned) return;
        statusFileWarned = true;
        ctx.log.warn(
          { err, hint: 'set station.statusFile to a writable path' },
          'status for LEDs / `outpost status` could not be updated',
        );
      }),
    LED_EVERY_MS,
  );
  void openIndicatorPanel(ctx.config.indicators, {
    runner: nodeProcessRunner,
    onError: (e) => ctx.log.warn({ code: e.code, hint: e.hint }, e.message),
  })
    .then((p) => {
      panel = p?.panel;
    })
    .catch((e: unknown) =>
      ctx.log.warn(
        { hint: isOutpostError(e) ? e.hint : undefined },
        `status LEDs off: ${e instanceof Error ? e.message : String(e)}`,
      ),
    );

  // `outpost eject` (unix socket) and the eject button on a GPIO pin.
  const local = new AbortController();
  const control = startControlSocket(
    controlSocketPath(ctx.config.station),
    async (req) => station.eject(req.target),
    ctx.log,
  ).catch((e: unknown) => {
    ctx.log.warn(
      { hint: isOutpostError(e) ? e.hint : undefined },
      `\`outpost eject\` will not reach this station: ${e instanceof Error ? e.message : String(e)}`,
    );
    return undefined;
  });
  const button = ctx.config.station.devices.ejectButton;
  const buttonDone = button
    ? watchEjectButton({
        runner: nodeProcessRunner,
        chip: button.chip,
        line: button.line,
        signal: local.signal,
        log: ctx.log,
        onPress: async () => {
          const r = await station.eject('A');
          ctx.log.info({ device: r.device }, r.message);
        },
      })
    : Promise.resolve();

  return {
    close: async () => {
      local.abort();
      await buttonDone;
      await (await control)?.close();
      clearInterval(ledTimer);
      await fleetStarted;
      await fleet?.close();
      await (await conductor)?.close();
      await cameras.close();
      await snapshots?.close();
      await rtsp.close();
      await stopUplink();
      await serving;
      await releasing;
      await closing;
      await video?.close();
      await app?.close();
      // The plain-HTTP listener beside the HTTPS app would keep the process alive.
      await https?.close().catch((err: unknown) => ctx.log.warn({ err }, 'plain HTTP close'));
      https = undefined;
      await serverCatalog?.close();
      mapTiles.close();
      await panel?.close().catch(() => undefined);
      status.stop();
    },
  };
}
