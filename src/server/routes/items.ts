import { hintLangOf } from '../../core/hints-es.js';
import type { FastifyInstance } from 'fastify';
import { Journal } from '../../uplink/journal.js';
import { OutpostError } from '../../core/errors.js';
import { editTags, type AttributePatch } from '../../core/attributes.js';
import { sameAttributeValue } from '../../core/device-sync.js';
import { applyAttributes, applyPatches, attributesOf } from '../../library/attributes.js';
import { galleryPage, tagCounts, visibleItemsByIds } from '../../library/catalog/item-list.js';
import { resolveItemId } from '../../library/catalog/items.js';
import { companionsOf } from '../../library/catalog/items.js';
import type { Catalog } from '../../library/catalog/open.js';
import type { ItemRow } from '../../library/catalog/schema.js';
import { similarItems } from '../../library/catalog/similar.js';
import type { AppDeps } from '../deps.js';
import { galleryQueryOf, nextCursorOf } from '../item-query.js';
import { itemDetail, itemRecord } from '../item-record.js';
import { defineRoute } from '../route.js';
import {
  batchBody,
  batchResultSchema,
  itemDetailSchema,
  itemPageSchema,
  itemRecordSchema,
  itemRefParams,
  listQuery,
  noQuery,
  patchBody,
  similarQuery,
  similarResultSchema,
  tagsQuery,
  tagsResultSchema,
  undoBody,
  undoResultSchema,
} from '../schemas.js';

/**
 * An item by full id or unique prefix (already validated as 6..64 lowercase hex). Items not yet
 * stored (ingest in flight) or deleted (tombstoned) do not exist for the API.
 */
export function findItem(cat: Catalog, ref: string): Promise<ItemRow> {
  return resolveItemId(cat, ref, 'visible');
}

const DEFAULT_MAX_DISTANCE = 10;

