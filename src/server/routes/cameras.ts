import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { cameraPatchSchema } from '../../recorder/camera-patch.js';
import type { LiveFrame, LiveHub } from '../../recorder/live/hub.js';
import type { AppDeps, CameraState, CamerasControl } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute } from '../route.js';
import { createStallWatcher, DEFAULT_STREAM_LIMITS, NOT_WATCHED, StreamSlots } from '../streams.js';
import { errorBodySchema } from '../schemas.js';

/** The part boundary of the live stream (never appears in a JPEG's part headers). */
export const LIVE_BOUNDARY = 'outpost-live-frame';

const cameraParams = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a camera name (letters, digits, . _ -; up to 64)'),
});

const liveQuery = z.strictObject({
  t: z.string().max(40).optional().describe('Ignored: lets the web app force a fresh connection.'),
});

const snapshotQuery = z.strictObject({
  download: z
    .enum(['true', 'false', '1', '0'])
    .transform((s) => s === 'true' || s === '1')
    .optional()
    .describe('true: Content-Disposition attachment with a dated file name.'),
});

const cameraSchema = z.object({
  name: z.string(),
  mode: z.enum(['continuous', 'motion']),
  state: z
    .enum(['idle', 'starting', 'running', 'backoff', 'stopping', 'stopped', 'failed'] satisfies CameraState[])
    .describe('The capture pipeline: backoff = waiting to restart after a failure'),
  error: z.string().nullable().describe('Why the camera is not running, when it is not'),
  lastFrameAt: z
    .string()
    .nullable()
    .describe('When the newest live frame arrived (ISO 8601); null: none yet'),
  frameAgeMs: z.number().nullable().describe("Age of the newest live frame by the station's clock"),
  liveSince: z
    .string()
    .nullable()
    .describe(
      'When the current run of frames began (after the camera was down for the idle timeout, which ends live streams): a viewer connected earlier should reconnect',
    ),
  motionHighlight: z
    .boolean()
    .describe('The live view marks where motion is (motion-box events on /api/events)'),
  session: z.string().nullable().describe('The fleet session recording with this camera now (group/session)'),
  clients: z.number().int().describe('Live viewers now'),
  maxClients: z.number().int(),
  links: z.object({ live: z.string(), snapshot: z.string() }),
});
const cameraListSchema = z.object({ cameras: z.array(cameraSchema) });

function hubOf(cameras: CamerasControl, name: string): LiveHub {
  const hub = cameras.hub(name);
  if (!hub) throw new ApiError('CAMERA_NOT_FOUND', `no camera named ${JSON.stringify(name)}`);
  return hub;
}

