import type { FastifyInstance } from 'fastify';
import { OutpostError } from '../../core/errors.js';
import { validateMonitor } from '../../core/naming.js';
import { cardRecord, listCards } from '../../library/catalog/cards.js';
import { recordLocalOps } from '../../library/catalog/ops.js';
import type { AppDeps } from '../deps.js';
import { defineRoute } from '../route.js';
import {
  cardListSchema,
  cardParams,
  cardRecordSchema,
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
    summary: 'Assign a card to a monitor',
    description:
      'Recorded as a card op (synced like every op). Future ingests of the card go to library/<monitor>/; ' +
      'items already ingested stay where they are.',
    params: cardParams,
    query: noQuery,
    body: monitorBody,
    responses: { 200: cardRecordSchema },
    handler: async ({ params, body }) => {
      const monitor = validateMonitor(body.monitor);
      const exists = cat.sqlite.prepare('select 1 from cards where id = ?').get(params.id);
      if (!exists)
        throw new OutpostError('CARD_NOT_FOUND', `no card ${params.id} in this library`, {
          hint: 'GET /api/cards lists the known cards; a card is known after its first ingest.',
        });
      recordLocalOps(
        cat,
        [{ entity: 'card', id: params.id, field: 'monitor', value: monitor }],
        deps.node,
        deps.clock.now().getTime(),
      );
      const card = (await listCards(cat)).find((c) => c.id === params.id)!;
      return cardRecord(card);
    },
  });

  const monitors = cat.sqlite.prepare(
    `select name, sum(items) as items, sum(cards) as cards from (
       select monitor as name, count(*) as items, 0 as cards from items
         where state = 'stored' and deleted = 0 group by monitor
       union all
       select monitor as name, 0 as items, count(*) as cards from cards
         where monitor is not null group by monitor
     ) group by name order by name`,
  );
  defineRoute(app, {
    method: 'GET',
    url: '/api/monitors',
    role: 'viewer',
    tags,
    summary: 'Monitors (people or cameras) with their item and card counts',
    description: 'Every monitor that has items or an assigned card, by name.',
    query: noQuery,
    responses: { 200: monitorListSchema },
    handler: async () => ({ monitors: monitors.all() as { name: string; items: number; cards: number }[] }),
  });
}
