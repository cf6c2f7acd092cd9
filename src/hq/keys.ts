import { randomBytes } from 'node:crypto';
import { OutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import {
  formatStationKey,
  isStationName,
  KEY_SECRET_BYTES,
  keySha256,
  parseStationKey,
} from './station-key.js';

/** Station keys in the HQ catalogue (table station_keys, migration 0005_hq). */

export interface StationKeyInfo {
  station: string;
  createdAt: string;
  revokedAt: string | null;
}

function checkName(station: string): void {
  if (!isStationName(station))
    throw new OutpostError('INVALID_INPUT', `"${station}" is not a station name`, {
      hint: 'Use 1–63 lowercase letters, digits and dashes, starting with a letter or digit (the station’s `node` name).',
    });
}

/**
 * Make a key for a station and store its hash. One live key per station: revoke the old one
 * first, so a leaked key is never silently left working.
 */
export function addStationKey(
  cat: Catalog,
  station: string,
  now: Date,
  random: (n: number) => Uint8Array = randomBytes,
): { station: string; key: string; createdAt: string } {
  checkName(station);
  const tx = cat.sqlite.transaction(() => {
    const live = cat.sqlite
      .prepare('select 1 from station_keys where name = ? and revoked_at is null')
      .get(station);
    if (live)
      throw new OutpostError('STATION_KEY_EXISTS', `station ${station} already has a key`, {
        hint: `Revoke it first (\`outpost hq keys revoke ${station}\`), then add a new one.`,
      });
    const key = formatStationKey(station, random(KEY_SECRET_BYTES));
    const createdAt = now.toISOString();
    cat.sqlite
      .prepare('insert into station_keys (key_sha256, name, created_at) values (?, ?, ?)')
      .run(keySha256(key), station, createdAt);
    return { station, key, createdAt };
  });
  return tx();
}

export function listStationKeys(cat: Catalog): StationKeyInfo[] {
  const rows = cat.sqlite
    .prepare('select name, created_at, revoked_at from station_keys order by name, created_at')
    .all() as { name: string; created_at: string; revoked_at: string | null }[];
  return rows.map((r) => ({ station: r.name, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

/** Revoke the station's live key(s). Returns how many were revoked; none → STATION_NOT_FOUND. */
export function revokeStationKey(cat: Catalog, station: string, now: Date): number {
  checkName(station);
  const res = cat.sqlite
    .prepare('update station_keys set revoked_at = ? where name = ? and revoked_at is null')
    .run(now.toISOString(), station);
  if (res.changes === 0)
    throw new OutpostError('STATION_NOT_FOUND', `station ${station} has no live key`, {
      hint: 'See `outpost hq keys list`.',
    });
  return res.changes;
}

/** The station a presented key authenticates, or undefined (malformed, unknown or revoked). */
export function stationOfKey(cat: Catalog, key: string): string | undefined {
  const parsed = parseStationKey(key);
  if (!parsed) return undefined;
  const row = cat.sqlite
    .prepare('select name from station_keys where key_sha256 = ? and revoked_at is null')
    .get(keySha256(key)) as { name: string } | undefined;
  // The name inside the key must be the one it was issued to (it always is, unless rows were edited).
  return row && row.name === parsed.station ? row.name : undefined;
}
