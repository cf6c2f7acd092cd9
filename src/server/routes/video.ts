import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps, VideoControl } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute } from '../route.js';
import { errorBodySchema } from '../schemas.js';

const camera = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a camera name (letters, digits, . _ -; up to 64)');
const instant = z
  .string()
  .max(40)
  .refine(
    (s) => /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
    'an ISO 8601 time with Z or an offset',
  );

const jobSchema = z.object({
  id: z.string(),
  camera: z.string(),
  from: z.string(),
  to: z.string(),
  mode: z.enum(['smart', 'keyframe']),
  state: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']),
  progress: z.object({ step: z.number().int(), steps: z.number().int() }).nullable(),
  createdAt: z.string(),
  itemId: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string() }).optional(),
  result: z
    .object({
      mode: z.enum(['smart', 'keyframe', 'reencode']),
      reason: z.string().optional(),
      durationS: z.number(),
      frames: z.number().int(),
      reencodedPerCut: z.array(z.number().int()),
      widened: z.object({ start: z.number(), end: z.number() }),
      gaps: z.array(z.object({ from: z.string(), to: z.string(), reason: z.string() })),
      created: z.boolean(),
    })
    .optional(),
});

/** Longest range one export may span (a day). */
const MAX_RANGE_MS = 24 * 3600_000;

/**
 * `/api/video…` (docs/video.md): the cameras with recordings, a camera's timeline (recorded spans),
 * and exports of a time range as one video, one at a time. Registered when the server holds a
 * library drive with its video tools (the station).
 */
export function registerVideoRoutes(app: FastifyInstance, deps: AppDeps): void {
  const v: VideoControl | undefined = deps.video;
  if (!v) return;
  const tags = ['video'];
  defineRoute(app, {
    method: 'GET',
    url: '/api/video/cameras',
    role: 'viewer',
    tags,
    summary: 'The cameras with recordings on the library drive',
    responses: { 200: z.object({ cameras: z.array(z.string()) }) },
    handler: async () => ({ cameras: await v.cameras() }),
  });
  defineRoute(app, {
    method: 'GET',
    url: '/api/video/timeline',
    role: 'viewer',
    tags,
    summary: "A camera's recorded spans between two instants (what the timeline draws; the rest are gaps)",
    query: z.strictObject({ camera, from: instant, to: instant }),
    responses: {
      200: z.object({ spans: z.array(z.object({ from: z.string(), to: z.string() })) }),
      400: errorBodySchema,
    },
    handler: async ({ query }) => {
      const fromMs = Date.parse(query.from);
      const toMs = Date.parse(query.to);
      if (!(toMs > fromMs) || toMs - fromMs > 8 * MAX_RANGE_MS)
        throw new ApiError('INVALID_INPUT', 'to must be after from, at most 8 days later');
      return { spans: await v.timeline(query.camera, fromMs, toMs) };
    },
  });
  defineRoute(app, {
    method: 'GET',
    url: '/api/video/exports',
    role: 'viewer',
    tags,
    summary: 'Exports asked for: queued, running (progress), and the last finished ones with their item',
    responses: { 200: z.object({ exports: z.array(jobSchema) }) },
    handler: async () => ({ exports: v.exports() }),
  });
  defineRoute(app, {
    method: 'POST',
    url: '/api/video/exports',
    role: 'editor',
    tags,
    summary: 'Export a time range of a camera as one video (queued; one runs at a time)',
    description:
      '`mode: smart` (default) cuts exactly where asked, re-encoding at most one GOP at each end; ' +
      '`keyframe` copies only, starting and ending on keyframes (the result says how much wider). ' +
      'Progress comes as `video-export` live events and in GET /api/video/exports; the result is an item.',
    body: z.strictObject({
      camera,
      from: instant,
      to: instant,
      mode: z.enum(['smart', 'keyframe']).default('smart'),
    }),
    responses: { 202: jobSchema, 400: errorBodySchema },
    handler: async ({ body }, _req, reply) => {
      const fromMs = Date.parse(body.from);
      const toMs = Date.parse(body.to);
      if (!(toMs > fromMs)) throw new ApiError('INVALID_INPUT', 'to must be after from');
      if (toMs - fromMs > MAX_RANGE_MS)
        throw new ApiError('INVALID_INPUT', 'export at most 24 hours at once');
      void reply.code(202);
      return v.startExport({ camera: body.camera, fromMs, toMs, mode: body.mode });
    },
  });
  defineRoute(app, {
    method: 'DELETE',
    url: '/api/video/exports/:id',
    role: 'editor',
    tags,
    summary: 'Cancel a queued or running export (nothing of it is kept)',
    params: z.strictObject({ id: z.string().regex(/^[0-9a-f]{12}$/, 'an export id') }),
    responses: { 204: { description: 'Cancelled', type: 'null' }, 404: errorBodySchema },
    handler: async ({ params }, _req, reply) => {
      if (!v.cancelExport(params.id))
        throw new ApiError('VIDEO_EXPORT_NOT_FOUND', 'no such export running or queued', {
          hint: 'See GET /api/video/exports: it may have finished already.',
        });
      return reply.code(204).send();
    },
  });
}
