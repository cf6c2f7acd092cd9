import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { ITEM_FACT_COLUMNS } from '../item-facts.js';
import { dbOf } from './handle.js';
import { planSearch } from '../../core/search-plan.js';
import { PG_SEARCH_TEXT } from './search-indexes.js';
import { searchSample } from './search-sample.js';
import type { Catalog } from './open.js';
import type { DB, ItemRow } from './schema.js';

/**
 * The gallery's queries (`GET /api/items`, motion events, geotag candidates, id lookups): items
 * that are stored and not deleted, filtered, in capture-time order, one keyset page at a time.
 * Both engines; the few places where SQLite and PostgreSQL spell a thing differently (JSON in
 * text columns, SQLite's planner hint) are branches below.
 *
 * Keyset pagination on (sort_time, id), the `items_sort` index: every page costs the same, and
 * rows inserted or edited while someone pages never make an item appear twice or not at all.
 */

/** What the gallery can filter on; every condition given must hold. */
export interface GalleryFilter {
  monitor?: string | undefined;
  type?: ItemRow['type'] | undefined;
  /** sort_time at or after this (a date or date-time prefix). */
  from?: string | undefined;
  /** sort_time strictly before this. */
  before?: string | undefined;
  /** sort_time at or before this. */
  until?: string | undefined;
  /** The event code contains this (any case, a plain substring). */
  event?: string | undefined;
  minRating?: number | undefined;
  priority?: boolean | undefined;
  /** No rating (none or 0 stars). */
  unrated?: boolean | undefined;
  /** No event code. */
  noEvent?: boolean | undefined;
  /** No position (neither the camera's nor one set by hand or from a GPX track). */
  noLocation?: boolean | undefined;
  /**
   * Only items whose shown position (the location attribute when set, else the file's GPS) is
   * inside [west, south, east, north], degrees (west > east: the box crosses the antimeridian).
   */
  bbox?: [number, number, number, number] | undefined;
  /** Items carrying every one of these tags (exact). */
  tags?: string[] | undefined;
  /**
   * Free-text words: each must occur (any case, as a plain substring: `%` and `_` are literal)
   * in the original name, event, notes, tags, camera make or model.
   */
  words?: string[] | undefined;
  /**
   * Camera recordings (the recorder's segments and motion clips: card `cam:<camera>`, or facts
   * naming a recording camera): `exclude` leaves them out, `only` keeps just them; unset, both.
   */
  recordings?: 'exclude' | 'only' | undefined;
  /** Rejected items (docs/reject-delete.md): `exclude` leaves them out, `only` keeps just them; unset, both. */
  rejected?: 'exclude' | 'only' | undefined;
  /**
   * Items without a capture date (their sort time is only the file's time): `only` keeps just
   * them, `exclude` leaves them out; unset, they come as their own group after the dated ones.
   * A date filter (from/before/until) leaves them out: they have no date to match.
   */
  undated?: 'exclude' | 'only' | undefined;
  /** Recordings of this camera (its segments and motion clips), by the recorder's camera name. */
  camera?: string | undefined;
  /** The event code is exactly this (an event album), where `event` matches a part of it. */
  eventIs?: string | undefined;
  /** Items filed in this library folder (`MONITOR/DATE`, as an ingest summary names it). */
  folder?: string | undefined;
}

/** The position of an item in capture-time order. */
export interface GalleryKey {
  sortTime: string;
  id: string;
  /** The item has no capture date (it is in the group after the dated ones). */
  undated?: boolean | undefined;
}

export interface GalleryPageQuery extends GalleryFilter {
  sort: 'asc' | 'desc';
  limit: number;
  /** The last item of the previous page: this page starts after it (in the sort direction). */
  after?: GalleryKey | undefined;
}

/**
 * A row of a list page: every column but `facts` (the few hundred bytes read from the file, which
 * only an item's own page shows): less for the database to send and the server to parse.
 */
export type ListedItem = Omit<ItemRow, 'facts'>;

