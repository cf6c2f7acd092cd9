import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { SearchSample } from '../../core/search-plan.js';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import { PG_SEARCH_TEXT } from './search-indexes.js';

/**
 * A random sample of the searched texts of a PostgreSQL catalogue, kept in memory per catalogue
 * handle so a free-text search can tell rare words from common ones (core/search-plan.ts).
 *
 * Item ids are SHA-256 content hashes, so the items from a random id on, in id order, are a
 * random sample: one range read of the primary key, no table scan. Read again in the background
 * once older than `SAMPLE_MAX_AGE_MS`; a search never waits for it except the very first.
 */

const SAMPLE_SIZE = 2000;
const SAMPLE_MAX_AGE_MS = 10 * 60_000;

interface Kept {
  sample?: SearchSample;
  at: number;
  reading?: Promise<SearchSample | undefined>;
}

const kept = new WeakMap<Catalog, Kept>();

async function readSample(cat: Catalog): Promise<SearchSample> {
  const db = dbOf(cat);
  const from = randomBytes(32).toString('hex');
  const texts = async (where: 'from' | 'before', limit: number): Promise<string[]> => {
    const { rows } = await sql<{ t: string }>`
      select ${sql.raw(PG_SEARCH_TEXT)} as t from items
      where id ${sql.raw(where === 'from' ? '>=' : '<')} ${from} and state = 'stored' and deleted = 0
      order by id limit ${limit}`.execute(db);
    return rows.map((r) => r.t);
  };
  const first = await texts('from', SAMPLE_SIZE);
  // Near the end of the id space: the rest from its start.
  const all =
    first.length < SAMPLE_SIZE ? [...first, ...(await texts('before', SAMPLE_SIZE - first.length))] : first;
  const { rows } = await sql<{ n: number | string }>`
    select greatest(reltuples, 0)::bigint as n from pg_class where oid = 'items'::regclass`.execute(db);
  // reltuples is ANALYZE's estimate (-1 or 0 before the first): at least what the sample saw.
  return { texts: all, total: Math.max(all.length, Number(rows[0]?.n ?? 0)) };
}

/**
 * The sample of `cat` (PostgreSQL only), read on first use and refreshed when stale. Undefined
 * on SQLite or when it could not be read (the search then plans without it).
 */
export async function searchSample(cat: Catalog): Promise<SearchSample | undefined> {
  if (cat.engine !== 'postgres') return undefined;
  let k = kept.get(cat);
  if (!k) kept.set(cat, (k = { at: -Infinity }));
  const stale = performance.now() - k.at > SAMPLE_MAX_AGE_MS;
  if (stale && !k.reading) {
    const entry = k;
    entry.reading = readSample(cat)
      .then((s) => {
        entry.sample = s;
        entry.at = performance.now();
        return s;
      })
      .catch(() => entry.sample)
      .finally(() => (entry.reading = undefined));
  }
  return k.sample ?? (await k.reading);
}
