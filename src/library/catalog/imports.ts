import { dbOf, sqliteOf } from './handle.js';
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
 * so the engine answers from the primary-key index alone.
 */
export async function loadLedger(cat: Catalog, cardId: string): Promise<Set<LedgerKey>> {
  const rows = await dbOf(cat)
    .selectFrom('imports')
    .select(['rel_path', 'size', 'mtime_ms'])
    .where('card_id', '=', cardId)
    .execute();
  const keys = new Set<LedgerKey>();
  for (const r of rows) keys.add(ledgerKey(r.rel_path, r.size, r.mtime_ms));
  return keys;
}

/**
 * The commit point of one ingested item: its pending row becomes `stored` and the card file's
 * ledger row goes in, in one synchronous SQLite transaction (a library drive's catalogue;
 * better-sqlite3 rolls back correctly even when SQLite already did, e.g. on SQLITE_FULL, and
 * no other statement can slip in between the two).
 */
export function commitIngestedItem(cat: Catalog, id: string, ledger: ImportsTable): void {
  const db = sqliteOf(cat);
  db.transaction(() => {
    db.prepare("update items set state = 'stored' where id = ?").run(id);
    db.prepare(
      'insert into imports (card_id, rel_path, size, mtime_ms, item_id, outcome, imported_at) values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing',
    ).run(
      ledger.card_id,
      ledger.rel_path,
      ledger.size,
      ledger.mtime_ms,
      ledger.item_id,
      ledger.outcome,
      ledger.imported_at,
    );
  })();
}

export async function recordImport(cat: Catalog, row: ImportsTable): Promise<void> {
  await dbOf(cat)
    .insertInto('imports')
    .values(row)
    .onConflict((oc) => oc.columns(['card_id', 'rel_path', 'size', 'mtime_ms']).doNothing())
    .execute();
}

export async function importsOfCard(cat: Catalog, cardId: string): Promise<ImportsTable[]> {
  return dbOf(cat).selectFrom('imports').selectAll().where('card_id', '=', cardId).execute();
}
