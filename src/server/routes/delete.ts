/**
 * `POST /api/items/delete`: delete rejected items for real (docs/reject-delete.md). A dry run says
 * how many would go and how many exist nowhere else; the web app's dialog shows that before the
 * person confirms, and confirms the only-copy risk separately.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { deleteRejected } from '../../drives/delete-items.js';
import { openCatalog, type Catalog } from '../../library/catalog/open.js';
import type { AppDeps } from '../deps.js';
import { defineRoute } from '../route.js';
import { noQuery } from '../schemas.js';

const deleteBody = z.strictObject({
  ids: z
    .array(z.string().regex(/^[0-9a-f]{64}$/))
    .min(1)
    .max(5000),
  confirmOnlyCopy: z
    .boolean()
    .default(false)
    .describe('Also delete originals that are neither on the second drive nor at HQ'),
  dryRun: z.boolean().default(false).describe('Only say what would happen'),
});

export function registerDeleteRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, {
    method: 'POST',
    url: '/api/items/delete',
    role: 'editor',
    tags: ['items'],
    summary: 'Delete rejected items: a tombstone everywhere, files removed where a copy is safe elsewhere',
    description:
      'Only rejected items are deleted (`notRejected` lists the others, untouched). Files are removed ' +
      'from this drive when the original is on the second drive or at HQ, or when `confirmOnlyCopy` ' +
      'is true; otherwise the item is hidden and its files kept (`keptOnlyCopy`).',
    query: noQuery,
    body: deleteBody,
    responses: {
      200: z.object({
        items: z.number().int(),
        onlyCopyCount: z.number().int(),
        filesRemoved: z.number().int(),
        keptOnlyCopy: z.number().int(),
        notRejected: z.array(z.string()),
        dryRun: z.boolean(),
      }),
    },
    handler: async ({ body }) => {
      const b = deps.drives?.current().b;
      let partner: Catalog | undefined;
      try {
        partner = b ? await openCatalog(b.layout.catalog) : undefined;
        const out = await deleteRejected(deps.catalog, deps.files?.root, partner, {
          ids: body.ids,
          confirmOnlyCopy: body.confirmOnlyCopy,
          dryRun: body.dryRun,
          node: deps.node,
          nowMs: deps.clock.now().getTime(),
        });
        return { ...out, dryRun: body.dryRun };
      } finally {
        await partner?.close();
      }
    },
  });
}
