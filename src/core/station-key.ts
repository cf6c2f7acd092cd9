/**
 * The format of station keys (docs/uplink-protocol.md "Station keys"). Pure: the caller passes
 * the random bytes. A key is `op1_<station>_<43 chars base64url>`: the name inside lets logs and
 * error messages say which station a key claims to be without a lookup. Here, below both, because
 * HQ makes keys and the uplink (and the config) read them.
 */

/** Station names: also the `origin` of their ops, so no `_` or `:` (both separate things). */
export const STATION_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const KEY_RE = /^op1_([a-z0-9][a-z0-9-]{0,62})_([A-Za-z0-9_-]{43})$/;
/** 32 random bytes: 256 bits, so a fast hash is enough to store it. */
export const KEY_SECRET_BYTES = 32;

export function isStationName(name: string): boolean {
  return STATION_NAME_RE.test(name);
}

/** A new key for `station` from 32 random bytes. */
export function formatStationKey(station: string, secret: Uint8Array): string {
  if (!isStationName(station)) throw new RangeError(`not a station name: ${JSON.stringify(station)}`);
  if (secret.length !== KEY_SECRET_BYTES)
    throw new RangeError(`a key needs ${KEY_SECRET_BYTES} random bytes`);
  return `op1_${station}_${Buffer.from(secret).toString('base64url')}`;
}

/** The station a well-formed key names, or undefined for anything else. */
export function parseStationKey(key: string): { station: string } | undefined {
  const m = KEY_RE.exec(key);
  return m ? { station: m[1]! } : undefined;
}