/** The columns of ListedItem; the check below fails to compile when a new column is missing here. */
const LISTED = [
  // The file's facts but the `facts` JSON itself, then the row's state and the attributes.
  ...(ITEM_FACT_COLUMNS.filter((c) => c !== 'facts') as Exclude<
    (typeof ITEM_FACT_COLUMNS)[number],
    'facts'
  >[]),
  'state',
  'path',
  'has_thumb',
  'has_preview',
  'has_poster',
  'has_video',
  'camera_captured_at',
  'camera_sort_time',
  'time_shift_ms',
  'rejected',
  'video_checked_at',
  'derived_at',
  'event',
  'location_lat',
  'location_lon',
  'location_source',
  'rating',
  'priority',
  'tags',
  'notes',
  'deleted',
] as const satisfies readonly (keyof ListedItem)[];
const everyListedColumn: Exclude<keyof ListedItem, (typeof LISTED)[number]> extends never ? true : never =
  true;
void everyListedColumn;

export interface GalleryPage<Row = ListedItem> {
  items: Row[];
  /** More items follow the last one of this page. */
  more: boolean;
}

type Where = ExpressionBuilder<DB, 'items'>;

const SEARCHED = ['original_name', 'event', 'notes', 'tags', 'make', 'model'] as const;

function likePattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Stored and not deleted: what the API shows. */
function visible(cat: Catalog, eb: Where): Expression<SqlBool> {
  // SQLite: `+state`, `+deleted` keep the planner off the low-selectivity state index, so it walks
  // items_sort (or items_monitor) in order and stops after one page (bench:web). Unary plus on
  // text is an error on PostgreSQL, whose planner needs no such hint.
  return cat.engine === 'sqlite'
    ? sql<SqlBool>`+state = 'stored' and +deleted = 0`
    : eb.and([eb('state', '=', 'stored'), eb('deleted', '=', 0)]);
}

/** `tags` (a JSON array in a text column) holds `tag`. */
function hasTag(cat: Catalog, tag: string): Expression<SqlBool> {
  return cat.engine === 'sqlite'
    ? sql<SqlBool>`exists (select 1 from json_each(items.tags) where json_each.value = ${tag})`
    : sql<SqlBool>`items.tags::jsonb @> jsonb_build_array(${tag}::text)`;
}

/** A string inside `facts` (JSON text) at `path`, e.g. ['recording', 'mode']. */
function factText(cat: Catalog, path: string[]): Expression<string | null> {
  return cat.engine === 'sqlite'
    ? sql<string | null>`json_extract(facts, ${`$.${path.join('.')}`})`
    : sql<string | null>`(facts::jsonb #>> ${`{${path.join(',')}}`})`;
}

/** The item is a camera recording (see GalleryFilter.recordings). */
export function isRecording(cat: Catalog, eb: Where): Expression<SqlBool> {
  // coalesce: a null card_id must make this false, not null (`not null` would hide the item).
  return eb.or([
    sql<SqlBool>`coalesce(card_id, '') like 'cam:%'`,
    sql<SqlBool>`${recordingCamera(cat)} is not null`,
  ]);
}

/**
 * The recording camera named in the facts. PostgreSQL keeps it as a generated column (migration
 * 0022), which has statistics and costs no JSON parse per row.
 */
function recordingCamera(cat: Catalog): Expression<string | null> {
  return cat.engine === 'postgres'
    ? sql<string | null>`recording_camera`
    : factText(cat, ['recording', 'camera']);
}

/**
 * One free-text word occurs (any case, as a plain substring) in one of the searched columns.
 * PostgreSQL: in their joined text, which the trigram index items_search_trgm covers; a word
 * with the joining character in it could span two columns there, so it takes the long way.
 */
