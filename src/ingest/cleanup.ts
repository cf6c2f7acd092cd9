import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';
import { cardFilePath } from '../core/file-names.js';
import type { Catalog } from '../library/catalog/open.js';
import { importsOfCard } from '../library/catalog/imports.js';
import { getItem } from '../library/catalog/items.js';
import { hashFile } from '../library/intake/index.js';
import type { IngestWarning } from './types.js';
import { stemOf } from '../core/media-types.js';
import { companionsOf } from '../library/catalog/items.js';

export type CopyPlace = 'library' | 'mirror' | 'hq';

/**
 * The card clean-up policy: erase from the card only files whose library copy re-hashes to the
 * item id (and, when required, exists on the mirror drive / at HQ). A file changed on the card
 * since import (size or mtime) is left alone.
 */
export async function eraseVerifiedFromCard(
  cat: Catalog,
  libraryRoot: string,
  cardId: string,
  cardRoot: string,
  require: CopyPlace[],
): Promise<{ erased: number; warnings: IngestWarning[] }> {
  const warnings: IngestWarning[] = [];
  const unsupported = require.filter((r) => r !== 'library');
  if (unsupported.length) {
    // Mirror and HQ confirmation arrive with those subsystems; until then nothing may be erased.
    warnings.push({
      path: '.',
      code: 'CLEANUP_DEFERRED',
      message: `clean-up requires copies on ${unsupported.join(' and ')}, which this station cannot confirm yet; card left untouched`,
    });
    return { erased: 0, warnings };
  }
  let erased = 0;
  const verified = new Map<string, boolean>();
  for (const row of await importsOfCard(cat, cardId)) {
    // Names that are not text are in the ledger in their readable form: back to the exact bytes.
    const abs = cardFilePath(cardRoot, row.rel_path);
    const st = await lstat(abs).catch(() => undefined);
    if (!st?.isFile() || st.size !== row.size || Math.trunc(st.mtimeMs) !== row.mtime_ms) continue;
    const item = await getItem(cat, row.item_id);
    if (!item || item.state !== 'stored' || item.deleted) continue;
    let ok = verified.get(item.id);
    if (ok === undefined) {
      ok = await hashFile(join(libraryRoot, item.path)).then(
        (h) => h === item.id,
        () => false,
      );
      verified.set(item.id, ok);
    }
    if (!ok) {
      warnings.push({
        path: row.rel_path,
        code: 'VERIFY_FAILED',
        message: 'library copy does not verify; kept on card',
      });
      continue;
    }
    try {
      await rm(abs);
      erased++;
      erased += await eraseCompanions(cat, libraryRoot, item.id, cardRoot, row.rel_path);
    } catch (e) {
      warnings.push({
        path: row.rel_path,
        code: 'ERASE_FAILED',
        message: `cannot erase from card (${errnoCode(e)})`,
      });
    }
  }
  return { erased, warnings };
}

/**
 * Erase a card file's companions (THM, XMP, WAV) whose bytes match the library's copy.
 * `relPath` is the card file's readable path (src/core/file-names.ts).
 */
async function eraseCompanions(
  cat: Catalog,
  libraryRoot: string,
  itemId: string,
  cardRoot: string,
  relPath: string,
): Promise<number> {
  const stored = await companionsOf(cat, itemId);
  if (!stored.length) return 0;
  const slash = relPath.lastIndexOf('/');
  const dir = relPath.slice(0, slash + 1);
  const name = relPath.slice(slash + 1);
  let n = 0;
  for (const c of stored) {
    for (const candidate of [
      `${stemOf(name)}.${c.ext}`,
      `${stemOf(name)}.${c.ext.toUpperCase()}`,
      `${name}.${c.ext}`,
    ]) {
      const p = cardFilePath(cardRoot, dir + candidate);
      // hashFile opens regular files only: a FIFO under a companion's name never blocks this.
      const h = await hashFile(p).catch(() => undefined);
      if (h !== c.sha256) continue;
      const lib = await hashFile(join(libraryRoot, c.path)).catch(() => undefined);
      if (lib !== c.sha256) continue;
      await rm(p, { force: true });
      n++;
    }
  }
  return n;
}
