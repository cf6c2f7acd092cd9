import { sql } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * Events as albums (issue 13 §2): the `event` codes of visible items (stored, not deleted) with
 * their item count, date range, a cover (the best-rated item, then the first by capture time)
 * and a position (the mean of the items' positions: set by hand, else the camera's). Both engines.
 */
export interface EventSummary {
  event: string;
  count: number;
  firstTime: string;
  lastTime: string;
  coverId: string | null;
  lat: number | null;
  lon: number | null;
}

export async function eventSummaries(cat: Catalog): Promise<EventSummary[]> {
  const db = dbOf(cat);
  const rows = await db
    .selectFrom('items')
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .where('event', 'is not', null)
    .where('event', '!=', '')
    .select([
      'event',
      sql<string | number>`count(*)`.as('n'),
      sql<string>`min(sort_time)`.as('first_time'),
      sql<string>`max(sort_time)`.as('last_time'),
      sql<number | null>`avg(coalesce(location_lat, lat))`.as('lat'),
      sql<number | null>`avg(coalesce(location_lon, lon))`.as('lon'),
    ])
    .groupBy('event')
    .orderBy(sql`max(sort_time)`, 'desc')
    .orderBy('event')
    .execute();
  const out: EventSummary[] = [];
  for (const r of rows) {
    const event = r.event as string;
    const cover = await db
      .selectFrom('items')
      .where('state', '=', 'stored')
      .where('deleted', '=', 0)
      .where('event', '=', event)
      .select('id')
      .orderBy(sql`coalesce(rating, 0)`, 'desc')
      .orderBy('sort_time')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    out.push({
      event,
      count: Number(r.n),
      firstTime: r.first_time,
      lastTime: r.last_time,
      coverId: cover?.id ?? null,
      lat: r.lat === null ? null : Number(r.lat),
      lon: r.lon === null ? null : Number(r.lon),
    });
  }
  return out;
}

/** The ids of the visible items carrying exactly this event code (for rename/merge). */
export async function itemIdsOfEvent(cat: Catalog, event: string): Promise<string[]> {
  const rows = await dbOf(cat)
    .selectFrom('items')
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .where('event', '=', event)
    .select('id')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}