function wordMatches(cat: Catalog, word: string): Expression<SqlBool> {
  // lower() on both sides, in SQL: LIKE ignores case on SQLite (ASCII only) but not on
  // PostgreSQL; each engine's own lower() keeps a word matching what it matched before.
  const pattern = likePattern(word);
  if (cat.engine === 'postgres' && !word.includes('\u001f'))
    return sql<SqlBool>`${sql.raw(PG_SEARCH_TEXT)} like lower(${pattern}) escape '\\'`;
  const each = SEARCHED.map((col) => sql<SqlBool>`lower(${sql.ref(col)}) like lower(${pattern}) escape '\\'`);
  return sql<SqlBool>`(${sql.join(each, sql` or `)})`;
}

/** Which items without a capture date a filter keeps: all, none or only them. */
function undatedPart(f: GalleryFilter): 'exclude' | 'only' | undefined {
  if (f.from !== undefined || f.before !== undefined || f.until !== undefined) return 'exclude';
  return f.undated;
}

function filterConditions(cat: Catalog, eb: Where, f: GalleryFilter): Expression<SqlBool>[] {
  const c: Expression<SqlBool>[] = [visible(cat, eb)];
  if (f.monitor !== undefined) c.push(eb('monitor', '=', f.monitor));
  if (f.type !== undefined) c.push(eb('type', '=', f.type));
  if (f.from !== undefined) c.push(eb('sort_time', '>=', f.from));
  if (f.before !== undefined) c.push(eb('sort_time', '<', f.before));
  if (f.until !== undefined) c.push(eb('sort_time', '<=', f.until));
  if (undatedPart(f) === 'exclude') c.push(eb('captured_at', 'is not', null));
  if (undatedPart(f) === 'only') c.push(eb('captured_at', 'is', null));
  if (f.event !== undefined)
    // lower() on both sides, as for words: LIKE's case rules differ between the engines.
    c.push(sql<SqlBool>`lower(event) like lower(${likePattern(f.event)}) escape '\\'`);
  if (f.minRating !== undefined) c.push(eb('rating', '>=', f.minRating));
  if (f.priority !== undefined) c.push(eb('priority', '=', f.priority ? 1 : 0));
  if (f.unrated) c.push(eb.or([eb('rating', 'is', null), eb('rating', '=', 0)]));
  if (f.noEvent) c.push(eb('event', 'is', null));
  if (f.noLocation) c.push(eb.and([eb('lat', 'is', null), eb('location_lat', 'is', null)]));
  if (f.bbox) {
    const [w, s, e, n] = f.bbox;
    const lat = sql<number>`coalesce(location_lat, lat)`;
    const lon = sql<number>`coalesce(location_lon, lon)`;
    c.push(sql<SqlBool>`${lat} >= ${s} and ${lat} <= ${n}`);
    c.push(
      w <= e
        ? sql<SqlBool>`${lon} >= ${w} and ${lon} <= ${e}`
        : sql<SqlBool>`(${lon} >= ${w} or ${lon} <= ${e})`,
    );
  }
  if (f.rejected === 'only') c.push(eb('rejected', '=', 1));
  if (f.rejected === 'exclude') c.push(eb('rejected', '=', 0));
  if (f.recordings === 'only') c.push(isRecording(cat, eb));
  if (f.recordings === 'exclude' && f.camera === undefined) c.push(eb.not(isRecording(cat, eb)));
  if (f.eventIs !== undefined) c.push(eb('event', '=', f.eventIs));
  if (f.folder !== undefined) {
    const prefix = `library/${f.folder.replace(/\/+$/, '')}/`.replace(/[\\%_]/g, (ch) => `\\${ch}`);
    // Directly in the folder: `%` would also take its subfolders, which a date folder has none of.
    c.push(sql<SqlBool>`path like ${`${prefix}%`} escape '\\'`);
  }
  if (f.camera !== undefined)
    c.push(eb.or([eb('card_id', '=', `cam:${f.camera}`), eb(recordingCamera(cat), '=', f.camera)]));
  for (const t of new Set(f.tags ?? [])) c.push(hasTag(cat, t));
  for (const w of f.words ?? []) c.push(wordMatches(cat, w));
  return c;
}

/**
 * The statement of one page, not run: it asks for `limit + 1` rows (the extra row only tells
 * whether a next page exists). `narrow` adds conditions of a caller in this folder.
 */
