import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DEVICE_FIELDS, DEVICE_ID_RE } from '../../core/device-sync.js';
import { hintLangOf } from '../../core/hints-es.js';
import type { attributesOf } from '../../library/attributes.js';
import { itemsChangedSince, listConflicts } from '../../library/catalog/device-ops.js';
import { galleryPage, visibleItemsByIds } from '../../library/catalog/item-list.js';
import { lastHlc, newestOpSeq } from '../../library/catalog/ops.js';
import type { ItemRow } from '../../library/catalog/schema.js';
import { conflictRecord, mergeDeviceOps, settleDeviceConflict } from '../../library/device-sync.js';
import { encodeHlc } from '../../core/hlc.js';
import type { AppDeps } from '../deps.js';
import { invalidInput, zodProblems } from '../errors.js';
import { galleryQueryOf, nextCursorOf } from '../item-query.js';
import { itemRecord } from '../item-record.js';
import { defineRoute } from '../route.js';
import { fullItemId, itemRecordSchema, listQuery, noQuery } from '../schemas.js';
import { appMedia } from './media.js';

/**
 * Offline tablets (issue 18, docs/offline.md): what a take-away set holds, the edits a device
 * made offline, the changes since it last looked, and the conflicts between them. The same
 * routes, roles and checks on a station and at HQ.
 */

/** Ops in one push (a tablet sends its queue in batches of this many). */
export const PUSH_MAX_OPS = 1000;
/** Items in one take-away set. */
export const TAKEAWAY_MAX_ITEMS = 5000;

const deviceOpSchema = z.strictObject({
  hlc: z.string().min(15).max(120).describe("The device's HLC stamp (its node is the device id)."),
  item: fullItemId,
  field: z.enum(DEVICE_FIELDS),
  value: z.unknown().describe('The new value, as PATCH /api/items/:id takes it.'),
  base: z.unknown().describe('The value the person saw before the edit.'),
  resolves: z.string().max(64).optional().describe('A conflict this edit settles (taking the other value).'),
});

const pushBody = z.strictObject({
  device: z.string().regex(DEVICE_ID_RE, 'letters, digits, . _ - (up to 64)'),
  ops: z.array(deviceOpSchema).min(1).max(PUSH_MAX_OPS),
});

const conflictSchema = z.object({
  id: z.string(),
  item: z.string(),
  field: z.string(),
  device: z.string(),
  deviceValue: z.unknown(),
  otherValue: z.unknown(),
  base: z.unknown(),
  winner: z.enum(['device', 'other']),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolution: z.enum(['kept', 'took-other']).nullable(),
});

const attributesSchema = itemRecordSchema.shape.attributes;

const pushResult = z.object({
  results: z.array(
    z.object({
      hlc: z.string(),
      item: z.string(),
      field: z.string(),
      outcome: z.enum(['applied', 'superseded', 'refused']),
      duplicate: z.boolean(),
      message: z.string().optional(),
      conflict: conflictSchema.optional(),
    }),
  ),
  items: z.array(z.object({ id: z.string(), attributes: attributesSchema })),
  hlc: z.string(),
  sidecarProblem: z
    .object({ code: z.string(), message: z.string() })
    .optional()
    .describe('Edits saved, but sidecars could not be written (they follow at the next change).'),
});

const changesQuery = z.strictObject({
  since: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('The cursor of the last answer (0: from the start).'),
  limit: z.coerce.number().int().min(1).max(5000).default(2000).describe('Ops looked at per answer.'),
});

const changesResult = z.object({
  cursor: z.number(),
  more: z.boolean(),
  hlc: z.string(),
  items: z.array(z.object({ id: z.string(), attributes: attributesSchema })),
  gone: z.array(z.string()),
});

const manifestBody = z.strictObject({
  query: z
    .string()
    .max(2000)
    .default('')
    .describe("The gallery's filter as a query string (?monitor=…&minRating=3)."),
  ids: z.array(fullItemId).max(TAKEAWAY_MAX_ITEMS).optional().describe('A selection instead of a filter.'),
  have: z.string().max(100).optional().describe('The etag of the copy the device holds.'),
  originalsUpToS: z
    .number()
    .min(0)
    .max(600)
    .optional()
    .describe('Estimate originals too, of videos and sounds up to this long (photos always).'),
});

