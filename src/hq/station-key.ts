import { createHash } from 'node:crypto';

/**
 * Station keys (docs/uplink-protocol.md "Station keys") as HQ handles them: the catalogue holds
 * only a key's SHA-256; the key format itself is core/station-key.ts.
 */

// The key format is core's (the uplink reads keys too); re-exported for HQ's modules.
export {
  KEY_SECRET_BYTES,
  STATION_NAME_RE,
  formatStationKey,
  isStationName,
  parseStationKey,
} from '../core/station-key.js';

/** What the catalogue stores: hex SHA-256 of the whole key string. */
export function keySha256(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key of an `Authorization: Bearer <key>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header || header.length > 200) return undefined;
  const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
  return m ? m[1] : undefined;
}

export { originBelongsTo } from '../core/ops.js';