export function galleryPageQuery(
  cat: Catalog,
  q: GalleryPageQuery,
  narrow: (eb: Where) => Expression<SqlBool>[] = () => [],
) {
  const desc = q.sort === 'desc';
  const dir = desc ? 'desc' : 'asc';
  return dbOf(cat)
    .selectFrom('items')
    .select(LISTED)
    .where((eb) => {
      const c = [...filterConditions(cat, eb, q), ...narrow(eb)];
      if (q.after)
        c.push(eb(eb.refTuple('sort_time', 'id'), desc ? '<' : '>', eb.tuple(q.after.sortTime, q.after.id)));
      return eb.and(c);
    })
    .orderBy('sort_time', dir)
    .orderBy('id', dir)
    .limit(q.limit + 1);
}

async function runPage(
  cat: Catalog,
  q: GalleryPageQuery,
  narrow?: (eb: Where) => Expression<SqlBool>[],
): Promise<GalleryPage> {
  const rows =
    cat.engine !== 'postgres'
      ? await galleryPageQuery(cat, q, narrow).execute()
      : q.words?.length
        ? await searchRowsPostgres(cat, q, q.words, narrow)
        : q.event !== undefined && q.eventIs === undefined
          ? await eventRowsPostgres(cat, q, q.event, narrow)
          : await galleryPageQuery(cat, q, narrow).execute();
  const more = rows.length > q.limit;
  return { items: more ? rows.slice(0, q.limit) : rows, more };
}

/** PostgreSQL: at most this many event codes matching a filter are read code by code. */
const EVENT_CODES_MERGED = 64;

/**
 * An event filter (a substring of the code) on PostgreSQL: the codes it matches, from the small
 * event_codes table (migration 0022), each read in list order from items_event as far as one page
 * and merged (a Merge Append: about a page of rows read in all), instead of every item of every
 * matching event found through the trigram index and sorted. Many matching codes: the plain query.
 */
async function eventRowsPostgres(
  cat: Catalog,
  q: GalleryPageQuery,
  event: string,
  narrow?: (eb: Where) => Expression<SqlBool>[],
): Promise<ListedItem[]> {
  const codes = (
    await dbOf(cat)
      .selectFrom('event_codes')
      .select('code')
      .distinct()
      .where(sql<SqlBool>`lower(code) like lower(${likePattern(event)}) escape '\\'`)
      .limit(EVENT_CODES_MERGED + 1)
      .execute()
  ).map((r) => r.code);
  if (codes.length === 0) return [];
  if (codes.length > EVENT_CODES_MERGED) return galleryPageQuery(cat, q, narrow).execute();
  const dir = q.sort === 'desc' ? 'desc' : 'asc';
  // Each code's page as a subquery: its ORDER BY and LIMIT stay its own inside the UNION ALL.
  const parts = codes.map((code, i) =>
    dbOf(cat)
      .selectFrom(galleryPageQuery(cat, { ...q, event: undefined, eventIs: code }, narrow).as(`code${i}`))
      .selectAll(),
  );
  const union = parts.slice(1).reduce((acc, p) => acc.unionAll(p), parts[0]!);
  return dbOf(cat)
    .selectFrom(union.as('merged'))
    .selectAll()
    .orderBy('sort_time', dir)
    .orderBy('id', dir)
    .limit(q.limit + 1)
    .execute();
}

/** PostgreSQL: rows of the filtered list a free-text search tests in order before asking the index. */
export const SEARCH_WALK = 3000;
/** PostgreSQL: the longest second walk, when the first found matches but not a page of them. */
const SEARCH_WALK_MAX = 40_000;

