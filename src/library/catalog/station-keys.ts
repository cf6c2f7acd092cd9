import { dbOf, sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import { lockTableForWrites } from './write-guards.js';

/**
 * HQ's station keys (table station_keys, migration 0005_hq): only the SHA-256 of a key is stored.
 * Making keys and checking station names is src/hq/keys.ts's work.
 */

export interface StationKeyRow {
  station: string;
  createdAt: string;
  revokedAt: string | null;
}

/**
 * Store a new key for `station`, unless it has a live one ('has-live-key': nothing written). The
 * check and the insert run with other key writers locked out: two concurrent adds give one key.
 */
export async function addStationKeyHash(
  cat: Catalog,
  k: { station: string; keySha256: string; createdAt: string },
): Promise<'added' | 'has-live-key'> {
  return cat.transaction(async (tx) => {
    await lockTableForWrites(tx, 'station_keys');
    const live = await dbOf(tx)
      .selectFrom('station_keys')
      .select('name')
      .where('name', '=', k.station)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (live) return 'has-live-key';
    await dbOf(tx)
      .insertInto('station_keys')
      .values({ key_sha256: k.keySha256, name: k.station, created_at: k.createdAt })
      .execute();
    return 'added';
  });
}

/**
 * Every key ever made, by station then age. Sorted here: station names hold dashes, which
 * PostgreSQL's collation may skip, and the list must read the same on both engines.
 */
export async function listStationKeyRows(cat: Catalog): Promise<StationKeyRow[]> {
  const rows = await dbOf(cat)
    .selectFrom('station_keys')
    .select(['name', 'created_at', 'revoked_at'])
    .execute();
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows
    .sort((a, b) => cmp(a.name, b.name) || cmp(a.created_at, b.created_at))
    .map((r) => ({ station: r.name, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

/** Mark the station's live key(s) revoked at `at` (ISO); returns how many. */
export async function revokeLiveStationKeys(cat: Catalog, station: string, at: string): Promise<number> {
  const r = await dbOf(cat)
    .updateTable('station_keys')
    .set({ revoked_at: at })
    .where('name', '=', station)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** The station a live key with this hash was issued to, or undefined (unknown or revoked). */
export async function stationOfKeyHash(cat: Catalog, keySha256: string): Promise<string | undefined> {
  const r = await dbOf(cat)
    .selectFrom('station_keys')
    .select('name')
    .where('key_sha256', '=', keySha256)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return r?.name;
}

/**
 * The same row as `addStationKeyHash`, written at once and without the live-key check, on a
 * SQLite catalogue (test kits that hand out keys synchronously).
 */
export function addStationKeyHashNow(
  cat: Catalog,
  k: { station: string; keySha256: string; createdAt: string },
): void {
  sqliteOf(cat)
    .prepare('insert into station_keys (key_sha256, name, created_at) values (?, ?, ?)')
    .run(k.keySha256, k.station, k.createdAt);
}
