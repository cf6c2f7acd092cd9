import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import { TOMBSTONE_FIELD } from '../core/ops.js';
import type { Catalog } from '../library/catalog/open.js';
import { resolveItemId } from '../library/catalog/items.js';
import { dropObjectsOf, hqStats } from '../library/catalog/objects.js';
import { recordLocalOps } from '../library/catalog/ops.js';
import { defineRoute } from '../server/route.js';
import { itemRefParams, noQuery } from '../server/schemas.js';
import type { ObjectStore } from './object-store.js';

/** HQ's storage endpoints for people (session login): totals, and deleting an item everywhere. */
export interface StorageRoutesDeps {
  catalog: Catalog;
  store: ObjectStore;
  clock: Clock;
  node: string;
  log?: Logger;
}

const statsSchema = z.object({
  bytes: z.number().describe('Bytes of every stored object'),
  objects: z.number(),
  items: z.number().describe('Items HQ knows (facts received), not deleted'),
  itemsWithOriginal: z.number(),
  stations: z.array(
    z.object({
      station: z.string(),
      items: z.number(),
      objects: z.number(),
      bytes: z.number(),
      lastReceivedAt: z.string().nullable(),
    }),
  ),
});

const deletedSchema = z.object({ id: z.string(), deleted: z.literal(true), objectsRemoved: z.number() });

/** An HQ item by id or unique prefix, whether or not HQ holds its bytes yet. */
async function findHqItem(cat: Catalog, ref: string): Promise<string> {
  return (await resolveItemId(cat, ref, 'known')).id;
}

export function registerStorageRoutes(app: FastifyInstance, deps: StorageRoutesDeps): void {
  const cat = deps.catalog;
  defineRoute(app, {
    method: 'GET',
    url: '/api/hq/stats',
    role: 'viewer',
    tags: ['hq'],
    summary: 'Storage at HQ: bytes, objects and items, per station',
    query: noQuery,
    responses: { 200: statsSchema },
    handler: async () => hqStats(cat),
  });
  defineRoute(app, {
    method: 'DELETE',
    url: '/api/hq/items/:id',
    role: 'editor',
    tags: ['hq'],
    summary: 'Delete an item at HQ: a tombstone op (stations learn it from /hq/v1/ops) and its stored bytes',
    params: itemRefParams,
    query: noQuery,
    responses: { 200: deletedSchema },
    handler: async ({ params }) => {
      const id = await findHqItem(cat, params.id);
      const now = deps.clock.now();
      await recordLocalOps(
        cat,
        [{ entity: 'item', id, field: TOMBSTONE_FIELD, value: true }],
        deps.node,
        now.getTime(),
      );
      const hashes = await dropObjectsOf(cat, id);
      let removed = 0;
      for (const h of hashes) if (await deps.store.delete(h)) removed++;
      deps.log?.info({ item: id, objects: removed }, 'item deleted at HQ');
      return { id, deleted: true as const, objectsRemoved: removed };
    },
  });
}
