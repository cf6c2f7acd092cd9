import { dbOf } from './handle.js';
import { galleryPageQuery, type GalleryFilter } from './item-list.js';
import type { Catalog } from './open.js';
import type { ItemRow } from './schema.js';

/** What the map needs of an item: its id and both positions (the file's GPS, the location attribute). */
export type PositionedItem = Pick<
  ItemRow,
  'id' | 'type' | 'sort_time' | 'lat' | 'lon' | 'location_lat' | 'location_lon'
>;

/**
 * The items the gallery filter selects that have a position (GPS in the file, or a location set
 * by hand or from a GPX track), newest first, at most `max + 1` of them: more than `max` back
 * means the map shows the newest `max` only. Both engines.
 */
export async function positionedItems(
  cat: Catalog,
  filter: GalleryFilter,
  max: number,
): Promise<PositionedItem[]> {
  const page = galleryPageQuery(cat, { ...filter, sort: 'desc', limit: max }, (eb) => [
    eb.or([
      eb.and([eb('lat', 'is not', null), eb('lon', 'is not', null)]),
      eb.and([eb('location_lat', 'is not', null), eb('location_lon', 'is not', null)]),
    ]),
  ]).as('page');
  return dbOf(cat)
    .selectFrom(page)
    .select([
      'page.id',
      'page.type',
      'page.sort_time',
      'page.lat',
      'page.lon',
      'page.location_lat',
      'page.location_lon',
    ])
    .orderBy('page.sort_time', 'desc')
    .orderBy('page.id', 'desc')
    .execute();
}
