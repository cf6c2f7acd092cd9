import { ATTRIBUTE_FIELDS } from '../../core/op-check.js';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/** Ids per query: well below either engine's limit on bound parameters. */
const CHUNK = 500;

/**
 * Items that can still take the attributes of the sidecar that came off their card (all such
 * items, or those of `ids`), with the sidecar's path: an item with a card, an `xmp` companion,
 * empty attribute columns and no attribute op ever recorded (src/library/sidecar/card-import.ts).
 */
export async function itemsAwaitingCardSidecar(
  cat: Catalog,
  ids?: string[],
): Promise<{ id: string; path: string }[]> {
  if (!ids) return awaiting(cat, undefined);
  const out: { id: string; path: string }[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await awaiting(cat, ids.slice(i, i + CHUNK))));
  return out;
}

async function awaiting(cat: Catalog, ids: string[] | undefined): Promise<{ id: string; path: string }[]> {
  let q = dbOf(cat)
    .selectFrom('items as i')
    .innerJoin('companions as c', (j) => j.onRef('c.item_id', '=', 'i.id').on('c.ext', '=', 'xmp'))
    .select(['i.id', 'c.path'])
    .where('i.card_id', 'is not', null)
    .where('i.state', '=', 'stored')
    .where('i.deleted', '=', 0)
    .where('i.event', 'is', null)
    .where('i.location_lat', 'is', null)
    .where('i.rating', 'is', null)
    .where('i.priority', '=', 0)
    .where('i.tags', '=', '[]')
    .where('i.notes', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('ops as o')
            .select('o.seq')
            .where('o.entity', '=', 'item')
            .whereRef('o.entity_id', '=', 'i.id')
            .where('o.field', 'in', [...ATTRIBUTE_FIELDS]),
        ),
      ),
    );
  if (ids) q = q.where('i.id', 'in', ids);
  return q.execute();
}
