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
const mediumSchema = z.object({
  name: z.string().describe('Kernel name, e.g. sdb'),
  dev: z.string(),
  description: z.string().optional(),
  sizeBytes: z.number(),
  usb: z.boolean(),
  volumes: z.array(
    z.object({
      dev: z.string(),
      fsType: z.string().optional(),
      label: z.string().optional(),
      mountPoint: z.string().optional(),
      role: z.enum(['library', 'card', 'blank', 'other']).optional(),
      state: z.enum(['mounted', 'releasing', 'released', 'gone']).optional(),
      problem: z.string().optional(),
    }),
  ),
  format: z.union([
    z.object({ ok: z.literal(true) }),
    z.object({ ok: z.literal(false), reason: z.string() }),
  ]),
});
const drivesSchema = z.object({
  a: driveSchema.nullable().describe('The library drive ingest writes to'),
  b: driveSchema.nullable().describe('Its mirror partner'),
  blank: z.array(volumeSchema).describe('Empty volumes that can become a library drive'),
  managed: z.boolean().describe('The station mounts its own devices (eject and format work)'),
  devices: z
    .array(mediumSchema)
    .describe('Devices the station holds (managed only): drives and cards with their volumes'),
  emptyReaders: z.array(z.string()).describe('Card readers without a card (managed only)'),
});
const ejectBody = z.object({ target: z.enum(['A', 'B', 'card']) }).strict();
const ejectSchema = z.object({
  target: z.enum(['A', 'B', 'card']),
  device: z.string(),
  mountPoint: z.string(),
  label: z.string().optional(),
  state: z.literal('safe-to-remove'),
  message: z.string(),
});
const formatBody = z
  .object({
    device: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a device name from GET /api/drives, e.g. sdc'),
    fs: z.enum(['ext4', 'exfat']),
    label: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .regex(/^[\p{L}\p{N} ._-]+$/u, 'letters, digits, spaces, dot, dash, underscore'),
    confirm: z.literal(true, { error: 'confirm must be true: formatting erases the drive' }),
  })
  .strict();
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
      const devs = control.devices?.() ?? null;
      return {
        a: view(a),
        b: view(b),
        blank,
        managed: devs !== null,
        devices: devs?.media ?? [],
        emptyReaders: devs?.empty.map((e) => e.dev) ?? [],
      };
    },
  });
  defineRoute(app, {
    method: 'POST',
    url: '/api/drives/eject',
    role: 'editor',
    tags: ['drives'],
    summary: 'Flush and unmount drive A, drive B or the card, so it can be removed',
    description:
      'Only for devices the station mounted itself (station.devices.manage). 200 once synced and unmounted ' +
      '(the indicator then flashes green). 409 DEVICE_BUSY when something still uses it (named in the ' +
      'message; it stays mounted and the indicator flashes red), or while a card is being copied or the ' +
      'mirror runs. Ejecting drive A stops the web app until a library drive is plugged in again.',
    query: noQuery,
    body: ejectBody,
    responses: { 200: ejectSchema },
    handler: async ({ body }) => {
      if (!control.eject)
        throw new OutpostError(
          'DEVICES_NOT_MANAGED',
          'the station does not mount devices itself, so it cannot eject them',
        );
      return control.eject(body.target);
    },
  });
  defineRoute(app, {
    method: 'POST',
    url: '/api/drives/format',
    role: 'editor',
    tags: ['drives'],
    summary: 'Format an EMPTY device (ext4 or exFAT) and make it a library drive',
    description:
      'Erases the device. Refused (409 DRIVE_NOT_EMPTY) unless every filesystem on it was mounted by the ' +
      'station and holds no file at all, or it has no filesystem; a device with several partitions is ' +
      'refused too. `confirm: true` is required. exFAT: readable by Windows and macOS; ext4: Linux only, ' +
      'more robust. The new library becomes drive A if there is none, else the mirror partner.',
    query: noQuery,
    body: formatBody,
    responses: { 201: driveSchema },
    handler: async ({ body }, _req, reply) => {
      if (!control.format)
        throw new OutpostError(
          'DEVICES_NOT_MANAGED',
          'the station does not mount devices itself, so it cannot format them',
        );
      const d = await control.format(body.device, body.fs, body.label);
      void reply.code(201);
      return { id: d.marker.id, label: d.marker.label, path: d.layout.root };
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
