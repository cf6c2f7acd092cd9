/**
 * The doors snapshots come in by, in front of one SnapshotService: the FTP server cameras upload
 * to and the HTTP pulls of cameras whose FTP is broken. The same in a station (the library drive
 * holds the snapshots) and in HQ (its data directory does). `settings` is `snapshots:` of the
 * config as parsed (src/config/snapshots.ts), taken structurally: subsystems never import config.
 */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { startSnapshotFtp, type FtpStats, type SnapshotFtp } from './ftp/index.js';
import { startSnapshotPuller, type SnapshotPuller } from './http-pull.js';
import type { CameraSnapshotStatus, DayView, SnapshotService } from './service.js';
import type { TimelapseResult } from './timelapse-jobs.js';

export interface SnapshotIntakeSettings {
  ftp: {
    enabled: boolean;
    host: string;
    port: number;
    passivePorts: { min: number; max: number };
    publicAddress?: string | undefined;
    users: { user: string; password: string; camera: string }[];
    areaDir: string;
    /** PEM files of FTPS (explicit TLS). */
    tls?: { cert: string; key: string } | undefined;
    maxFileMB: number;
    maxConnections: number;
    idleTimeoutS: number;
    loginFailures: number;
    loginWindowS: number;
  };
  http: {
    camera: string;
    url?: string | undefined;
    onvif?: { url: string; profile?: string | undefined } | undefined;
    user?: string | undefined;
    password?: string | undefined;
    auth: 'auto' | 'basic' | 'digest';
    everyS: number;
    timeoutS: number;
    maxMB: number;
  }[];
}

/** What the web app's snapshot routes see (server/deps.ts SnapshotsControl). */
export interface SnapshotsApi {
  status(): {
    cameras: CameraSnapshotStatus[];
    ftp: {
      enabled: boolean;
      /** The control port it listens on. */
      port: number;
      connections: number;
      accepted: number;
      rejected: Record<string, number>;
      loginFailures: number;
      loginsBlocked: number;
    } | null;
    pulls: {
      camera: string;
      lastOkAt: string | null;
      lastError: string | null;
      consecutiveFailures: number;
    }[];
    timelapse: { camera: string; day: string } | null;
  };
  days(camera: string): { day: string; state: string; timelapseId: string | null; snapshots: number }[];
  dayView(camera: string, day: string): DayView;
  makeTimelapse(camera: string, day: string): Promise<TimelapseResult>;
  /**
   * A snapshot or timelapse of the snapshot library and the folder its paths are under;
   * undefined when the library has no such item (or none is attached).
   */
  item(id: string): Promise<{ row: ItemRow; root: string } | undefined>;
}

export interface SnapshotIntake {
  api: SnapshotsApi;
  /** Stops the FTP server and the pulls (the service is its owner's to close). */
  close(): Promise<void>;
}

/** The first LAN IPv4 address: what cameras are told for passive data when none is configured. */
function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

export function startSnapshotIntake(
  service: SnapshotService,
  cfg: SnapshotIntakeSettings,
  d: { clock: Clock; log: Logger; /** "station" or "HQ", in what the log says. */ where: string },
): SnapshotIntake {
  const tmpDir = (): string | undefined => service.tmpDir();

  // FTP: started once; without a snapshot library an upload is refused before its bytes come.
  let ftpStats: (() => FtpStats & { port: number }) | undefined;
  const ftp: Promise<SnapshotFtp | undefined> = cfg.ftp.enabled
    ? (async () => {
        const tls = cfg.ftp.tls
          ? { cert: await readFile(cfg.ftp.tls.cert), key: await readFile(cfg.ftp.tls.key) }
          : undefined;
        const publicAddress = cfg.ftp.publicAddress ?? lanAddress();
        if (!publicAddress)
          throw new OutpostError(
            'CONFIG_INVALID',
            'snapshots.ftp.publicAddress is not set and no LAN address was found',
            { hint: `Set snapshots.ftp.publicAddress to the ${d.where}'s address the cameras reach.` },
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
          log: d.log,
          clock: d.clock,
        });
        ftpStats = () => ({ ...server.stats(), port: server.port });
        d.log.info(
          { port: server.port, passive: cfg.ftp.passivePorts, publicAddress, tls: !!tls },
          'snapshot FTP server listening',
        );
        return server;
      })().catch((e: unknown) => {
        d.log.error(
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
        clock: d.clock,
        log: d.log,
      })
    : undefined;

  const api: SnapshotsApi = {
    status: () => {
      const f = ftpStats?.();
      return {
        cameras: service.status(),
        ftp: f
          ? {
              enabled: true,
              port: f.port,
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
    item: (id) => service.item(id),
  };

  return {
    api,
    close: async () => {
      await puller?.stop();
      await (await ftp)?.close();
    },
  };
}