/**
 * Free text on PostgreSQL, whose planner cannot tell how often a word occurs: testing the rows of
 * the list in order is cheapest when matches are common, asking the trigram index for every match
 * and sorting them is cheapest when they are rare, and a wrong guess costs seconds at a million
 * items. A random sample of the searched texts (search-sample.ts) estimates how many items match:
 * few, and the index is asked at once; more, and the walk is sized to hold a page at the density
 * the sample shows. Without a sample (or when the list's top rows hold fewer than the sample
 * promised): test the first SEARCH_WALK rows of the otherwise filtered list; if they hold a full
 * page of matches, that is the page (the first matches in order, wherever the rest are). If they
 * hold some, a longer walk sized by the density seen (up to SEARCH_WALK_MAX rows). If that is not
 * enough either, matches are rare here: the statement runs with plain index scans off, so the
 * trigram index finds them (a bitmap) and they are sorted.
 */
async function searchRowsPostgres(
  cat: Catalog,
  q: GalleryPageQuery,
  words: string[],
  narrow?: (eb: Where) => Expression<SqlBool>[],
): Promise<ListedItem[]> {
  const dir = q.sort === 'desc' ? 'desc' : 'asc';
  const walk = (rows: number): Promise<ListedItem[]> =>
    dbOf(cat)
      .selectFrom(galleryPageQuery(cat, { ...q, words: undefined, limit: rows - 1 }, narrow).as('walk'))
      .selectAll()
      .where(
        () =>
          sql<SqlBool>`${sql.join(
            words.map((w) => wordMatches(cat, w)),
            sql` and `,
          )}`,
      )
      .orderBy('sort_time', dir)
      .orderBy('id', dir)
      .limit(q.limit + 1)
      .execute();
  // A sample of the searched texts says how rare the words are: rare ones go to the index at once
  // (a walk would only pass them by), common ones walk as far as a page of them takes.
  const plan = planSearch(await searchSample(cat), words, q.limit + 1, SEARCH_WALK, SEARCH_WALK_MAX);
  if (plan.way === 'walk') {
    const first = await walk(plan.rows);
    if (first.length > q.limit) return first;
    // Some matches: a longer walk that, at the density seen, holds a page (with a margin), when
    // that is still cheaper than the index (each match found there costs several rows walked).
    if (first.length > 0) {
      const rows = Math.ceil(((plan.rows * (q.limit + 1)) / first.length) * 1.5);
      if (rows <= SEARCH_WALK_MAX && rows > plan.rows) {
        const second = await walk(rows);
        if (second.length > q.limit) return second;
      }
    }
  }
  return cat.transaction(async (tx) => {
    // One statement for both settings (each statement is a round trip).
    await sql`select set_config('enable_indexscan', 'off', true), set_config('enable_indexonlyscan', 'off', true)`.execute(
      dbOf(tx),
    );
    try {
      return await galleryPageQuery(tx, q, narrow).execute();
    } finally {
      // Within a caller's transaction (joined, not ended here) its later statements plan as usual.
      // (After a failed statement the transaction takes no more: the failure is what counts.)
      await sql`select set_config('enable_indexscan', 'on', true), set_config('enable_indexonlyscan', 'on', true)`
        .execute(dbOf(tx))
        .catch(() => undefined);
    }
  });
}

/**
 * One page of the gallery. Unless the filter says otherwise, the dated items come first and the
 * undated ones after them as their own group (each part in sort order, each on its own index), so
 * a photo without a capture date is never shown among another day's photos.
 */
export async function galleryPage(cat: Catalog, q: GalleryPageQuery): Promise<GalleryPage> {
  if (undatedPart(q) !== undefined) return runPage(cat, q);
  // A key from before undated items had their own group (or made by a caller) does not say which
  // group it is in: its item does.
  const afterUndated =
    q.after === undefined
      ? false
      : (q.after.undated ??
        (
          await dbOf(cat)
            .selectFrom('items')
            .select('captured_at')
            .where('id', '=', q.after.id)
            .executeTakeFirst()
        )?.captured_at === null);
  if (!afterUndated) {
    const dated = await runPage(cat, { ...q, undated: 'exclude' });
    if (dated.more || dated.items.length === q.limit) {
      // A full page of dated items: the next page says whether anything (dated or not) follows.
      if (dated.more) return dated;
      const undated = await runPage(cat, { ...q, undated: 'only', after: undefined, limit: 1 });
      return { items: dated.items, more: undated.items.length > 0 };
    }
    const undated = await runPage(cat, {
      ...q,
      undated: 'only',
      after: undefined,
      limit: q.limit - dated.items.length,
    });
    return { items: [...dated.items, ...undated.items], more: undated.more };
  }
  return runPage(cat, { ...q, undated: 'only' });
}