export function registerItemRoutes(app: FastifyInstance, deps: AppDeps): void {
  const cat = deps.catalog;
  // Without a library drive's files (HQ) an edit is ops only: no sidecar is written.
  const sidecarRoot = deps.files?.root ?? null;
  const tags = ['items'];
  const ctx = (): { node: string; nowMs: number } => ({ node: deps.node, nowMs: deps.clock.now().getTime() });

  defineRoute(app, {
    method: 'GET',
    url: '/api/items',
    role: 'viewer',
    tags,
    summary: 'List items, filtered, by capture time, one page at a time',
    description:
      'Keyset pagination: pass `nextCursor` back as `cursor` (with the same filters and sort) until it is null. ' +
      'Every item is seen exactly once even while others are added. Unknown query keys are rejected with 400.',
    query: listQuery,
    responses: { 200: itemPageSchema },
    handler: async ({ query }, req) => {
      const page = await galleryPage(cat, galleryQueryOf(query));
      const lang = hintLangOf(req.headers['accept-language']);
      return {
        items: page.items.map((r) => itemRecord(r, lang)),
        nextCursor: nextCursorOf(page),
        limit: query.limit,
        sort: query.sort,
      };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/items/:id',
    role: 'viewer',
    tags,
    summary: 'One item: facts, attributes, companions, near-duplicate count',
    params: itemRefParams,
    query: noQuery,
    responses: { 200: itemDetailSchema },
    handler: async ({ params }, req) => {
      const row = await findItem(cat, params.id);
      const count = row.phash ? (await similarItems(cat, row.id, row.phash, DEFAULT_MAX_DISTANCE)).length : 0;
      return itemDetail(
        row,
        await companionsOf(cat, row.id),
        { count, maxDistance: DEFAULT_MAX_DISTANCE },
        new Journal(cat, 'hq').ofItemEverywhere(row.id),
        hintLangOf(req.headers['accept-language']),
      );
    },
  });

  defineRoute(app, {
    method: 'PATCH',
    url: '/api/items/:id',
    role: 'editor',
    tags,
    summary: 'Set attributes of one item',
    description:
      'Only the fields given change (null clears one; `tags` replaces the list). Each field becomes an op ' +
      'in the op log; on a station the XMP sidecar beside the original is rewritten.',
    params: itemRefParams,
    query: noQuery,
    body: patchBody,
    responses: { 200: itemRecordSchema },
    handler: async ({ params, body }) => {
      const row = await findItem(cat, params.id);
      const [updated] = await applyAttributes(cat, sidecarRoot, [row.id], byHand(body), ctx());
      return itemRecord(updated ?? (await findItem(cat, row.id)));
    },
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/items/batch',
    role: 'editor',
    tags,
    summary: 'Set the same attributes on many items',
    description:
      'All or nothing: when any id is unknown nothing changes (404 listing them). Full ids only; ' +
      'duplicates are ignored.',
    query: noQuery,
    body: batchBody,
    responses: { 200: batchResultSchema },
    handler: async ({ body }) => {
      const ids = [...new Set(body.ids)];
      const found = new Map((await visibleItemsByIds(cat, ids)).map((r) => [r.id, r]));
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length)
        throw new OutpostError('ITEM_NOT_FOUND', `${missing.length} of ${ids.length} ids are not items`, {
          hint: 'Nothing was changed. Reload the list: these items may have been deleted.',
          details: { missing: missing.slice(0, 100) },
        });
      // A location does not replace a position the file itself carries unless asked (GPX
      // geotagging leaves those alone too); tags are added or removed one by one per item.
      let skippedOwnGps = 0;
      const patches = ids.map((id) => {
        const row = found.get(id)!;
        const patch: AttributePatch = byHand(body.patch);
        if (patch.location !== undefined && !body.overwriteGps && row.lat !== null && row.lon !== null) {
          delete patch.location;
          skippedOwnGps++;
        }
        if (body.addTags?.length || body.removeTags?.length)
          patch.tags = editTags(
            patch.tags ?? attributesOf(row).tags,
            body.addTags ?? [],
            body.removeTags ?? [],
          );
        return { id, patch };
      });
      const rows = await applyPatches(cat, sidecarRoot, patches, ctx());
      return {
        updated: patches.filter((p) => Object.values(p.patch).some((v) => v !== undefined)).length,
        skippedOwnGps,
        items: rows.map((r) => ({
          id: r.id,
          attributes: itemRecord(r).attributes,
          before: attributesOf(found.get(r.id)!),
        })),
      };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/tags',
    role: 'viewer',
    tags,
    summary: "The library's tags, most used first (for autocomplete)",
    query: tagsQuery,
    responses: { 200: tagsResultSchema },
    handler: async ({ query }) => ({ tags: await tagCounts(cat, query.prefix, query.limit) }),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/items/undo',
    role: 'editor',
    tags,
    summary: 'Undo an edit: put back the previous values, field by field, where nobody changed them since',
    description:
      'Each change names the value the edit set (`set`) and the one before it (`previous`). A field whose ' +
      'current value is still `set` gets `previous` back as a new op (the op log stays append-only; ' +
      'sidecars follow); a field someone changed since is left alone and listed in `skipped`.',
    query: noQuery,
    body: undoBody,
    responses: { 200: undoResultSchema },
    handler: async ({ body }) => {
      const ids = [...new Set(body.changes.map((c) => c.id))];
      const rows = new Map((await visibleItemsByIds(cat, ids)).map((r) => [r.id, r]));
      const patches = new Map<string, AttributePatch>();
      const skipped: { id: string; field: string; reason: string }[] = [];
      for (const c of body.changes) {
        const row = rows.get(c.id);
        if (!row) {
          skipped.push({ id: c.id, field: c.field, reason: 'deleted' });
          continue;
        }
        const now = attributesOf(row)[c.field];
        if (!sameAttributeValue(c.field, now, c.set)) {
          skipped.push({ id: c.id, field: c.field, reason: 'changed since' });
          continue;
        }
        const patch = patches.get(c.id) ?? {};
        (patch as Record<string, unknown>)[c.field] = c.previous;
        patches.set(c.id, patch);
      }
      const updated = await applyPatches(
        cat,
        sidecarRoot,
        [...patches].map(([id, patch]) => ({ id, patch })),
        ctx(),
      );
      return {
        restored: updated.length,
        skipped,
        items: updated.map((r) => ({ id: r.id, attributes: itemRecord(r).attributes })),
      };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/items/:id/similar',
    role: 'viewer',
    tags,
    summary: 'Near-duplicates of an item (perceptual hash), closest first',
    description: 'Items without a perceptual hash (audio, undecodable files) have none: the list is empty.',
    params: itemRefParams,
    query: similarQuery,
    responses: { 200: similarResultSchema },
    handler: async ({ params, query }) => {
      const row = await findItem(cat, params.id);
      const hits = row.phash
        ? (await similarItems(cat, row.id, row.phash, query.maxDistance)).slice(0, query.limit)
        : [];
      const byId = new Map(
        (
          await visibleItemsByIds(
            cat,
            hits.map((h) => h.id),
          )
        ).map((r) => [r.id, r]),
      );
      return {
        id: row.id,
        maxDistance: query.maxDistance,
        items: hits.flatMap((h) => {
          const r = byId.get(h.id);
          return r ? [{ distance: h.distance, item: itemRecord(r) }] : [];
        }),
      };
    },
  });
}

/** A location given through the API without a source was set by a person. */
function byHand(patch: AttributePatch): AttributePatch {
  return patch.location
    ? { ...patch, location: { ...patch.location, source: patch.location.source ?? 'hand' } }
    : { ...patch };
}
