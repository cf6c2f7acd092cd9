/** What a take-away set downloads per item at each level (pure). */

export type SetLevel = 'thumbs' | 'previews' | 'originals';

/** The fields of an item (web/src/types.ts Item) its media depend on. */
export interface MediaLinks {
  type: string;
  durationS: number | null;
  links: { original: string; thumb: string | null; preview: string | null; poster: string | null };
}

/** Originals of videos and sounds up to this long are taken with level `originals` (photos always). */
export const SHORT_ITEM_S = 30;

/** The URLs an item needs at a level, in the order worth having them. */
export function mediaUrls(item: MediaLinks, level: SetLevel): string[] {
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
