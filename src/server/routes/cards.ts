import type { FastifyInstance } from 'fastify';
import { OutpostError } from '../../core/errors.js';
import { validateMonitor } from '../../core/naming.js';
import { cardExists, monitorsWithCounts } from '../../library/catalog/card-list.js';
import { cardRecord, listCards } from '../../library/catalog/cards.js';
import { assignCardToMonitor } from '../../library/assign-card.js';
import type { AppDeps } from '../deps.js';
import { defineRoute } from '../route.js';
import {
  cardAssignmentSchema,
  cardListSchema,
  cardParams,
  monitorBody,
  monitorListSchema,
  noQuery,
} from '../schemas.js';

export function registerCardRoutes(app: FastifyInstance, deps: AppDeps): void {
  const cat = deps.catalog;
  const tags = ['cards'];

  defineRoute(app, {
    method: 'GET',
    url: '/api/cards',
    role: 'viewer',
    tags,
    summary: 'Cards this library has seen, with their monitor and item count',
    query: noQuery,
    responses: { 200: cardListSchema },
    handler: async () => ({ cards: (await listCards(cat)).map(cardRecord) }),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/cards/:id/monitor',
    role: 'editor',
    tags,
    summary: "Assign a card to a monitor, moving its items to the monitor's folders",
    description:
      'Recorded as ops (one for the card, one per item that changes monitor; synced like every op). ' +
      'Future ingests of the card go to library/<monitor>/, and the files of its items already on the ' +
      'drive (original, sidecar, companions) move there too, each by atomic hard-link and unlink. ' +
      'Items whose files could not move are listed in `failed` and retried at the next assignment or station start.',
    params: cardParams,
    query: noQuery,
    body: monitorBody,
    responses: { 200: cardAssignmentSchema },
    handler: async ({ params, body }) => {
      const monitor = validateMonitor(body.monitor);
      if (!(await cardExists(cat, params.id)))
        throw new OutpostError('CARD_NOT_FOUND', `no card ${params.id} in this library`, {
          hint: 'GET /api/cards lists the known cards; a card is known after its first ingest.',
        });
      const done = await assignCardToMonitor(
        cat,
        // Without a library drive's files (HQ) the assignment is ops only: nothing to move.
        deps.files?.root ?? null,
        params.id,
        monitor,
        deps.node,
        deps.clock.now().getTime(),
      );
      const card = (await listCards(cat)).find((c) => c.id === params.id)!;
      return { ...cardRecord(card), moved: done.moved, failed: done.failed };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/monitors',
    role: 'viewer',
    tags,
    summary: 'Monitors (people or cameras) with their item and card counts',
    description: 'Every monitor that has items or an assigned card, by name.',
    query: noQuery,
    responses: { 200: monitorListSchema },
    handler: async () => ({ monitors: await monitorsWithCounts(cat) }),
  });
}
