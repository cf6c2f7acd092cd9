/**
 * Transfer classes of the uplink: what kind of bytes a pending transfer carries decides how
 * soon they go. The order is issue 4's list: ops → thumbnails → rated/priority items (preview,
 * then original) → previews → photo originals → audio → video originals; IP cameras' daily
 * timelapses go before all previews (a day in a few MB), their JPEGs after everything (issue 16).
 */
import type { MediaType } from '../core/media-types.js';

/** Every class, most important first. The index in this list is the class rank. */
export const TRANSFER_CLASSES = [
  'ops',
  'thumb',
  'rated-preview',
  'rated-original',
  'timelapse',
  'preview',
  'photo',
  'audio',
  'video',
  'snapshot',
] as const;

export type TransferClass = (typeof TRANSFER_CLASSES)[number];

/** A class's rank: 0 is the most important. */
export const CLASS_RANK: Readonly<Record<TransferClass, number>> = Object.freeze(
  Object.fromEntries(TRANSFER_CLASSES.map((c, i) => [c, i])) as Record<TransferClass, number>,
);

/** What an upload carries: one of the protocol's renditions, or a batch of catalogue ops/facts. */
export type TransferRendition = 'original' | 'thumb' | 'preview' | 'ops';

/** An item counts as important from this rating up (issue 4: "rated ≥ 4"). */
export const IMPORTANT_RATING = 4;

export interface ClassifyInput {
  rendition: TransferRendition;
  /** The item's media type; ignored for `ops`. */
  type?: MediaType;
  /** The item's current rating (0–5, null when unrated). */
  rating?: number | null;
  /** The item's priority flag. */
  priority?: boolean;
  /** The item's card id: `timelapse:<camera>` and `snap:<camera>` have classes of their own. */
  card?: string | null;
}

/** True when an item's attributes make it jump the queue. */
export function isImportant(rating: number | null | undefined, priority: boolean | undefined): boolean {
  return priority === true || (typeof rating === 'number' && rating >= IMPORTANT_RATING);
}

/**
 * The class of one transfer. Call it again whenever an item's rating or priority changes and
 * hand the result to the scheduler, so a newly rated item overtakes at the next chunk.
 *
 * Thumbnails stay in `thumb` even for rated items: that class is already above `rated-*`.
 */
export function classify(input: ClassifyInput): TransferClass {
  const important = isImportant(input.rating, input.priority);
  // An IP camera's JPEGs (each rendition) are the bulk of a day: after everything else.
  if (input.rendition !== 'ops' && !important && input.card?.startsWith('snap:')) return 'snapshot';
  if (input.rendition === 'original' && !important && input.card?.startsWith('timelapse:'))
    return 'timelapse';
  switch (input.rendition) {
    case 'ops':
      return 'ops';
    case 'thumb':
      return 'thumb';
    case 'preview':
      return isImportant(input.rating, input.priority) ? 'rated-preview' : 'preview';
    case 'original':
      if (isImportant(input.rating, input.priority)) return 'rated-original';
      // An original of unknown type is treated as a photo: it is most likely a still image
      // that failed to parse, and photo is the middle of the originals' order.
      if (input.type === 'video') return 'video';
      if (input.type === 'audio') return 'audio';
      return 'photo';
  }
}

/** Negative when class `a` goes before class `b`. */
export function compareClasses(a: TransferClass, b: TransferClass): number {
  return CLASS_RANK[a] - CLASS_RANK[b];
}
