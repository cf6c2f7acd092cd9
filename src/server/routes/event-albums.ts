import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { csvDocument } from '../../core/csv.js';
import { OutpostError } from '../../core/errors.js';
import { applyPatches } from '../../library/attributes.js';
import { eventSummaries, itemIdsOfEvent } from '../../library/catalog/events.js';
import { visibleItemsByIds } from '../../library/catalog/item-list.js';
import type { ItemRow } from '../../library/catalog/schema.js';
import type { AppDeps } from '../deps.js';
import { defineRoute } from '../route.js';
import { noQuery } from '../schemas.js';

/** An event code: one line, not empty, at most 120 characters. */
const eventCode = z
  .string()
  .trim()
  .min(1, { message: 'the event code is empty' })
  .max(120, { message: 'the event code is longer than 120 characters' })
  .refine((s) => !/[\r\n]/.test(s), { message: 'an event code must be one line (no line breaks)' });

const renameBody = z.strictObject({ from: eventCode, to: eventCode });

/**
 * Events as albums (issue 13 §2): `GET /api/event-albums` lists the events; `POST
 * /api/events/rename` renames an event code, or merges it into an existing one, as an event op on
 * each of its items (sidecars follow; the returned `changes` go to `POST /api/items/undo`).
 * (`GET /api/events` is already the live/motion events stream.)
 */
export function registerEventAlbumRoutes(app: FastifyInstance, deps: AppDeps): void {
  const cat = deps.catalog;
  const sidecarRoot = deps.files?.root ?? null;
  const tags = ['items'];

  defineRoute(app, {
    method: 'GET',
    url: '/api/event-albums',
    role: 'viewer',
    tags,
    summary: 'The events (albums): item count, date range, cover item and mean position',
    query: noQuery,
    responses: { 200: z.unknown() },
    handler: async () => ({ events: await eventSummaries(cat) }),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/events/rename',
    role: 'editor',
    tags,
    summary: 'Rename an event code on all its items (onto an existing code: merge the two events)',
    query: noQuery,
    body: renameBody,
    responses: { 200: z.unknown() },
    handler: async ({ body }) => {
      const ids = await itemIdsOfEvent(cat, body.from);
      if (ids.length === 0)
        throw new OutpostError('ITEM_NOT_FOUND', `no item has the event code "${body.from}"`, {
          hint: 'Reload the events list: the event may have been renamed already.',
        });
      const merged = (await itemIdsOfEvent(cat, body.to)).length > 0;
      if (body.to !== body.from)
        await applyPatches(
          cat,
          sidecarRoot,
          ids.map((id) => ({ id, patch: { event: body.to } })),
          { node: deps.node, nowMs: deps.clock.now().getTime() },
        );
      return {
        updated: body.to === body.from ? 0 : ids.length,
        merged,
        changes: ids.map((id) => ({ id, field: 'event', set: body.to, previous: body.from })),
      };
    },
  });
}

/** The selection's metadata and attributes as CSV: one row per item (also inside zip exports). */
export function selectionCsv(rows: ItemRow[]): string {
  const header = [
    'id',
    'sha256',
    'file_name',
    'monitor',
    'card',
    'capture_time',
    'camera_make',
    'camera_model',
    'lat',
    'lon',
    'location_source',
    'event',
    'tags',
    'rating',
    'notes',
    'priority',
  ];
  const out = rows.map((r) => {
    const hand = r.location_lat !== null && r.location_lon !== null;
    const tags = JSON.parse(r.tags || '[]') as string[];
    return [
      r.id.slice(0, 12),
      r.id,
      r.original_name,
      r.monitor,
      r.card_id,
      r.captured_at,
      r.make,
      r.model,
      hand ? r.location_lat : r.lat,
      hand ? r.location_lon : r.lon,
      hand ? 'set' : r.lat !== null ? 'camera' : '',
      r.event,
      tags.join(';'),
      r.rating,
      r.notes,
      r.priority ? 1 : 0,
    ];
  });
  return csvDocument(header, out);
}

export const exportBody = z.strictObject({
  ids: z
    .array(z.string().regex(/^[0-9a-f]{64}$/))
    .min(1)
    .max(100_000),
});

/** `POST /api/export/csv {ids}`: the selection's metadata and attributes as CSV (issue 13 §2). */
export function registerExportRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, {
    method: 'POST',
    url: '/api/export/csv',
    role: 'viewer',
    tags: ['items'],
    summary: "The selection's metadata and attributes as CSV (UTF-8 with BOM, RFC 4180 quoting)",
    query: noQuery,
    body: exportBody,
    responses: { 200: z.unknown() },
    handler: async ({ body }, _req, reply) => {
      const csv = selectionCsv(await visibleItemsByIds(deps.catalog, body.ids));
      void reply.header('content-type', 'text/csv; charset=utf-8');
      void reply.header('content-disposition', 'attachment; filename="outpost-export.csv"');
      return csv;
    },
  });
}