/** `gate-20240601-101500.jpg` in UTC (the file name of a downloaded snapshot). */
function snapshotName(camera: string, at: number): string {
  const t = new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${camera}-${t}.jpg`;
}

function partHead(frame: LiveFrame): string {
  return (
    `Content-Type: image/jpeg\r\nContent-Length: ${frame.jpeg.length}\r\n` +
    `X-Frame-Time: ${new Date(frame.at).toISOString()}\r\n\r\n`
  );
}

/**
 * `/api/cameras…`: the list, the live MJPEG stream and a snapshot per camera. Registered only
 * when the station records cameras (`deps.cameras`).
 */
export function registerCameraRoutes(app: FastifyInstance, deps: AppDeps): void {
  const cameras = deps.cameras;
  if (!cameras) return;
  const tags = ['cameras'];
  const open = new Set<() => void>();
  const limits = { ...DEFAULT_STREAM_LIMITS, ...deps.streams };
  const perUser = new StreamSlots(limits.liveViewsPerUser);
  const stalls = createStallWatcher({ stallTimeoutMs: limits.stallTimeoutMs });
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.addHook('onClose', async () => stalls.close());

  defineRoute(app, {
    method: 'GET',
    url: '/api/cameras',
    role: 'viewer',
    tags,
    summary: 'The cameras of this station, their state and live links',
    responses: { 200: cameraListSchema },
    handler: async () => {
      const now = deps.clock.now().getTime();
      return {
        cameras: cameras.list().map((c) => {
          const hub = cameras.hub(c.name);
          const at = hub?.lastFrameAt ?? null;
          const self = `/api/cameras/${encodeURIComponent(c.name)}`;
          return {
            name: c.name,
            mode: c.mode,
            state: c.state,
            error: c.error,
            motionHighlight: c.motionHighlight,
            session: c.session,
            lastFrameAt: at === null ? null : new Date(at).toISOString(),
            frameAgeMs: at === null ? null : Math.max(0, now - at),
            liveSince: hub?.liveSince == null ? null : new Date(hub.liveSince).toISOString(),
            clients: hub?.clients ?? 0,
            maxClients: hub?.maxClients ?? 0,
            links: { live: `${self}/live`, snapshot: `${self}/snapshot` },
          };
        }),
      };
    },
  });

  const appliedSchema = z.object({
    rotation: z.number(),
    hflip: z.boolean(),
    vflip: z.boolean(),
    width: z.number().nullable(),
    height: z.number().nullable(),
    fps: z.number().nullable(),
    segmentSeconds: z.number(),
    live: z.boolean(),
    timestamp: z.boolean(),
    timestampPosition: z.enum(['top-left', 'top-right', 'bottom-left', 'bottom-right']),
    motionHighlight: z.boolean(),
    motionThreshold: z.number(),
    rtsp: z.boolean(),
    mode: z.enum(['continuous', 'motion']),
    audio: z.string().nullable(),
    controls: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .describe('Pi camera controls (rpicam-vid)'),
    overridden: z.array(z.string()).describe('Settings changed on the fly (over the config)'),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/cameras/:name/settings',
    role: 'viewer',
    tags,
    summary: 'What a camera records with: rotation, flips, size, frame rate, segment length, live view',
    params: cameraParams,
    responses: { 200: appliedSchema, 404: errorBodySchema },
    handler: async ({ params }) => {
      if (!cameras.settings)
        throw new ApiError('CAMERA_NOT_FOUND', 'this station cannot report camera settings');
      return cameras.settings(params.name);
    },
  });

  defineRoute(app, {
    method: 'PATCH',
    url: '/api/cameras/:name/settings',
    role: 'editor',
    tags,
    summary: "Change a camera's settings now: kept across restarts, its pipeline restarts with them",
    description:
      'Only the keys given change; `null` takes a key back to the config. The answer is what the ' +
      'camera runs with after the restart (`overridden`: the keys changed on the fly).',
    params: cameraParams,
    body: cameraPatchSchema,
    responses: { 200: appliedSchema, 400: errorBodySchema, 404: errorBodySchema },
    handler: async ({ params, body }) => {
      if (!cameras.configure)
        throw new ApiError('CAMERA_NOT_FOUND', 'this station cannot change camera settings');
      return cameras.configure(params.name, body);
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/cameras/:name/live',
    role: 'viewer',
    tags,
    summary: 'Live view: MJPEG (multipart/x-mixed-replace), for an <img src>',
    description:
      `One JPEG per part (Content-Type, Content-Length, X-Frame-Time), boundary \`${LIVE_BOUNDARY}\`; ` +
      'each part is followed by its boundary so a browser shows it at once. A slow client skips ' +
      'frames (always the newest, never a backlog). The stream ends when the camera has sent no ' +
      'frame for the idle timeout, or the server stops. 503 LIVE_TOO_MANY_CLIENTS beyond the ' +
      "camera's live.maxClients; 429 TOO_MANY_STREAMS beyond the views of one camera one user may hold " +
      '(server.limits.liveViewsPerUser). A viewer that stops reading is dropped after server.limits.streamStallSeconds.',
    params: cameraParams,
    query: liveQuery,
    responses: {
      200: {
        description: 'An endless multipart stream of JPEGs',
        content: { 'multipart/x-mixed-replace': { schema: { type: 'string', format: 'binary' } } },
      },
      429: errorBodySchema.describe(
        'This user holds the most views of this camera allowed (TOO_MANY_STREAMS; Retry-After)',
      ),
      503: errorBodySchema.describe('Too many live viewers (LIVE_TOO_MANY_CLIENTS; Retry-After)'),
    },
    handler: async ({ params }, req, reply) => {
      const hub = hubOf(cameras, params.name);
      // Per user and camera: one user cannot take all of a camera's places. Without a user (an
      // open test setup) there is nobody to count against.
      const user = req.outpostUser?.name;
      const release = user === undefined ? () => undefined : perUser.take(`${hub.camera}\0${user}`);
      if (!release)
        throw new ApiError(
          'TOO_MANY_STREAMS',
          `${user} already has ${perUser.max} live views of camera ${hub.camera} open`,
          { headers: { 'retry-after': '10' }, details: { limit: perUser.max } },
        );
      const res = reply.raw;
      const end = (): void => {
        if (!open.delete(end)) return;
        if (typeof sub === 'object') sub.unsubscribe();
        release();
        watch.ended();
        if (!res.writableEnded) res.end();
      };
      // The hub sends the first frame after subscribe() returns: the head below goes first.
      const sub = hub.subscribe({
        send(frame, done) {
          if (res.writableEnded || res.destroyed) return;
          res.cork();
          res.write(partHead(frame));
          res.write(frame.jpeg);
          const ok = res.write(`\r\n--${LIVE_BOUNDARY}\r\n`);
          res.uncork();
          if (ok) done();
          else res.once('drain', done);
        },
        end,
      });
      if (typeof sub !== 'object') release();
      if (sub === 'full')
        throw new ApiError(
          'LIVE_TOO_MANY_CLIENTS',
          `camera ${hub.camera} already has ${hub.maxClients} live viewers`,
          { headers: { 'retry-after': '10' }, details: { maxClients: hub.maxClients } },
        );
      if (sub === 'closed') throw new ApiError('LIVE_NO_FRAME', `camera ${hub.camera} is stopped`);
      open.add(end);
      reply.hijack();
      res.writeHead(200, {
        'content-type': `multipart/x-mixed-replace; boundary=${LIVE_BOUNDARY}`,
        'cache-control': 'no-store',
        pragma: 'no-cache',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
        connection: 'keep-alive',
      });
      res.write(`--${LIVE_BOUNDARY}\r\n`);
      // A viewer that stopped reading is dropped after the stall timeout, its place freed: the
      // hub's idle timeout alone would wait until the kernel's buffers for it were full.
      const watch = res.socket
        ? stalls.watch(res.socket, () => {
            end();
            res.destroy();
          })
        : NOT_WATCHED;
      req.raw.on('close', end);
      res.on('error', end);
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/cameras/:name/snapshot',
    role: 'viewer',
    tags,
    summary: 'The newest live frame as one JPEG',
    description:
      'Never cached (Cache-Control no-store); X-Frame-Time says when the frame arrived. ' +
      '503 LIVE_NO_FRAME before the camera sent its first frame.',
    params: cameraParams,
    query: snapshotQuery,
    responses: {
      200: {
        description: 'JPEG',
        content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } },
      },
      503: errorBodySchema.describe('No frame yet (LIVE_NO_FRAME)'),
    },
    handler: async ({ params, query }, _req, reply) => {
      const hub = hubOf(cameras, params.name);
      const frame = hub.latest();
      if (!frame)
        throw new ApiError('LIVE_NO_FRAME', `camera ${hub.camera} has sent no picture yet`, {
          headers: { 'retry-after': '2' },
        });
      void reply.headers({
        'content-type': 'image/jpeg',
        'content-length': frame.jpeg.length,
        'cache-control': 'no-store',
        'x-frame-time': new Date(frame.at).toISOString(),
        'content-security-policy': "default-src 'none'; sandbox",
      });
      if (query.download)
        void reply.header(
          'content-disposition',
          `attachment; filename="${snapshotName(hub.camera, frame.at)}"`,
        );
      return reply.send(frame.jpeg);
    },
  });
}
