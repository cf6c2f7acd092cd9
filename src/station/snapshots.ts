/**
 * The station's IP-camera snapshots (docs/snapshots.md): `snapshots:` in the config mapped to the
 * snapshot service, the FTP server cameras upload to, and the HTTP pulls; the service follows
 * the library drive (attached: uploads kept and timelapses made; detached: uploads refused).
 * Nothing starts when the config names no snapshot camera.
 */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { snapshotCameraNames, snapshotCameraSettings, type SnapshotsConfig } from '../config/snapshots.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import { openDrive } from '../library/drive.js';
import type { SnapshotsControl } from '../server/deps.js';
import { startSnapshotFtp, type FtpStats } from '../snapshots/ftp/index.js';
import { startSnapshotPuller, type SnapshotPuller } from '../snapshots/http-pull.js';
import { SnapshotService } from '../snapshots/service.js';
import type { StationEvents } from './events.js';
import type { StationDeps } from './station.js';

export interface StationSnapshots {
  control: SnapshotsControl;
  /** Resolves once the drive's files are closed (before an unmount). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** The first LAN IPv4 address: what cameras are told for passive data when none is configured. */
function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

export function startStationSnapshots(ctx: StationDeps, events: StationEvents): StationSnapshots | undefined {
  const cfg: SnapshotsConfig = ctx.config.snapshots;
  const names = snapshotCameraNames(cfg);
  if (names.length === 0) return undefined;
  const service = new SnapshotService(
    {
      cameras: names.map((n) => snapshotCameraSettings(cfg, n, ctx.timeZone)),
      defaultZone: cfg.timeZone ?? ctx.timeZone,
      timelapse: cfg.timelapse,
      upload: cfg.upload,
      uplink: ctx.config.uplink.enabled,
      nameTemplate: ctx.config.ingest.nameTemplate,
      thumbnailSize: ctx.config.ingest.thumbnailSize,
      previewSize: ctx.config.ingest.previewSize,
      driftWarnS: 120,
    },
    {
      clock: ctx.clock,
      log: ctx.log,
      runner: ctx.runner,
      analyzer: ctx.analyzer,
      onSnapshot: (e) => events.emit('snapshot', e),
      onReject: (e) => events.emit('snapshot-rejected', e),
      onTimelapse: (e) => events.emit('timelapse', e),
    },
  );
  const tmpDir = (): string | undefined => service.tmpDir();

  // FTP: started once; without a drive an upload is refused before its bytes come.
  let ftpStats: (() => FtpStats) | undefined;
  const ftp = cfg.ftp.enabled
    ? (async () => {
        const tls = cfg.ftp.tls
          ? { cert: await readFile(cfg.ftp.tls.cert), key: await readFile(cfg.ftp.tls.key) }
          : undefined;
        const publicAddress = cfg.ftp.publicAddress ?? lanAddress();
        if (!publicAddress)
          throw new OutpostError(
            'CONFIG_INVALID',
            'snapshots.ftp.publicAddress is not set and no LAN address was found',
            {
              hint: "Set snapshots.ftp.publicAddress to the station's address on the cameras' network.",
            },
          );
        const server = await startSnapshotFtp({
          host: cfg.ftp.host,
          port: cfg.ftp.port,
          passivePorts: cfg.ftp.passivePorts,
          publicAddress,
          users: cfg.ftp.users,
          tls,
          areaDir: cfg.ftp.areaDir,
          tmpDir,
          maxFileBytes: Math.round(cfg.ftp.maxFileMB * 1e6),
          maxConnections: cfg.ftp.maxConnections,
          idleTimeoutMs: cfg.ftp.idleTimeoutS * 1000,
          login: { maxFailures: cfg.ftp.loginFailures, windowMs: cfg.ftp.loginWindowS * 1000 },
          accept: async (u) => {
            await service.receive({
              camera: u.camera,
              file: u.file,
              uploadPath: u.path,
              receivedAt: u.receivedAt,
              via: 'ftp',
            });
          },
          onReject: (r) => service.rejected(r.camera, r.reason, r.message),
          log: ctx.log,
          clock: ctx.clock,
        });
        ftpStats = () => server.stats();
        ctx.log.info(
          { port: server.port, passive: cfg.ftp.passivePorts, publicAddress, tls: !!tls },
          'snapshot FTP server listening',
        );
        return server;
      })().catch((e: unknown) => {
        ctx.log.error(
          { hint: isOutpostError(e) ? e.hint : 'Is the port in use? Set snapshots.ftp.port.' },
          `snapshot FTP server not started: ${e instanceof Error ? e.message : String(e)}`,
        );
        return undefined;
      })
    : Promise.resolve(undefined);

  const puller: SnapshotPuller | undefined = cfg.http.length
    ? startSnapshotPuller({
        cameras: cfg.http.map((c) => ({
          camera: c.camera,
          ...(c.url ? { url: c.url } : {}),
          ...(c.onvif
            ? { onvif: { url: c.onvif.url, ...(c.onvif.profile ? { profile: c.onvif.profile } : {}) } }
            : {}),
          ...(c.user !== undefined ? { user: c.user } : {}),
          ...(c.password !== undefined ? { password: c.password } : {}),
          auth: c.auth,
          intervalS: c.everyS,
          timeoutMs: c.timeoutS * 1000,
          maxBytes: Math.round(c.maxMB * 1e6),
        })),
        tmpDir,
        accept: async (s) => {
          await service.receive({
            camera: s.camera,
            file: s.file,
            uploadPath: s.url,
            receivedAt: s.receivedAt,
            via: 'http',
          });
        },
        clock: ctx.clock,
        log: ctx.log,
      })
    : undefined;

  let chain: Promise<unknown> = Promise.resolve();
  const queue = (fn: () => Promise<void>): void => {
    chain = chain.then(fn).catch((err: unknown) => ctx.log.error({ err }, 'snapshots'));
  };
  events.on('library-attached', ({ path }) =>
    queue(async () => service.attach((await openDrive(path)).layout)),
  );
  events.on('library-detached', () => queue(() => service.detach()));

  const control: SnapshotsControl = {
    status: () => {
      const f = ftpStats?.();
      return {
        cameras: service.status(),
        ftp: f
          ? {
              enabled: true,
              connections: f.connections,
              accepted: f.uploadsAccepted,
              rejected: { ...f.rejected },
              loginFailures: f.loginFailures,
              loginsBlocked: f.loginsBlocked,
            }
          : null,
        pulls: (puller?.status() ?? []).map((p) => ({
          camera: p.camera,
          lastOkAt: p.lastOkAt?.toISOString() ?? null,
          lastError: p.lastError ? `${p.lastError.kind}: ${p.lastError.message}` : null,
          consecutiveFailures: p.consecutiveFailures,
        })),
        timelapse: service.current() ?? null,
      };
    },
    days: (camera) => service.days(camera),
    dayView: (camera, day) => service.dayView(camera, day),
    makeTimelapse: (camera, day) => service.makeTimelapse(camera, day),
  };

  return {
    control,
    settled: () => chain.then(() => undefined),
    close: async () => {
      await puller?.stop();
      await (await ftp)?.close();
      await chain;
      await service.close();
    },
  };
}