/**
 * One page of motion events: video clips the recorder saved in motion mode
 * (`facts.recording.mode = 'motion'`), of one camera when `camera` is given.
 */
export async function motionClipPage(
  cat: Catalog,
  q: GalleryPageQuery & { camera?: string | undefined },
): Promise<GalleryPage<ItemRow>> {
  // With the facts: an event's times, score and box are the recorder's, kept there.
  const rows = await galleryPageQuery(cat, { ...q, type: 'video' }, (eb) => [
    eb(factText(cat, ['recording', 'mode']), '=', 'motion'),
    ...(q.camera !== undefined ? [eb(recordingCamera(cat), '=', q.camera)] : []),
  ])
    .select('facts')
    .execute();
  const more = rows.length > q.limit;
  return { items: more ? rows.slice(0, q.limit) : rows, more };
}

export type GeotagCandidate = Pick<ItemRow, 'id' | 'sort_time' | 'lat' | 'location_lat'>;

/**
 * Photos and videos among the first `max + 1` items the filter selects, oldest first (audio has
 * no place to be). More than `max` rows back means the filter selects too many.
 */
export async function geotagCandidates(
  cat: Catalog,
  filter: GalleryFilter,
  max: number,
): Promise<GeotagCandidate[]> {
  // Items without a capture date are left out: a file's time is no capture time to match a track.
  const page = galleryPageQuery(cat, { ...filter, undated: 'exclude', sort: 'asc', limit: max }).as('page');
  return dbOf(cat)
    .selectFrom(page)
    .select(['page.id', 'page.sort_time', 'page.lat', 'page.location_lat'])
    .where('page.type', 'in', ['photo', 'video'])
    .orderBy('page.sort_time')
    .orderBy('page.id')
    .execute();
}

/** The visible items among `ids` (full ids; unknown, pending and deleted ones are left out). */
export async function visibleItemsByIds(cat: Catalog, ids: string[]): Promise<ItemRow[]> {
  const out: ItemRow[] = [];
  // Chunks: SQLite allows 32,766 bound values, PostgreSQL 65,535; a batch holds up to 5,000.
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    out.push(
      ...(await dbOf(cat)
        .selectFrom('items')
        .selectAll()
        .where('id', 'in', chunk)
        .where('state', '=', 'stored')
        .where('deleted', '=', 0)
        .execute()),
    );
  }
  return out;
}

/**
 * The library's tags (visible items) with how many items carry each, most used first; those
 * starting with `prefix` (compared case-insensitively, NFC) when given. Tags spelt differently
 * in case count as one, under the spelling met first. Both engines: tags are read as JSON text
 * and counted here.
 */
export async function tagCounts(
  cat: Catalog,
  prefix: string,
  limit: number,
): Promise<{ tag: string; items: number }[]> {
  const key = (t: string): string => t.normalize('NFC').toLowerCase();
  const p = key(prefix);
  const rows = await dbOf(cat)
    .selectFrom('items')
    .select('tags')
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .where('tags', '!=', '[]')
    .execute();
  const counts = new Map<string, { tag: string; items: number }>();
  for (const r of rows) {
    let tags: unknown;
    try {
      tags = JSON.parse(r.tags);
    } catch {
      continue;
    }
    if (!Array.isArray(tags)) continue;
    for (const t of new Set(tags.map((x) => String(x)))) {
      const k = key(t);
      if (!k.startsWith(p)) continue;
      const c = counts.get(k) ?? { tag: t.normalize('NFC'), items: 0 };
      c.items++;
      counts.set(k, c);
    }
  }
  return [...counts.values()].sort((a, b) => b.items - a.items || a.tag.localeCompare(b.tag)).slice(0, limit);
}
