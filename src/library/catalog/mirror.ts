import { sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import type { CompanionRow, ItemRow } from './schema.js';

/**
 * What the drive mirror (src/drives/mirror*.ts) reads and writes in the items, companions,
 * imports and cards of two library drives. Only library drives are mirrored, so these run
 * synchronously on SQLite: the mirror's planning reads (and its no-change pass) are measured.
 */

/** An item as this drive's catalogue holds it (any state, tombstones too). */
export function itemOnDrive(cat: Catalog, id: string): ItemRow | undefined {
  return sqliteOf(cat).prepare('select * from items where id = ?').get(id) as ItemRow | undefined;
}

export function companionsOnDrive(cat: Catalog, id: string): CompanionRow[] {
  return sqliteOf(cat).prepare('select * from companions where item_id = ?').all(id) as CompanionRow[];
}

export function allItemIds(cat: Catalog): string[] {
  return (sqliteOf(cat).prepare('select id from items').all() as { id: string }[]).map((r) => r.id);
}

/** Stored, not deleted items: the base of the deletion guard's share. */
export function liveItemCount(cat: Catalog): number {
  return (
    sqliteOf(cat).prepare("select count(*) as n from items where state = 'stored' and deleted = 0").get() as {
      n: number;
    }
  ).n;
}

export function isLiveItem(cat: Catalog, id: string): boolean {
  return !!sqliteOf(cat)
    .prepare("select 1 from items where id = ? and state = 'stored' and deleted = 0")
    .get(id);
}

export interface ItemWithCompanions {
  row: ItemRow;
  companions: { ext: string; sha256: string; size: number }[];
}

/** The rows and companion hashes of `ids` this drive holds, in chunks (SQLite's variable limit). */
export function itemsWithCompanions(cat: Catalog, ids: string[]): Map<string, ItemWithCompanions> {
  const db = sqliteOf(cat);
  const out = new Map<string, ItemWithCompanions>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const marks = chunk.map(() => '?').join(',');
    const rows = db.prepare(`select * from items where id in (${marks})`).all(...chunk) as ItemRow[];
    for (const r of rows) out.set(r.id, { row: r, companions: [] });
    const comps = db
      .prepare(`select item_id, ext, sha256, size from companions where item_id in (${marks})`)
      .all(...chunk) as { item_id: string; ext: string; sha256: string; size: number }[];
    for (const c of comps)
      out.get(c.item_id)?.companions.push({ ext: c.ext, sha256: c.sha256, size: c.size });
  }
  return out;
}

const ATTR_COLUMNS = 'event, location_lat, location_lon, rating, priority, tags, notes';

/** The attribute values (what a sidecar says) of `ids`, one comparable string per item. */
export function attributeSnapshot(cat: Catalog, ids: string[]): Map<string, string> {
  const db = sqliteOf(cat);
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = db
      .prepare(`select id, ${ATTR_COLUMNS} from items where id in (${chunk.map(() => '?').join(',')})`)
      .all(...chunk) as Record<string, unknown>[];
    for (const r of rows) out.set(String(r.id), JSON.stringify(r));
  }
  return out;
}

/** `path-taken`: another item holds the row's path on this drive (nothing was written). */
export type MirroredInsert = 'inserted' | 'path-taken';

/**
 * Insert an item row copied from the partner drive. The path is the one unique column of items
 * besides the id: SQLite reports its violation as SQLITE_CONSTRAINT_UNIQUE (the id's as
 * SQLITE_CONSTRAINT_PRIMARYKEY, which is not a path conflict and is thrown like any other error).
 */
export function insertMirroredItem(cat: Catalog, row: ItemRow): MirroredInsert {
  const cols = Object.keys(row);
  try {
    sqliteOf(cat)
      .prepare(`insert into items (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`)
      .run(row);
    return 'inserted';
  } catch (e) {
    if (sqliteErrorCode(e) === 'SQLITE_CONSTRAINT_UNIQUE') return 'path-taken';
    throw e;
  }
}

function sqliteErrorCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

export interface CopiedItemState {
  thumb: boolean;
  preview: boolean;
  poster: boolean;
  video: boolean;
  /** Kept only when every derivative came across (else the item is derived again here). */
  derivedAt: string | null;
  phash: string | null;
}

