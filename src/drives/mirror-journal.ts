/**
 * What one drive holds for the items a mirror pass looks at: their rows and companion hashes
 * (library/catalog/mirror.ts) and, for a tombstoned item, whether its original is still there.
 * The change journal and the cursors that choose those items: library/catalog/changes.ts.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { itemsWithCompanions } from '../library/catalog/mirror.js';
import type { Catalog } from '../library/catalog/open.js';
import type { SideItem } from './mirror-plan.js';

/**
 * Load what one drive holds for `ids`. For deleted items, whether the original is still on the
 * drive (one stat each: only tombstoned items that changed are looked at).
 */
export async function loadSide(cat: Catalog, root: string, ids: string[]): Promise<Map<string, SideItem>> {
  const out: Map<string, SideItem> = itemsWithCompanions(cat, ids);
  for (const s of out.values())
    if (s.row.deleted !== 0 && s.row.state === 'stored')
      s.originalPresent = await stat(join(root, s.row.path)).then(
        () => true,
        () => false,
      );
  return out;
}
