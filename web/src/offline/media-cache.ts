import type { Item } from '../types';
import { mediaUrls } from './levels';

/**
 * Take-away media in the Cache API (the service worker answers the app's own image requests from
 * it, web/sw/service-worker.ts). Keys are the API's rendition URLs: content-addressed (the item id
 * is the file's hash), so a cached file never goes stale and is never fetched twice.
 */
export const MEDIA_CACHE = 'outpost-media';

export { mediaUrls, SHORT_ITEM_S } from './levels';

export interface FetchOutcome {
  /** Bytes fetched now (0: already here). */
  bytes: number;
}

/** Have `url` in the cache: fetched once, kept. Throws on a failed fetch or a full storage. */
export async function ensureCached(cache: Cache, url: string, signal?: AbortSignal): Promise<FetchOutcome> {
  if (await cache.match(url)) return { bytes: 0 };
  const res = await fetch(url, { credentials: 'same-origin', signal });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const body = await res.blob();
  await cache.put(
    url,
    new Response(body, { headers: { 'content-type': res.headers.get('content-type') ?? '' } }),
  );
  return { bytes: body.size };
}

/** Drop an item's media from the cache. */
export async function dropMedia(cache: Cache, item: Item): Promise<void> {
  for (const url of mediaUrls(item, 'originals')) await cache.delete(url);
}
