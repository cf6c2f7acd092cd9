import { hammingDistance } from '../../media/phash.js';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

export interface SimilarHit {
  id: string;
  path: string;
  distance: number;
}

/**
 * Near-duplicates by perceptual hash: a linear scan of 64-bit hashes, which stays fast
 * (milliseconds per 10,000 items) at station scale.
 */
export async function similarItems(
  cat: Catalog,
  id: string,
  phash: string,
  maxDistance: number,
): Promise<SimilarHit[]> {
  const rows = await dbOf(cat)
    .selectFrom('items')
    .select(['id', 'path', 'phash'])
    .where('phash', 'is not', null)
    .where('deleted', '=', 0)
    .where('state', '=', 'stored')
    .where('id', '!=', id)
    .$narrowType<{ phash: string }>()
    .execute();
  const hits: SimilarHit[] = [];
  for (const r of rows) {
    const d = hammingDistance(phash, r.phash);
    if (d <= maxDistance) hits.push({ id: r.id, path: r.path, distance: d });
  }
  return hits.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1));
}