const manifestResult = z.object({
  etag: z.string(),
  unchanged: z.boolean(),
  items: z.array(itemRecordSchema).optional(),
  truncated: z.boolean(),
  count: z.number(),
  estimate: z.object({ thumbBytes: z.number(), previewBytes: z.number(), originalBytes: z.number() }),
  cursor: z.number(),
  hlc: z.string(),
});

const conflictsQuery = z.strictObject({
  all: z.enum(['true', 'false']).optional().describe('true: settled ones too.'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const settleBody = z.strictObject({ choice: z.enum(['take-other', 'keep']) });

/** Derived files measured for an estimate (the rest are assumed alike). */
const ESTIMATE_SAMPLE = 24;

export function registerSyncRoutes(app: FastifyInstance, deps: AppDeps): void {
  const cat = deps.catalog;
  const sidecarRoot = deps.files?.root ?? null;
  const media = appMedia(deps);
  const tags = ['sync'];
  const ctx = (): { node: string; nowMs: number } => ({ node: deps.node, nowMs: deps.clock.now().getTime() });
  const clockNow = async (): Promise<string> =>
    encodeHlc((await lastHlc(cat)) ?? { wall: deps.clock.now().getTime(), counter: 0, node: deps.node });
  const current = async (
    ids: string[],
  ): Promise<{ id: string; attributes: ReturnType<typeof attributesOf> }[]> =>
    (await visibleItemsByIds(cat, ids)).map((r) => ({ id: r.id, attributes: itemRecord(r).attributes }));

  defineRoute(app, {
    method: 'POST',
    url: '/api/sync/ops',
    role: 'editor',
    tags,
    summary: "Take a device's offline edits (idempotent)",
    description:
      'Each op is known by the device id and its stamp: a push repeated after a cut changes nothing and ' +
      'gets the first answer again (`duplicate: true`). Values are checked as PATCH /api/items/:id checks ' +
      "them. A stamp far ahead of this clock is re-stamped at this clock's now. Where the field changed " +
      'since `base`, the last writer wins and both values are kept as a conflict (GET /api/sync/conflicts). ' +
      'Sidecars follow.',
    query: noQuery,
    body: pushBody,
    responses: { 200: pushResult },
    handler: async ({ body }, req) => {
      const push = await mergeDeviceOps(cat, sidecarRoot, body.device, body.ops, ctx());
      if (push.sidecarProblem)
        req.log.warn({ ...push.sidecarProblem, device: body.device }, 'sync: sidecars not written');
      return {
        ...(push.sidecarProblem ? { sidecarProblem: push.sidecarProblem } : {}),
        results: push.results,
        items: await current([...new Set(body.ops.map((o) => o.item))]),
        hlc: push.hlc,
      };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/sync/changes',
    role: 'viewer',
    tags,
    summary: 'Items whose attributes changed since a cursor',
    description:
      "Pass the answer's `cursor` back as `since` until `more` is false. `gone`: items deleted (or no longer shown).",
    query: changesQuery,
    responses: { 200: changesResult },
    handler: async ({ query }) => {
      const c = await itemsChangedSince(cat, query.since, query.limit);
      const items = await current(c.ids);
      const shown = new Set(items.map((i) => i.id));
      return {
        cursor: c.cursor,
        more: c.more,
        hlc: await clockNow(),
        items,
        gone: c.ids.filter((id) => !shown.has(id)),
      };
    },
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/takeaway/manifest',
    role: 'viewer',
    tags,
    summary:
      'What a take-away set holds: its items, their size, and whether the copy a device has is current',
    description:
      "A filter (the gallery's query string) or a selection of ids. With `have` equal to the current `etag` " +
      `the answer is only \`unchanged: true\` (refreshing an unchanged set moves almost nothing). At most ${TAKEAWAY_MAX_ITEMS} items.`,
    query: noQuery,
    body: manifestBody,
    responses: { 200: manifestResult },
    handler: async ({ body }, req) => {
      const cursor = await newestOpSeq(cat);
      const rows = body.ids
        ? await visibleItemsByIds(cat, [...new Set(body.ids)])
        : await filtered(body.query);
      const truncated = rows.length > TAKEAWAY_MAX_ITEMS;
      const kept = rows.slice(0, TAKEAWAY_MAX_ITEMS);
      const lang = hintLangOf(req.headers['accept-language']);
      const items = kept.map((r) => itemRecord(r, lang));
      const etag = createHash('sha256').update(JSON.stringify(items)).digest('base64url').slice(0, 27);
      const estimate = await estimateOf(kept, body.originalsUpToS);
      const unchanged = body.have === etag;
      return {
        etag,
        unchanged,
        ...(unchanged ? {} : { items }),
        truncated,
        count: items.length,
        estimate,
        cursor,
        hlc: await clockNow(),
      };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/sync/conflicts',
    role: 'viewer',
    tags,
    summary: 'Edits that met another edit: both values, and whose the field holds',
    query: conflictsQuery,
    responses: { 200: z.object({ conflicts: z.array(conflictSchema) }) },
    handler: async ({ query }) => ({
      conflicts: (await listConflicts(cat, { all: query.all === 'true', limit: query.limit })).map(
        conflictRecord,
      ),
    }),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/sync/conflicts/:id',
    role: 'editor',
    tags,
    summary: 'Settle a conflict: take the other value, or keep the one the field holds',
    params: z.strictObject({ id: z.string().uuid() }),
    query: noQuery,
    body: settleBody,
    responses: { 200: conflictSchema },
    handler: async ({ params, body }) =>
      settleDeviceConflict(cat, sidecarRoot, params.id, body.choice, ctx()),
  });

  /** Every item of a gallery filter, in the gallery's order, up to one more than the limit. */
  async function filtered(queryString: string): Promise<Omit<ItemRow, 'facts'>[]> {
    const raw: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(queryString)) {
      if (k === 'limit' || k === 'cursor') continue;
      const had = raw[k];
      raw[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    }
    const parsed = listQuery.safeParse({ ...raw, limit: 500 });
    if (!parsed.success) throw invalidInput(zodProblems('body.query', parsed.error.issues));
    const out: Omit<ItemRow, 'facts'>[] = [];
    let q = galleryQueryOf(parsed.data);
    for (;;) {
      const page = await galleryPage(cat, q);
      out.push(...page.items);
      const next = nextCursorOf(page);
      if (!next || out.length > TAKEAWAY_MAX_ITEMS) return out;
      q = galleryQueryOf({ ...parsed.data, cursor: next });
    }
  }

  /** Bytes a set needs: derived files measured on a sample, originals from the catalogue. */
  async function estimateOf(
    rows: Omit<ItemRow, 'facts'>[],
    originalsUpToS: number | undefined,
  ): Promise<{ thumbBytes: number; previewBytes: number; originalBytes: number }> {
    const sizeOf = async (kind: 'thumb' | 'preview'): Promise<number> => {
      const has = rows.filter((r) => (kind === 'thumb' ? r.has_thumb : r.has_preview));
      if (!has.length) return 0;
      const step = Math.max(1, Math.floor(has.length / ESTIMATE_SAMPLE));
      let bytes = 0;
      let n = 0;
      for (let i = 0; i < has.length && n < ESTIMATE_SAMPLE; i += step) {
        try {
          const f = await media(has[i] as ItemRow, kind);
          bytes += f.size;
          await f.close();
          n++;
        } catch {
          /* missing here: not counted */
        }
      }
      return n ? Math.round((bytes / n) * has.length) : 0;
    };
    const originalBytes =
      originalsUpToS === undefined
        ? 0
        : rows
            .filter((r) => r.type === 'photo' || (r.duration_s ?? Infinity) <= originalsUpToS)
            .reduce((s, r) => s + Number(r.size), 0);
    return { thumbBytes: await sizeOf('thumb'), previewBytes: await sizeOf('preview'), originalBytes };
  }
}
