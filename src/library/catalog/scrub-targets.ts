import { sql } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * What the scrub (src/drives/scrub*.ts) reads of items and companions: the live files a drive
 * should hold and the hashes and sizes the catalogue records for them. Live means stored and not
 * deleted. Kysely, so both engines answer alike (the scrub itself only runs on library drives).
 */

/** One file the catalogue records with its hash: an original (hash = item id) or a companion. */
export interface RecordedFile {
  item: string;
  path: string;
  sha256: string;
  size: number;
}

/** A live item's original, or undefined when the catalogue no longer holds it live. */
export async function liveOriginal(cat: Catalog, item: string): Promise<RecordedFile | undefined> {
  const r = await dbOf(cat)
    .selectFrom('items')
    .select(['id', 'path', 'size'])
    .where('id', '=', item)
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return r && { item: r.id, path: r.path, sha256: r.id, size: r.size };
}

/** The companions of an item, in extension order (the scrub checks them after the original). */
export async function companionsToCheck(cat: Catalog, item: string): Promise<RecordedFile[]> {
  const rows = await dbOf(cat)
    .selectFrom('companions')
    .select(['path', 'sha256', 'size'])
    .where('item_id', '=', item)
    .orderBy('ext')
    .execute();
  return rows.map((c) => ({ item, ...c }));
}

/** The live item's companion at `path`, or undefined. */
export async function liveCompanionAt(cat: Catalog, path: string): Promise<RecordedFile | undefined> {
  return dbOf(cat)
    .selectFrom('companions as c')
    .innerJoin('items as i', 'i.id', 'c.item_id')
    .select(['c.item_id as item', 'c.path', 'c.sha256', 'c.size'])
    .where('c.path', '=', path)
    .where('i.state', '=', 'stored')
    .where('i.deleted', '=', 0)
    .executeTakeFirst();
}

/** Where a live item keeps a companion with these bytes (a partner drive's good copy). */
export async function liveCompanionWithHash(
  cat: Catalog,
  item: string,
  sha256: string,
): Promise<string | undefined> {
  const r = await dbOf(cat)
    .selectFrom('companions as c')
    .innerJoin('items as i', 'i.id', 'c.item_id')
    .select('c.path')
    .where('c.item_id', '=', item)
    .where('c.sha256', '=', sha256)
    .where('i.state', '=', 'stored')
    .where('i.deleted', '=', 0)
    .executeTakeFirst();
  return r?.path;
}

/**
 * The size the catalogue records for a file, whatever its item's state: the item's for an
 * original, the companion's at `path` for a companion. Undefined when it records none.
 */
export async function recordedSize(
  cat: Catalog,
  f: { kind: 'original' | 'companion'; item: string; path: string },
): Promise<number | undefined> {
  const db = dbOf(cat);
  const r =
    f.kind === 'original'
      ? await db.selectFrom('items').select('size').where('id', '=', f.item).executeTakeFirst()
      : await db.selectFrom('companions').select('size').where('path', '=', f.path).executeTakeFirst();
  return r?.size;
}

export interface ScrubCycleTotals {
  /** Live items. */
  items: number;
  /** Of them, those at or before the cursor (checked by earlier runs of this cycle). */
  done: number;
  /** Bytes of originals and companions after the cursor. */
  bytes: number;
}

/** How big the cycle is and how much of it lies before `cursor` ('' when the cycle starts). */
export async function scrubCycleTotals(cat: Catalog, cursor: string): Promise<ScrubCycleTotals> {
  const { rows } = await sql<ScrubCycleTotals>`
    select count(*) as items,
      coalesce(sum(case when id <= ${cursor} then 1 else 0 end), 0) as done,
      coalesce(sum(case when id > ${cursor} then size + coalesce(
        (select sum(c.size) from companions c where c.item_id = items.id), 0) else 0 end), 0) as bytes
    from items where state = 'stored' and deleted = 0`.execute(dbOf(cat));
  const r = rows[0];
  // PostgreSQL's sum of bigint is numeric: the catalogue's parser makes it a number either way.
  return { items: Number(r?.items ?? 0), done: Number(r?.done ?? 0), bytes: Number(r?.bytes ?? 0) };
}

/** The next live items after `cursor` in id order (the scrub's walk), `limit` at a time. */
export async function liveItemsAfter(
  cat: Catalog,
  cursor: string,
  limit: number,
): Promise<{ id: string; path: string; size: number }[]> {
  return dbOf(cat)
    .selectFrom('items')
    .select(['id', 'path', 'size'])
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .where('id', '>', cursor)
    .orderBy('id')
    .limit(limit)
    .execute();
}
