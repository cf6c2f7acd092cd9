import type { Catalog } from './open.js';
import type { ImportsTable } from './schema.js';

export type LedgerKey = string;

/**
 * `relPath` is the readable card path (src/core/file-names.ts): names that are not UTF-8 or hold
 * control characters are escaped losslessly and one-to-one, so every file has its own key.
 */
export function ledgerKey(relPath: string, size: number, mtimeMs: number): LedgerKey {
  return `${relPath}\u0000${size}\u0000${mtimeMs}`;
}

/**
 * The import ledger of one card, loaded in one query: re-checking a 10,000-file card
 * is a walk of the card plus set look-ups, no file is read. Only the key columns are read,
 * so SQLite answers from the primary-key index alone.
 */
export function loadLedger(cat: Catalog, cardId: string): Set<LedgerKey> {
  const rows = cat.sqlite
    .prepare('select rel_path, size, mtime_ms from imports where card_id = ?')
    .raw()
    .all(cardId) as [string, number, number][];
  const keys = new Set<LedgerKey>();
  for (const [rel, size, mtime] of rows) keys.add(ledgerKey(rel, size, mtime));
  return keys;
}

export async function recordImport(cat: Catalog, row: ImportsTable): Promise<void> {
  await cat.db
    .insertInto('imports')
    .values(row)
    .onConflict((oc) => oc.columns(['card_id', 'rel_path', 'size', 'mtime_ms']).doNothing())
    .execute();
}

export async function importsOfCard(cat: Catalog, cardId: string): Promise<ImportsTable[]> {
  return cat.db.selectFrom('imports').selectAll().where('card_id', '=', cardId).execute();
}