/**
 * A copied item's files are in place: its row becomes stored with the derivatives that came,
 * and the companions placed are recorded. Call inside the catalogue transaction that also
 * carries the provenance and the op projection, so the item appears whole or not at all.
 */
export function storeCopiedItem(
  cat: Catalog,
  id: string,
  s: CopiedItemState,
  companions: CompanionRow[],
): void {
  const db = sqliteOf(cat);
  db.prepare(
    `update items set state = 'stored', has_thumb = ?, has_preview = ?, has_poster = ?,
       has_video = ?, derived_at = ?, phash = ? where id = ?`,
  ).run(s.thumb ? 1 : 0, s.preview ? 1 : 0, s.poster ? 1 : 0, s.video ? 1 : 0, s.derivedAt, s.phash, id);
  const ins = db.prepare(
    'insert or ignore into companions (item_id, ext, path, sha256, size) values (@item_id, @ext, @path, @sha256, @size)',
  );
  for (const c of companions) ins.run(c);
}

/**
 * The import ledger rows and the card of an item travel with it (ingest then skips the file).
 * A card new to `dst` takes its monitor from `dst`'s op log when one is there.
 */
export function copyItemProvenance(src: Catalog, dst: Catalog, row: ItemRow): void {
  const from = sqliteOf(src);
  const to = sqliteOf(dst);
  const imports = from.prepare('select * from imports where item_id = ?').all(row.id) as Record<
    string,
    unknown
  >[];
  const ins = to.prepare(
    `insert or ignore into imports (card_id, rel_path, size, mtime_ms, item_id, outcome, imported_at)
     values (@card_id, @rel_path, @size, @mtime_ms, @item_id, @outcome, @imported_at)`,
  );
  for (const r of imports) ins.run(r);
  if (!row.card_id) return;
  const card = from.prepare('select * from cards where id = ?').get(row.card_id) as
    Record<string, unknown> | undefined;
  if (!card) return;
  const res = to
    .prepare(
      `insert or ignore into cards (id, kind, label, fs_uuid, monitor, first_seen, last_seen, last_mount)
       values (@id, @kind, @label, @fs_uuid, @monitor, @first_seen, @last_seen, @last_mount)`,
    )
    .run(card);
  if (res.changes)
    to.prepare(
      `update cards set monitor = (select json_extract(value, '$') from ops where entity = 'card'
         and entity_id = cards.id and field = 'monitor' order by hlc desc limit 1)
       where id = ? and exists (select 1 from ops where entity = 'card' and entity_id = cards.id and field = 'monitor')`,
    ).run(row.card_id);
}

/** A companion copied from the partner (an existing one with that extension is kept). */
export function addCopiedCompanion(cat: Catalog, c: CompanionRow): void {
  sqliteOf(cat)
    .prepare('insert or ignore into companions (item_id, ext, path, sha256, size) values (?, ?, ?, ?, ?)')
    .run(c.item_id, c.ext, c.path, c.sha256, c.size);
}

const HAS_COLUMN = {
  thumb: 'has_thumb',
  preview: 'has_preview',
  poster: 'has_poster',
  video: 'has_video',
} as const;

/** A derivative copied from the partner: flagged, with the partner's derivation facts if none here. */
export function markDerivativeCopied(
  cat: Catalog,
  id: string,
  rendition: keyof typeof HAS_COLUMN,
  from: Pick<ItemRow, 'derived_at' | 'phash'>,
): void {
  sqliteOf(cat)
    .prepare(
      `update items set ${HAS_COLUMN[rendition]} = 1, derived_at = coalesce(derived_at, ?),
         phash = coalesce(phash, ?) where id = ?`,
    )
    .run(from.derived_at, from.phash, id);
}

/** A tombstoned item's files are gone from the drive: its companions and derivative flags too. */
export function forgetPurgedFiles(cat: Catalog, id: string): void {
  const db = sqliteOf(cat);
  db.transaction(() => {
    db.prepare('delete from companions where item_id = ?').run(id);
    db.prepare(
      'update items set has_thumb = 0, has_preview = 0, has_poster = 0, has_video = 0 where id = ?',
    ).run(id);
  })();
}
