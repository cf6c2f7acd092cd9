import { open } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps, VideoControl } from '../deps.js';
import { ApiError } from '../errors.js';
import { followFile } from '../follow-file.js';
import { defineRoute } from '../route.js';
import { errorBodySchema } from '../schemas.js';
import { EDIT_PRESETS } from '../../video/edit.js';

const camera = z
  .string()
  .regex(
    /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,62}\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be a camera name (letters, digits, . _ -; up to 64), at HQ station/camera',
  );
const instant = z
  .string()
  .max(40)
  .refine(
    (s) => /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
    'an ISO 8601 time with Z or an offset',
  );

const jobSchema = z.object({
  id: z.string(),
  kind: z.enum(['range', 'edit']),
  camera: z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
  pieces: z.number().int().optional(),
  preset: z.string().optional(),
  mode: z.enum(['smart', 'keyframe']),
  state: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']),
  streaming: z.boolean().optional(),
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
      encoder: z.string().optional().describe("A full re-encode's encoder: libx264 or h264_v4l2m2m"),
      encoderNote: z.string().optional(),
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
    method: 'POST',
    url: '/api/video/edits',
    role: 'editor',
    tags,
    summary: 'Make a new video from pieces of video items (queued with the exports; the originals stay)',
    description:
      'Pieces in the order given, each `{ item, inS, outS }` in seconds of that item. `preset: original` cuts ' +
      'exactly and copies everything else; `1080p` and `720p` re-encode. `audio: false` drops the sound; ' +
      '`rotate` turns the picture by a flag. The result is an item whose facts keep this edit list.',
    body: z.strictObject({
      pieces: z
        .array(
          z.strictObject({
            item: z.string().regex(/^[0-9a-f]{64}$/, 'an item id'),
            inS: z.number().min(0),
            outS: z.number().positive(),
          }),
        )
        .min(1)
        .max(200),
      preset: z.enum(EDIT_PRESETS).default('original'),
      audio: z.boolean().default(true),
      rotate: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]).default(0),
    }),
    responses: { 202: jobSchema, 400: errorBodySchema, 404: errorBodySchema },
    handler: async ({ body }, _req, reply) => {
      for (const [i, p] of body.pieces.entries())
        if (!(p.outS > p.inS)) throw new ApiError('INVALID_INPUT', `piece ${i + 1}: outS must be after inS`);
      const job = await v.startEdit(body);
      void reply.code(202);
      return job;
    },
  });
  defineRoute(app, {
    method: 'GET',
    url: '/api/video/items/:id/keyframes',
    role: 'viewer',
    tags,
    summary: "A video's keyframe times, length and frame rate (the editor's timeline)",
    params: z.strictObject({ id: z.string().regex(/^[0-9a-f]{64}$/, 'an item id') }),
    responses: {
      200: z.object({ keyframes: z.array(z.number()), durationS: z.number(), fps: z.number() }),
      404: errorBodySchema,
    },
    handler: async ({ params }) => v.keyframes(params.id),
  });
  defineRoute(app, {
    method: 'GET',
    url: '/api/video/items/:id/strip',
    role: 'viewer',
    tags,
    summary: 'Small pictures across a video, side by side in one JPEG (the editor’s poster strip)',
    params: z.strictObject({ id: z.string().regex(/^[0-9a-f]{64}$/, 'an item id') }),
    query: z.strictObject({ n: z.coerce.number().int().min(2).max(30).default(10) }),
    responses: {
      200: {
        description: 'JPEG',
        content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } },
      },
      404: errorBodySchema,
    },
    handler: async ({ params, query }, _req, reply) => {
      const jpeg = await v.strip(params.id, query.n);
      return reply
        .type('image/jpeg')
        .header('cache-control', 'private, max-age=86400')
        .header('x-content-type-options', 'nosniff')
        .send(jpeg);
    },
  });
  defineRoute(app, {
    method: 'GET',
    url: '/api/video/exports/:id/stream',
    role: 'viewer',
    tags,
    summary: 'Watch an export while it is made: a fragmented MP4, sent as it is written',
    description:
      'While the export joins its pieces (`streaming: true` in its job), the bytes come as ffmpeg writes them ' +
      '(no length, no ranges). Once the export is an item this redirects to the item’s original (ranges).',
    params: z.strictObject({ id: z.string().regex(/^[0-9a-f]{12}$/, 'an export id') }),
    responses: {
      200: { description: 'MP4', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } },
      302: { description: 'The export is done: its item', type: 'null' },
      404: errorBodySchema,
    },
    handler: async ({ params }, _req, reply) => {
      const s = v.exportStream(params.id);
      const fh = s ? await open(s.path, 'r').catch(() => undefined) : undefined;
      if (s && fh)
        return reply
          .type('video/mp4')
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          .send(followFile(fh, s.done));
      const job = v.exports().find((j) => j.id === params.id);
      if (job?.state === 'done' && job.itemId)
        return reply.redirect(`/api/items/${job.itemId}/original`, 302);
      throw new ApiError('VIDEO_EXPORT_NOT_FOUND', 'no such export being made', {
        hint: 'See GET /api/video/exports: watch a running export, or open the item of a finished one.',
      });
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
