import type { Item } from '../types';
import type { SetLevel } from './db';

/**
 * Take-away media in the Cache API (the service worker answers the app's own image requests from
 * it, web/sw/service-worker.ts). Keys are the API's rendition URLs: content-addressed (the item id
 * is the file's hash), so a cached file never goes stale and is never fetched twice.
 */
export const MEDIA_CACHE = 'outpost-media';

/** Originals of videos and sounds up to this long are taken with level `originals` (photos always). */
export const SHORT_ITEM_S = 30;

/** The URLs an item needs at a level, in the order worth having them. */
export function mediaUrls(item: Item, level: SetLevel): string[] {
  const out: string[] = [];
  if (item.links.thumb) out.push(item.links.thumb);
  if (level !== 'thumbs') {
    const big = item.links.preview ?? item.links.poster;
    if (big) out.push(big);
  }
  if (level === 'originals' && (item.type === 'photo' || (item.durationS ?? Infinity) <= SHORT_ITEM_S))
    out.push(item.links.original);
  return out;
}

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
