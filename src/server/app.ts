import fastifyCompress from '@fastify/compress';
import { constants as zlibConstants } from 'node:zlib';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { createSessionAuthenticate } from '../auth/authenticate.js';
import type { AppDeps } from './deps.js';
import { installErrorHandling } from './errors.js';
import { DOCS_PREFIX, registerOpenApi } from './openapi.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerCameraRoutes } from './routes/cameras.js';
import { registerSnapshotRoutes } from './routes/snapshots.js';
import { registerVideoRoutes } from './routes/video.js';
import { registerFleetRoutes } from './routes/fleet.js';
import { registerCardRoutes } from './routes/cards.js';
import { registerDriveRoutes } from './routes/drives.js';
import { registerEventAlbumRoutes, registerExportRoutes } from './routes/event-albums.js';
import { registerZipExportRoutes } from './routes/export-zip.js';
import { registerDeleteRoutes } from './routes/delete.js';
import { registerShiftTimeRoutes } from './routes/shift-time.js';
import { registerEventRoutes } from './routes/events.js';
import { registerGeotagRoutes } from './routes/geotag.js';
import { registerItemRoutes } from './routes/items.js';
import { registerSyncRoutes } from './routes/sync.js';
import { registerMapRoutes } from './routes/map.js';
import { registerMediaRoutes } from './routes/media.js';
import { registerStatusRoutes } from './routes/status.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerWebApp } from './routes/webapp.js';
import { securityHeaders } from './security-headers.js';

export type {
  AppDeps,
  Authenticate,
  CameraInfo,
  CamerasControl,
  DiskSpace,
  DiskSpaceProbe,
  LibraryFiles,
  LoginOptions,
  StationPort,
  StationSnapshot,
} from './deps.js';
export { allowAll } from './deps.js';
export type { Role } from './route.js';

/** JSON bodies up to 1 MiB: a batch of 5,000 ids is about 340 KB. */
const BODY_LIMIT = 1024 * 1024;

/**
 * The HTTP app (REST API + OpenAPI docs), ready for `inject()` or `startServer()` (server.ts); it
 * does not listen. The caller owns the catalogue: closing the app does not close it.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.log ? { loggerInstance: deps.log } : { logger: false }),
    // A gallery page is hundreds of thumbnail requests: one debug line each, not two info lines.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Off unless configured: otherwise any client could pick its address (and so its login
    // limits) and make a plain-http request look https.
    trustProxy: deps.trustProxy ?? false,
    ...(deps.https ? { serverFactory: deps.https.serverFactory } : {}),
  }) as unknown as FastifyInstance;
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug(
      { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  // zod (in route.ts) is the one validator; the JSON schemas on routes only feed the OpenAPI
  // document. Likewise responses are plain JSON.stringify, never filtered by a schema.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installErrorHandling(app);
  // JSON only. Fastify also parses text/plain by default; a cross-site form can post text/plain
  // without a CORS preflight, so refusing it (415) keeps mutations out of reach of other sites.
  app.removeContentTypeParser('text/plain');

  // Access control runs before anything else of a request (no body read, no validation detail
  // leaks). Each route says what it needs in config.role; the docs are public.
  // Login is on unless the caller passes another check (tests of other routes pass allowAll).
  const authenticate =
    deps.authenticate ?? createSessionAuthenticate({ catalog: deps.catalog, clock: deps.clock });
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(DOCS_PREFIX)) route.config = { ...route.config, role: 'public' };
  });
  app.addHook('onRequest', async (req, reply) => {
    await authenticate(req, reply, req.routeOptions.config?.role ?? 'viewer');
  });
  app.addHook('onSend', async (req, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.headers(securityHeaders(req.url, reply.hasHeader('content-security-policy')));
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });

  // Text answers (the app's scripts, JSON lists) go compressed: a page of 200 items is ~100 KB of
  // JSON, over a tablet's 1 Mbit/s Wi-Fi almost a second. Media are already compressed; the live
  // event stream writes to the socket itself and is never buffered.
  // Not the station ↔ HQ protocol (uploads, op sync): machine traffic, mostly already-compressed
  // media, where a stream wrapped on the way helps nothing and may hold bytes back.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/hq/')) {
      route.compress = false;
      route.decompress = false;
    }
  });
  await app.register(fastifyCompress, {
    global: true,
    encodings: ['br', 'gzip'],
    threshold: 1024,
    // Pages of JSON compress in well under a millisecond: in line, not through a stream (its
    // set-up costs more than the work).
    syncThreshold: 512 * 1024,
    customTypes: /^(?:application\/(?:json|javascript)|text\/(?:css|html|javascript|csv))\b/,
    // Quality 2: smaller than gzip at less CPU (0.2 ms for a 200-item page here); the default (11) is far slower.
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 2 } },
  });
  await registerOpenApi(app);

  registerItemRoutes(app, deps);
  registerSyncRoutes(app, deps);
  registerMediaRoutes(app, deps);
  registerStatusRoutes(app, deps);
  registerCardRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerEventAlbumRoutes(app, deps);
  registerExportRoutes(app, deps);
  registerZipExportRoutes(app, deps);
  registerDeleteRoutes(app, deps);
  registerShiftTimeRoutes(app, deps);
  registerCameraRoutes(app, deps);
  registerSnapshotRoutes(app, deps);
  // Loaded only with HTTPS on (its QR code and certificate code stay out of a station's memory).
  if (deps.https) (await import('./routes/trust.js')).registerTrustRoutes(app, deps.https.trust);
  registerVideoRoutes(app, deps);
  registerFleetRoutes(app, deps);
  registerGeotagRoutes(app, deps);
  registerMapRoutes(app, deps);
  registerDriveRoutes(app, deps);
  registerSystemRoutes(app, deps);
  registerAuthRoutes(app, deps, deps.login);
  await registerWebApp(app);
  // Not ready()-ed: the caller may still register more (the web app's static files, login routes).
  return app;
}
