import type { Catalog } from './open.js';
import type { ImportsTable } from './schema.js';

export type LedgerKey = string;

export function ledgerKey(relPath: string, size: number, mtimeMs: number): LedgerKey {
  return `${relPath}\u0000${size}\u0000${mtimeMs}`;
}

/**
 * The import ledger of one card, loaded in one query: re-checking a 10,000-file card
 * is a walk of the card plus map look-ups, no file is read.
 */
export function loadLedger(cat: Catalog, cardId: string): Map<LedgerKey, string> {
  const rows = cat.sqlite
    .prepare('select rel_path, size, mtime_ms, item_id from imports where card_id = ?')
    .raw()
    .all(cardId) as [string, number, number, string][];
  const map = new Map<LedgerKey, string>();
  for (const [rel, size, mtime, item] of rows) map.set(ledgerKey(rel, size, mtime), item);
  return map;
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
