import { isOutpostError } from '../../src/core/errors.js';
import { resolveItemId, type ItemScope } from '../../src/library/catalog/items.js';
import type { Catalog } from '../../src/library/catalog/open.js';

/**
 * What the one id resolver (items.resolveItemId) answers for `ref`, as a list of ids: [] for
 * ITEM_NOT_FOUND, the one id, or the matches it names for AMBIGUOUS_ID (two, in id order).
 */
export async function idsForRef(cat: Catalog, ref: string, scope: ItemScope): Promise<string[]> {
  try {
    return [(await resolveItemId(cat, ref, scope)).id];
  } catch (e) {
    if (isOutpostError(e) && e.code === 'ITEM_NOT_FOUND') return [];
    if (isOutpostError(e) && e.code === 'AMBIGUOUS_ID') return (e.details as { matches: string[] }).matches;
    throw e;
  }
}
