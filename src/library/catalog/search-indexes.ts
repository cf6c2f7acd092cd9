import { sql, type Kysely } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * PostgreSQL's trigram indexes for substring search (event filters, free text): made by migration
 * 0022 when the pg_trgm extension can be created (it ships with PostgreSQL and is trusted: a
 * database owner may create it), else at a later start of HQ once an administrator has created
 * it. Without them the lists stay right but read the whole item table: slow at a million items.
 */

/**
 * What free-text search looks in on PostgreSQL, as one lower-cased text (the columns joined by
 * U+001F, which no search word contains): items_search_trgm is on exactly this expression, and
 * item-list.ts searches it. Changing it needs a migration that rebuilds the index.
 */
export const PG_SEARCH_TEXT =
  "lower(coalesce(original_name, '') || chr(31) || coalesce(event, '') || chr(31) || coalesce(notes, '') || " +
  "chr(31) || tags || chr(31) || coalesce(make, '') || chr(31) || coalesce(model, ''))";

/**
 * Creates pg_trgm (if it may) and the two indexes, inside `db`'s transaction (a savepoint: a
 * refusal leaves the transaction usable). False when the extension cannot be created.
 */
export async function createSearchIndexes(db: Kysely<unknown>): Promise<boolean> {
  await sql`savepoint trgm`.execute(db);
  try {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create index if not exists items_event_trgm on items using gin (lower(event) gin_trgm_ops)`.execute(
      db,
    );
    await sql`create index if not exists items_search_trgm on items
      using gin ((${sql.raw(PG_SEARCH_TEXT)}) gin_trgm_ops)`.execute(db);
    await sql`release savepoint trgm`.execute(db);
    return true;
  } catch {
    await sql`rollback to savepoint trgm`.execute(db);
    return false;
  }
}

/** Whether the catalogue has its search indexes (SQLite: needs none, true). */
export async function hasSearchIndexes(cat: Catalog): Promise<boolean> {
  if (cat.engine !== 'postgres') return true;
  const { rows } = await sql<{ n: string | number }>`
    select count(*) as n from pg_indexes where indexname in ('items_event_trgm', 'items_search_trgm')`.execute(
    dbOf(cat),
  );
  return Number(rows[0]?.n ?? 0) === 2;
}

/**
 * At HQ's start: the search indexes, made now if missing and pg_trgm has become available since
 * (minutes on a large catalogue, once). False: still missing (HQ warns and runs without them).
 */
export async function ensureSearchIndexes(cat: Catalog): Promise<boolean> {
  if (await hasSearchIndexes(cat)) return true;
  return cat.transaction(async (tx) => {
    const made = await createSearchIndexes(dbOf(tx) as unknown as Kysely<unknown>);
    if (made) await sql`analyze items`.execute(dbOf(tx));
    return made;
  });
}
