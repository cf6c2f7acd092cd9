import type { GalleryFilter, GalleryPage, GalleryPageQuery } from '../library/catalog/item-list.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { invalidInput } from './errors.js';
import type { ListQuery } from './schemas.js';

/**
 * `GET /api/items`' query parameters as the catalogue's gallery query (library/catalog/item-list.ts),
 * and its opaque keyset cursor. Pure.
 */

export interface Cursor {
  sortTime: string;
  id: string;
  /** The last row had no capture date: the next page continues in the undated group. */
  undated?: boolean | undefined;
}

/** Opaque to clients: base64url of the last row's key. */
export function encodeCursor(c: Cursor): string {
  const key = c.undated ? [c.sortTime, c.id, 1] : [c.sortTime, c.id];
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  const bad = (): never => {
    throw invalidInput([{ path: 'query.cursor', message: 'is not a cursor this server gave out' }]);
  };
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    return bad();
  }
  if (
    !Array.isArray(v) ||
    (v.length !== 2 && !(v.length === 3 && v[2] === 1)) ||
    typeof v[0] !== 'string' ||
    typeof v[1] !== 'string' ||
    v[0].length > 40 ||
    !/^[0-9a-f]{64}$/.test(v[1])
  )
    return bad();
  return { sortTime: v[0], id: v[1], ...(v.length === 3 ? { undated: true } : {}) };
}

/** `YYYY-MM-DD` + 1 day (UTC arithmetic on a calendar date: no zone involved). */
function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** Split free text into at most 10 words; each must match somewhere. */
export function searchWords(q: string): string[] {
  return q
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 10)
    .map((w) => w.slice(0, 100));
}

/** The filters of `GET /api/items` (and the geotag filter) as the catalogue's gallery filter. */
export function galleryFilterOf(q: Omit<ListQuery, 'sort' | 'limit' | 'cursor'>): GalleryFilter {
  const tags = q.tag === undefined ? [] : Array.isArray(q.tag) ? q.tag : [q.tag];
  return {
    monitor: q.monitor,
    type: q.type,
    from: q.from,
    // A bare date includes that whole day; 'YYYY-MM-DDTHH:mm' that whole minute; with seconds, that second.
    ...(q.to === undefined
      ? {}
      : q.to.length === 10
        ? { before: nextDay(q.to) }
        : { until: q.to.length === 16 ? `${q.to}:59` : q.to }),
    event: q.event,
    minRating: q.minRating,
    priority: q.priority,
    ...(q.unrated ? { unrated: true } : {}),
    ...(q.noEvent ? { noEvent: true } : {}),
    ...(q.noLocation ? { noLocation: true } : {}),
    ...(q.undated === 'only' || q.undated === 'exclude' ? { undated: q.undated } : {}),
    ...(q.bbox ? { bbox: q.bbox.split(',').map(Number) as [number, number, number, number] } : {}),
    // Recordings stay out of the gallery unless asked (they have their own view per camera).
    ...(q.recordings === 'include' ? {} : { recordings: q.recordings === 'only' ? 'only' : 'exclude' }),
    // Rejected frames stay out of sight unless asked (docs/reject-delete.md).
    ...(q.rejected === 'include' ? {} : { rejected: q.rejected === 'only' ? 'only' : 'exclude' }),
    ...(q.camera !== undefined ? { camera: q.camera } : {}),
    ...(q.folder !== undefined ? { folder: q.folder } : {}),
    ...(q.eventIs !== undefined ? { eventIs: q.eventIs } : {}),
    ...(tags.length ? { tags } : {}),
    ...(q.q !== undefined ? { words: searchWords(q.q) } : {}),
  };
}

/** A `GET /api/items` query as the catalogue's page query; an invalid cursor is INVALID_INPUT. */
export function galleryQueryOf(q: ListQuery): GalleryPageQuery {
  return {
    ...galleryFilterOf(q),
    sort: q.sort,
    limit: q.limit,
    ...(q.cursor !== undefined ? { after: decodeCursor(q.cursor) } : {}),
  };
}

/** The cursor of the page after this one; null on the last page. */
export function nextCursorOf(
  page: GalleryPage<Pick<ItemRow, 'sort_time' | 'id' | 'captured_at'>>,
): string | null {
  const last = page.items.at(-1);
  return page.more && last
    ? encodeCursor({ sortTime: last.sort_time, id: last.id, undated: last.captured_at === null })
    : null;
}
