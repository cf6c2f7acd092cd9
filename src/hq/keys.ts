import { randomBytes } from 'node:crypto';
import { OutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import {
  addStationKeyHash,
  listStationKeyRows,
  revokeLiveStationKeys,
  stationOfKeyHash,
} from '../library/catalog/station-keys.js';
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
export async function addStationKey(
  cat: Catalog,
  station: string,
  now: Date,
  random: (n: number) => Uint8Array = randomBytes,
): Promise<{ station: string; key: string; createdAt: string }> {
  checkName(station);
  const key = formatStationKey(station, random(KEY_SECRET_BYTES));
  const createdAt = now.toISOString();
  // The catalogue checks for a live key and stores the new one with other key writers locked out.
  const outcome = await addStationKeyHash(cat, { station, keySha256: keySha256(key), createdAt });
  if (outcome === 'has-live-key')
    throw new OutpostError('STATION_KEY_EXISTS', `station ${station} already has a key`, {
      hint: `Revoke it first (\`outpost hq keys revoke ${station}\`), then add a new one.`,
    });
  return { station, key, createdAt };
}

export async function listStationKeys(cat: Catalog): Promise<StationKeyInfo[]> {
  return listStationKeyRows(cat);
}

/** Revoke the station's live key(s). Returns how many were revoked; none → STATION_NOT_FOUND. */
export async function revokeStationKey(cat: Catalog, station: string, now: Date): Promise<number> {
  checkName(station);
  const n = await revokeLiveStationKeys(cat, station, now.toISOString());
  if (n === 0)
    throw new OutpostError('STATION_NOT_FOUND', `station ${station} has no live key`, {
      hint: 'See `outpost hq keys list`.',
    });
  return n;
}

/** The station a presented key authenticates, or undefined (malformed, unknown or revoked). */
export async function stationOfKey(cat: Catalog, key: string): Promise<string | undefined> {
  const parsed = parseStationKey(key);
  if (!parsed) return undefined;
  const name = await stationOfKeyHash(cat, keySha256(key));
  // The name inside the key must be the one it was issued to (it always is, unless rows were edited).
  return name === parsed.station ? name : undefined;
}
