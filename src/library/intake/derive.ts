/** The last step of the intake: an item's derivatives (thumbnail, preview, poster) and their row. */
import { join } from 'node:path';
import type { MediaAnalyzer, MediaWarning } from '../../media/types.js';
import type { Catalog } from '../catalog/open.js';
import { setDerived } from '../catalog/items.js';
import type { ItemRow } from '../catalog/schema.js';
import { derivedRelPath } from '../layout.js';

export interface DeriveSettings {
  thumbSize: number;
  previewSize: number;
  signal?: AbortSignal | undefined;
  /** When the derivatives were made (ISO 8601), for `derived_at`. */
  now: () => string;
  /** The analyzer's warnings, before they are recorded (a caller reports them even if that fails). */
  onWarnings?: ((w: MediaWarning[]) => void) | undefined;
}

/**
 * Make an item's derivatives beside the drive's catalogue and record them. Resolves with the
 * analyzer's warnings; rejects only for environment faults (the drive, a missing tool), which the
 * caller reports: the item stays without `derived_at` and is derived again on the next run.
 */
export async function deriveItem(
  cat: Catalog,
  root: string,
  item: ItemRow,
  analyzer: MediaAnalyzer,
  s: DeriveSettings,
): Promise<MediaWarning[]> {
  const res = await analyzer.derive(
    join(root, item.path),
    item.type,
    {
      thumbPath: join(root, derivedRelPath(item.id, 'thumb')),
      previewPath: join(root, derivedRelPath(item.id, 'preview')),
      posterPath: join(root, derivedRelPath(item.id, 'poster')),
    },
    { thumbSize: s.thumbSize, previewSize: s.previewSize, ...(s.signal ? { signal: s.signal } : {}) },
  );
  s.onWarnings?.(res.warnings);
  await setDerived(cat, item.id, { ...res, at: s.now() });
  return res.warnings;
}
