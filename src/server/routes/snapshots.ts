import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ItemRow } from '../../library/catalog/schema.js';
import type { AppDeps, MediaSource, SnapshotsControl } from '../deps.js';
import { defineRoute } from '../route.js';
import { errorBodySchema, itemRefParams, noQuery } from '../schemas.js';
import { findItem } from './items.js';
import { appMedia, driveMedia, sendOriginal, sendRendition } from './media.js';

const cameraParams = z.strictObject({
  camera: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a camera name (letters, digits, . _ -; up to 64)'),
});
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD')
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    'not a calendar day',
  );
const dayParams = cameraParams.extend({ day });

const gap = z.object({ from: z.string(), to: z.string() });
const cameraStatusSchema = z.object({
  camera: z.string(),
  timeZone: z.string(),
  lastSnapshot: z.object({ id: z.string(), at: z.string() }).nullable(),
  today: z.object({
    day: z.string(),
    snapshots: z.number().int(),
    gaps: z.array(gap),
    rejected: z.number().int().describe('Uploads refused today (empty, truncated, not a JPEG, too big)'),
  }),
  storedBytes: z.number(),
  storedCount: z.number().int(),
  daysKept: z.number().int(),
  oldestDay: z.string().nullable(),
  clockDriftS: z.number().nullable().describe("The camera's clock minus the station's (from its file names)"),
  timelapses: z.object({
    done: z.number().int(),
    failed: z.number().int(),
    pending: z.number().int(),
    lastDone: z.string().nullable(),
  }),
});
const statusSchema = z.object({
  cameras: z.array(cameraStatusSchema),
  ftp: z
    .object({
      enabled: z.boolean(),
      port: z.number().int(),
      connections: z.number().int(),
      accepted: z.number().int(),
      rejected: z.record(z.string(), z.number().int()),
      loginFailures: z.number().int(),
      loginsBlocked: z.number().int(),
    })
    .nullable(),
  pulls: z.array(
    z.object({
      camera: z.string(),
      lastOkAt: z.string().nullable(),
      lastError: z.string().nullable(),
      consecutiveFailures: z.number().int(),
    }),
  ),
  timelapse: z
    .object({ camera: z.string(), day: z.string() })
    .nullable()
    .describe('The timelapse being made now'),
});
const dayViewSchema = z.object({
  camera: z.string(),
  day: z.string(),
  timeZone: z.string(),
  intervalS: z.number().nullable(),
  snapshots: z.array(
    z.object({
      id: z.string(),
      at: z.string(),
      local: z.string(),
      kept: z.boolean().describe('false: retention removed the JPEG, its thumbnail stays'),
      thumb: z.boolean(),
      trigger: z.string().nullable(),
      driftS: z.number().nullable(),
    }),
  ),
  gaps: z.array(gap.extend({ fromLocal: z.string(), toLocal: z.string() })),
  timelapse: z
    .object({
      state: z.string(),
      id: z.string().nullable(),
      frames: z.number().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
  rejected: z.array(z.object({ reason: z.string(), n: z.number().int(), lastMessage: z.string() })),
});
const daysSchema = z.object({
  days: z.array(
    z.object({
      day: z.string(),
      state: z.string(),
      timelapseId: z.string().nullable(),
      snapshots: z.number().int(),
    }),
  ),
});
const madeSchema = z.object({
  camera: z.string(),
  day: z.string(),
  id: z.string(),
  frames: z.number().int(),
  durationS: z.number(),
  snapshots: z.number().int(),
  created: z.boolean(),
});

/**
 * `/api/snapshots…`: IP cameras' snapshots (docs/snapshots.md): each camera's state, a day's
 * strip with its gaps and timelapse, and a timelapse made on demand. Registered only when the
 * station takes snapshots.
 */
export function registerSnapshotRoutes(app: FastifyInstance, deps: AppDeps): void {
  const s: SnapshotsControl | undefined = deps.snapshots;
  if (!s) return;
  const tags = ['snapshots'];
  defineRoute(app, {
    method: 'GET',
    url: '/api/snapshots',
    role: 'viewer',
    tags,
    summary:
      'Each snapshot camera: last snapshot, today (count, gaps, refused), storage, days kept, timelapses',
    responses: { 200: statusSchema },
    handler: async () => s.status(),
  });
  defineRoute(app, {
    method: 'GET',
    url: '/api/snapshots/:camera/days',
    role: 'viewer',
    tags,
    summary: "A camera's days, newest first, with their timelapse",
    params: cameraParams,
    responses: { 200: daysSchema, 503: errorBodySchema },
    handler: async ({ params }) => ({ days: s.days(params.camera) }),
  });
  defineRoute(app, {
    method: 'GET',
    url: '/api/snapshots/:camera/days/:day',
    role: 'viewer',
    tags,
    summary:
      'One camera-day: every snapshot (thumbnails at /api/snapshots/items/:id/thumb), the gaps, the timelapse',
    params: dayParams,
    responses: { 200: dayViewSchema, 400: errorBodySchema, 503: errorBodySchema },
    handler: async ({ params }) => s.dayView(params.camera, params.day),
  });
  // A snapshot's or timelapse's bytes: from the snapshot library (HQ keeps it apart from its
  // object store), else where the app keeps its media (a timelapse offloaded after HQ has it).
  const source = async (id: string): Promise<{ row: ItemRow; media: MediaSource }> => {
    const hit = await s.item(id);
    if (hit && hit.row.state === 'stored') return { row: hit.row, media: driveMedia(hit.root) };
    return { row: await findItem(deps.catalog, id), media: appMedia(deps) };
  };
  const binary = (mime: string): { description: string; content: Record<string, unknown> } => ({
    description: 'The bytes',
    content: { [mime]: { schema: { type: 'string', format: 'binary' } } },
  });
  defineRoute(app, {
    method: ['GET', 'HEAD'],
    url: '/api/snapshots/items/:id/thumb',
    role: 'viewer',
    tags,
    summary: "A snapshot's thumbnail (the day strip's picture)",
    params: itemRefParams,
    query: noQuery,
    responses: { 200: binary('image/webp'), 304: { description: 'Not modified', type: 'null' } },
    handler: async ({ params }, req, reply) => {
      const { row, media } = await source(params.id);
      return sendRendition(req, reply, media, row, 'thumb');
    },
  });
  defineRoute(app, {
    method: ['GET', 'HEAD'],
    url: '/api/snapshots/items/:id/original',
    role: 'viewer',
    tags,
    summary: 'A snapshot (JPEG) or a timelapse (MP4), byte for byte (HTTP Range supported)',
    params: itemRefParams,
    query: noQuery,
    responses: {
      200: binary('application/octet-stream'),
      206: binary('application/octet-stream'),
      304: { description: 'Not modified', type: 'null' },
      416: errorBodySchema,
    },
    handler: async ({ params }, req, reply) => {
      const { row, media } = await source(params.id);
      return sendOriginal(req, reply, media, row, false);
    },
  });
  defineRoute(app, {
    method: 'POST',
    url: '/api/snapshots/:camera/days/:day/timelapse',
    role: 'editor',
    tags,
    summary: "Make (or make again) a day's timelapse now; answers once it is made",
    description:
      'Queued behind a timelapse being made (never two at once). The snapshots stay; an earlier timelapse of the day stays an item too.',
    params: dayParams,
    responses: { 200: madeSchema, 400: errorBodySchema, 500: errorBodySchema, 503: errorBodySchema },
    handler: async ({ params }) => {
      const r = await s.makeTimelapse(params.camera, params.day);
      return {
        camera: r.camera,
        day: r.day,
        id: r.id,
        frames: r.frames,
        durationS: r.durationS,
        snapshots: r.snapshots,
        created: r.created,
      };
    },
  });
}
