import type { FastifyInstance } from 'fastify';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { Catalog } from '../library/catalog/open.js';
import { buildApp, type LoginOptions } from '../server/app.js';
import type { SnapshotsControl, VideoControl } from '../server/deps.js';
import type { SetupCodes } from '../server/first-user.js';
import type { StreamLimits } from '../server/streams.js';
import { createHqAuth } from './auth.js';
import { ClusterLocker } from './cluster-locker.js';
import { openLockSession } from '../library/catalog/locks.js';
import { dropUploadHash, saveUploadHash, uploadHashAt } from '../library/catalog/upload-hashes.js';
import type { HqDataDir } from './data-dir.js';
import { LocalDiskStore } from './local-disk-store.js';
import { objectStoreMedia } from './media.js';
import type { ObjectStore } from './object-store.js';
import { registerStationRoutes } from './station-routes.js';
import { registerStorageRoutes } from './storage-routes.js';
import { createUploads, type Uploads } from './uploads.js';

export interface HqAppOptions {
  data: HqDataDir;
  /** The open catalogue of `data` (the caller closes it after the app). */
  catalog: Catalog;
  clock: Clock;
  log: Logger;
  /** HQ's node name: its HLC and the origin of its editors' ops. */
  node: string;
  /** Largest upload accepted (bytes); default 64 GiB. */
  maxUploadSize?: number;
  /** Incomplete uploads are deleted this long after creation; default 14 days. */
  uploadExpiryMs?: number;
  /** Defaults to LocalDiskStore at `<data>/objects`. */
  store?: ObjectStore;
  /** How often expired uploads are swept; default hourly. */
  sweepEveryMs?: number;
  /** One-time codes for creating the first HQ editor in the web app (see AppDeps.setupCode). */
  setupCode?: string | SetupCodes;
  /** Proxies whose X-Forwarded-* headers are believed (config `server.trustProxy`; AppDeps.trustProxy). */
  trustProxy?: boolean | string[];
  /** Extra names login and setup accept in Host (config `server.allowedHosts`). */
  allowedHosts?: string[];
  /** Login tuning (tests). */
  login?: LoginOptions;
  /** Per-user caps of live event streams (config `server.limits`). */
  streams?: Partial<StreamLimits>;
  /** IP cameras' snapshots taken in by HQ itself (src/hq/snapshots.ts); absent: none. */
  snapshots?: SnapshotsControl;
  /** Exports and edits of what stations sent (src/hq/video.ts); absent: none. */
  video?: VideoControl;
}

export interface HqApp {
  app: FastifyInstance;
  store: ObjectStore;
  uploads: Uploads;
}

/**
 * The HQ server: the station web app and API (same code, HQ users and roles, media from the
 * object store) plus the station protocol under /hq/v1/. Not listening yet (server.ts).
 */
export async function buildHqApp(o: HqAppOptions): Promise<HqApp> {
  const store = o.store ?? (await new LocalDiskStore(o.data.objectsDir).init());
  const auth = createHqAuth({ catalog: o.catalog, clock: o.clock });
  // Several nodes on one PostgreSQL catalogue: upload locks in a session of this node's own.
  const lockSession = o.catalog.engine === 'postgres' ? await openLockSession(o.catalog) : undefined;
  const uploads = createUploads({
    dir: o.data.uploadsDir,
    catalog: o.catalog,
    store,
    clock: o.clock,
    log: o.log,
    stationOf: auth.stationOf,
    // An S3 store keeps uploads in progress too, and a PostgreSQL catalogue locks them: any node
    // behind a load balancer can take any request (docs/hq-deploy.md).
    staging: (store as ObjectStore).uploadStaging?.({
      at: (id, offset) => uploadHashAt(o.catalog, id, offset),
      save: (id, offset, state) => saveUploadHash(o.catalog, id, offset, state),
      drop: (id) => dropUploadHash(o.catalog, id),
    }),
    ...(lockSession ? { locker: new ClusterLocker(lockSession) } : {}),
    ...(o.maxUploadSize !== undefined ? { maxSize: o.maxUploadSize } : {}),
    ...(o.uploadExpiryMs !== undefined ? { expiryMs: o.uploadExpiryMs } : {}),
  });
  const app = await buildApp({
    catalog: o.catalog,
    drive: o.data.drive,
    node: o.node,
    clock: o.clock,
    log: o.log,
    authenticate: auth.authenticate,
    media: objectStoreMedia(o.catalog, store),
    ...(o.setupCode ? { setupCode: o.setupCode } : {}),
    ...(o.trustProxy !== undefined ? { trustProxy: o.trustProxy } : {}),
    ...(o.allowedHosts ? { allowedHosts: o.allowedHosts } : {}),
    ...(o.login ? { login: o.login } : {}),
    ...(o.streams ? { streams: o.streams } : {}),
    ...(o.snapshots ? { snapshots: o.snapshots } : {}),
    ...(o.video ? { video: o.video } : {}),
  });
  await registerStationRoutes(app, { catalog: o.catalog, clock: o.clock, node: o.node, auth, uploads });
  registerStorageRoutes(app, { catalog: o.catalog, store, clock: o.clock, node: o.node, log: o.log });

  const sweep = (): void => {
    uploads
      .cleanUpExpired()
      .then((n) => n && o.log.info({ removed: n }, 'expired uploads removed'))
      .catch((e: unknown) => o.log.warn({ err: e }, 'sweeping expired uploads failed'));
  };
  sweep();
  const timer = setInterval(sweep, o.sweepEveryMs ?? 3600_000);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await lockSession?.close();
  });
  return { app, store, uploads };
}
