import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OutpostError } from '../../core/errors.js';
import { nodeDiskSpace } from '../deps.js';
import type { AppDeps } from '../deps.js';
import { defineRoute } from '../route.js';
import { noQuery } from '../schemas.js';

const driveSchema = z.object({ id: z.string(), label: z.string(), path: z.string() });
const volumeSchema = z.object({
  mountPoint: z.string(),
  freeBytes: z.number().nullable(),
  totalBytes: z.number().nullable(),
});
const drivesSchema = z.object({
  a: driveSchema.nullable().describe('The library drive ingest writes to'),
  b: driveSchema.nullable().describe('Its mirror partner'),
  blank: z.array(volumeSchema).describe('Empty volumes that can become a library drive'),
});
const initBody = z
  .object({
    mountPoint: z.string().min(1).max(4096),
    label: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .regex(/^[\p{L}\p{N} ._-]+$/u, 'letters, digits, spaces, dot, dash, underscore'),
  })
  .strict();

/** Drives the station sees, and making an empty one a library drive (editors). Station only. */
export function registerDriveRoutes(app: FastifyInstance, deps: AppDeps): void {
  const control = deps.drives;
  if (!control) return;
  const space = deps.diskSpace ?? nodeDiskSpace;
  defineRoute(app, {
    method: 'GET',
    url: '/api/drives',
    role: 'viewer',
    tags: ['drives'],
    summary: 'Library drive, mirror partner, and empty volumes that can be initialised',
    query: noQuery,
    responses: { 200: drivesSchema },
    handler: async () => {
      const { a, b } = control.current();
      const view = (d: typeof a) =>
        d ? { id: d.marker.id, label: d.marker.label, path: d.layout.root } : null;
      const blank = await Promise.all(
        control.blank().map(async (mountPoint) => {
          const s = await space(mountPoint).catch(() => null);
          return { mountPoint, freeBytes: s?.freeBytes ?? null, totalBytes: s?.totalBytes ?? null };
        }),
      );
      return { a: view(a), b: view(b), blank };
    },
  });
  defineRoute(app, {
    method: 'POST',
    url: '/api/drives/init',
    role: 'editor',
    tags: ['drives'],
    summary: 'Make an empty volume a library drive (drive A if none, else the mirror partner)',
    description:
      'Only volumes listed in GET /api/drives `blank` (mounted under the watched roots, holding nothing but ' +
      'what formatting leaves). 409 DRIVE_NOT_EMPTY when files appeared since.',
    query: noQuery,
    body: initBody,
    responses: { 201: driveSchema },
    handler: async ({ body }, _req, reply) => {
      if (!control.blank().includes(body.mountPoint))
        throw new OutpostError(
          'INVALID_INPUT',
          `${body.mountPoint} is not an empty volume the station offers`,
          {
            hint: 'GET /api/drives lists the empty volumes; plug the drive in again if it is missing.',
          },
        );
      const d = await control.init(body.mountPoint, body.label);
      void reply.code(201);
      return { id: d.marker.id, label: d.marker.label, path: d.layout.root };
    },
  });
}
