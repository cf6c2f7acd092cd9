import type { FastifyInstance } from 'fastify';
import { LIVE_EVENTS, type AppDeps, type LiveEventName } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute, jsonSchema } from '../route.js';
import { errorBodySchema } from '../schemas.js';
import { createStallWatcher, DEFAULT_STREAM_LIMITS, NOT_WATCHED, StreamSlots } from '../streams.js';
import { eventsQuery, listMotionEvents, motionEventPageSchema, wantsEventStream } from './motion-events.js';

const PROGRESS_EVERY_MS = 250;
const HEARTBEAT_MS = 20_000;

/**
 * `GET /api/events`, content-negotiated. `Accept: text/event-stream` (EventSource sends it): the
 * live station events below. Otherwise: the motion events as JSON (routes/motion-events.ts).
 *
 * Server-sent events for the status page: every event is
 * `event: <station event name>` with its payload as JSON `data`. The app ends all streams when
 * it closes (otherwise `close()` would wait for them forever).
 */
export function registerEventRoutes(app: FastifyInstance, deps: AppDeps): void {
  const open = new Set<() => void>();
  const limits = { ...DEFAULT_STREAM_LIMITS, ...deps.streams };
  const perUser = new StreamSlots(limits.eventStreamsPerUser);
  const stalls = createStallWatcher({ stallTimeoutMs: limits.stallTimeoutMs });
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.addHook('onClose', async () => stalls.close());

  defineRoute(app, {
    method: 'GET',
    url: '/api/events',
    role: 'viewer',
    tags: ['status'],
    summary: 'Motion events (JSON), or live station events (server-sent events)',
    description:
      'Without `Accept: text/event-stream`: the motion events the recorder saved (video items with ' +
      '`facts.recording.mode = motion`), newest first, filtered by camera and capture time, one page ' +
      'at a time (pass `nextCursor` back as `cursor`).\n\n' +
      'With `Accept: text/event-stream` (what EventSource sends): live station events; the query is ' +
      'ignored. Events: ' +
      LIVE_EVENTS.join(', ') +
      '; each `data` is the JSON payload. Starts with `event: hello`. Comments every 20 s keep proxies open. ' +
      'On HQ or without a station, only hello and comments. 429 TOO_MANY_STREAMS beyond the streams one ' +
      'user may hold (server.limits.eventStreamsPerUser); a client that stops reading is dropped.',
    query: eventsQuery,
    responses: {
      200: {
        description: 'A page of motion events (JSON), or an endless event stream',
        content: {
          'application/json': { schema: jsonSchema(motionEventPageSchema, 'output') },
          'text/event-stream': { schema: { type: 'string' } },
        },
      },
      429: errorBodySchema.describe(
        'This user holds the most event streams allowed (TOO_MANY_STREAMS; Retry-After)',
      ),
    },
    handler: async ({ query }, req, reply) => {
      void reply.header('vary', 'accept');
      if (!wantsEventStream(req.headers.accept)) return listMotionEvents(deps.catalog, query);
      // Without a user (an open test setup) there is nobody to count against.
      const user = req.outpostUser?.name;
      const release = user === undefined ? () => undefined : perUser.take(user);
      if (!release)
        throw new ApiError(
          'TOO_MANY_STREAMS',
          `${user} already has ${perUser.max} live event streams open (Status or Cameras pages)`,
          { headers: { 'retry-after': '10' }, details: { limit: perUser.max } },
        );
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        vary: 'accept',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      const send = (event: string, data: unknown): void => {
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      send('hello', { node: deps.node, time: deps.clock.now().toISOString() });
      const lastProgress = new Map<string, number>();
      const forward = (name: LiveEventName, data: unknown): void => {
        const payload = data as { mountPoint?: string; progress?: { phase: string } } | undefined;
        if (
          (name === 'ingest-progress' || name === 'mirror-progress') &&
          payload?.progress?.phase !== 'done'
        ) {
          const key = `${name}:${payload?.mountPoint ?? ''}`;
          const t = performance.now();
          if (t - (lastProgress.get(key) ?? -Infinity) < PROGRESS_EVERY_MS) return;
          lastProgress.set(key, t);
        }
        send(name, data);
      };
      const unfollow = deps.station?.follow(forward);
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const end = (): void => {
        if (!open.delete(end)) return;
        clearInterval(heartbeat);
        unfollow?.();
        release();
        watch.ended();
        res.end();
      };
      // A client that stopped reading (or vanished without a word) gives its place back.
      const watch = res.socket
        ? stalls.watch(res.socket, () => {
            end();
            res.destroy();
          })
        : NOT_WATCHED;
      open.add(end);
      req.raw.on('close', end);
    },
  });
}
