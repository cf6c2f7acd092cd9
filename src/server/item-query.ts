import { invalidInput } from './errors.js';
import type { ListQuery } from './schemas.js';

/**
 * `GET /api/items` as one SQL statement. Pure: filters in, `{ sql, params }` out, so the
 * benchmark can run the very same statement straight on SQLite.
 *
 * Keyset pagination on (sort_time, id), the `items_sort` index: every page costs the same,
 * and rows inserted or edited while someone pages never make an item appear twice or not at all.
 */

export interface Cursor {
  sortTime: string;
  id: string;
}

/** Opaque to clients: base64url of the last row's key. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.sortTime, c.id]), 'utf8').toString('base64url');
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
    v.length !== 2 ||
    typeof v[0] !== 'string' ||
    typeof v[1] !== 'string' ||
    v[0].length > 40 ||
    !/^[0-9a-f]{64}$/.test(v[1])
  )
    return bad();
  return { sortTime: v[0], id: v[1] };
}

/** `YYYY-MM-DD` + 1 day (UTC arithmetic on a calendar date: no zone involved). */
function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function likePattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Split free text into at most 10 words; each must match somewhere. */
export function searchWords(q: string): string[] {
  return q
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 10)
    .map((w) => w.slice(0, 100));
}

export interface ItemListSql {
  sql: string;
  params: (string | number)[];
}

/**
 * The statement for one page. It asks for `limit + 1` rows: the extra row only tells whether a
 * next page exists.
 */
export function itemListSql(q: ListQuery): ItemListSql {
  // `+state`, `+deleted`: keep the planner off the low-selectivity state index so it walks
  // items_sort (or items_monitor) in order and stops after one page.
  const where: string[] = ["+state = 'stored'", '+deleted = 0'];
  const params: (string | number)[] = [];
  if (q.monitor !== undefined) {
    where.push('monitor = ?');
    params.push(q.monitor);
  }
  if (q.type !== undefined) {
    where.push('type = ?');
    params.push(q.type);
  }
  if (q.from !== undefined) {
    where.push('sort_time >= ?');
    params.push(q.from);
  }
  if (q.to !== undefined) {
    if (q.to.length === 10) {
      where.push('sort_time < ?');
      params.push(nextDay(q.to));
    } else {
      // 'YYYY-MM-DDTHH:mm' includes that whole minute; with seconds, that second.
      where.push('sort_time <= ?');
      params.push(q.to.length === 16 ? `${q.to}:59` : q.to);
    }
  }
  if (q.event !== undefined) {
    where.push('event = ?');
    params.push(q.event);
  }
  if (q.minRating !== undefined) {
    where.push('rating >= ?');
    params.push(q.minRating);
  }
  if (q.priority !== undefined) where.push(q.priority ? 'priority = 1' : 'priority = 0');
  const tags = q.tag === undefined ? [] : Array.isArray(q.tag) ? q.tag : [q.tag];
  for (const t of new Set(tags)) {
    where.push('exists (select 1 from json_each(items.tags) where json_each.value = ?)');
    params.push(t);
  }
  if (q.q !== undefined) {
    for (const w of searchWords(q.q)) {
      const fields = ['original_name', 'event', 'notes', 'tags', 'make', 'model'];
      where.push(`(${fields.map((f) => `${f} like ? escape '\\'`).join(' or ')})`);
      for (let i = 0; i < fields.length; i++) params.push(likePattern(w));
    }
  }
  const desc = q.sort === 'desc';
  if (q.cursor !== undefined) {
    const c = decodeCursor(q.cursor);
    where.push(`(sort_time, id) ${desc ? '<' : '>'} (?, ?)`);
    params.push(c.sortTime, c.id);
  }
  const dir = desc ? 'desc' : 'asc';
  const sql =
    `select * from items where ${where.join(' and ')} ` + `order by sort_time ${dir}, id ${dir} limit ?`;
  params.push(q.limit + 1);
  return { sql, params };
}

/**
 * Run a keyset-paged statement (it asks for one row more than `limit`): the page and the cursor
 * of the next one, null on the last page.
 */
export function keysetPage<R extends { sort_time: string; id: string }>(
  rows: R[],
  limit: number,
): { page: R[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  return { page, nextCursor: more && last ? encodeCursor({ sortTime: last.sort_time, id: last.id }) : null };
}
