import { sql } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import type { ItemRow } from './schema.js';

export interface ItemCounts {
  photo: number;
  video: number;
  audio: number;
  /** Stored items whose thumbnail and preview are not made yet. */
  awaitingDerivatives: number;
}

/** Visible (stored, not deleted) items by type, for /api/status. */
export async function itemCounts(cat: Catalog): Promise<ItemCounts> {
  const rows = await dbOf(cat)
    .selectFrom('items')
    .select((eb) => [
      'type',
      eb.fn.countAll<number>().as('n'),
      sql<number>`sum(case when derived_at is null then 1 else 0 end)`.as('underived'),
    ])
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .groupBy('type')
    .execute();
  const out: ItemCounts = { photo: 0, video: 0, audio: 0, awaitingDerivatives: 0 };
  for (const r of rows as { type: ItemRow['type']; n: number; underived: number }[]) {
    out[r.type] = Number(r.n);
    out.awaitingDerivatives += Number(r.underived);
  }
  return out;
}
