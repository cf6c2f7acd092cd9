import type { IncomingMessage } from 'node:http';
import type { Clock } from '../adapters/clock.js';
import { createSessionAuthenticate } from '../auth/authenticate.js';
import type { Catalog } from '../library/catalog/open.js';
import type { Authenticate } from '../server/deps.js';
import { ApiError } from '../server/errors.js';
import { allowSlowBody } from '../server/http-limits.js';
import { stationOfKey } from './keys.js';
import { bearerToken } from './station-key.js';

/** Paths stations use (station keys); everything else is the web app and its API (sessions). */
export function isStationPath(url: string): boolean {
  const path = url.split('?')[0] ?? url;
  return path === '/hq' || path.startsWith('/hq/');
}

export interface HqAuth {
  authenticate: Authenticate;
  /** The station a request was authenticated as (tus hooks only see the raw request). */
  stationOf(req: IncomingMessage): string | undefined;
}

/**
 * HQ's access check: `/hq/...` needs a live station key (Authorization: Bearer), the rest is the
 * web app's session check with users and roles, as on a station.
 */
export function createHqAuth(o: { catalog: Catalog; clock: Clock }): HqAuth {
  const stations = new WeakMap<IncomingMessage, string>();
  const session = createSessionAuthenticate({ catalog: o.catalog, clock: o.clock });
  const authenticate: Authenticate = async (req, reply, required) => {
    if (!isStationPath(req.url)) return session(req, reply, required);
    const raw = req.headers.authorization;
    const key = bearerToken(Array.isArray(raw) ? raw[0] : raw);
    const station = key ? await stationOfKey(o.catalog, key) : undefined;
    if (!station)
      throw new ApiError('UNAUTHENTICATED', key ? 'unknown or revoked station key' : 'no station key', {
        hint: 'Send Authorization: Bearer <key> with the key `outpost hq keys add <station>` printed.',
        headers: { 'www-authenticate': 'Bearer realm="outpost-hq"' },
      });
    stations.set(req.raw, station);
    // Uploads over a slow link take minutes, paced by the station: only a stalled body is cut off.
    allowSlowBody(req.raw);
  };
  return { authenticate, stationOf: (req) => stations.get(req) };
}
