import { sql } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/** The card is known to this catalogue (it was ingested at least once). */
export async function cardExists(cat: Catalog, id: string): Promise<boolean> {
  return (
    (await dbOf(cat).selectFrom('cards').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
  );
}

export interface MonitorCounts {
  name: string;
  /** Visible items filed under the monitor. */
  items: number;
  /** Cards assigned to it. */
  cards: number;
}

/** Every monitor that has items or an assigned card, by name. */
export async function monitorsWithCounts(cat: Catalog): Promise<MonitorCounts[]> {
  const db = dbOf(cat);
  const items = db
    .selectFrom('items')
    .select((eb) => ['monitor as name', eb.fn.countAll<number>().as('items'), sql<number>`0`.as('cards')])
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .groupBy('monitor');
  const cards = db
    .selectFrom('cards')
    .select((eb) => [
      // Not null here (the where below); the type says so for the union.
      sql<string>`monitor`.as('name'),
      sql<number>`0`.as('items'),
      eb.fn.countAll<number>().as('cards'),
    ])
    .where('monitor', 'is not', null)
    .groupBy('monitor');
  const rows = await db
    .selectFrom(items.unionAll(cards).as('m'))
    .select((eb) => [
      'm.name',
      eb.fn.sum<number>('m.items').as('items'),
      eb.fn.sum<number>('m.cards').as('cards'),
    ])
    .groupBy('m.name')
    .orderBy('m.name')
    .execute();
  return rows.map((r) => ({ name: r.name, items: Number(r.items), cards: Number(r.cards) }));
}
