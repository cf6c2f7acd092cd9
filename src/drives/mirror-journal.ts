/**
 * Per-drive bookkeeping of the mirror: cursors in `meta` (one pair per partner drive) and the
 * change journal (`changes`, filled by triggers; migration 0007_mirror).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../library/catalog/open.js';
import type { ItemRow } from '../library/catalog/schema.js';
import type { PlanCompanion, SideItem } from './mirror-plan.js';

export type CursorKind = 'changes' | 'ops';

function cursorKey(partnerId: string, kind: CursorKind): string {
  return `mirror:${partnerId}:${kind}`;
}

export function readCursor(cat: Catalog, partnerId: string, kind: CursorKind): number | undefined {
  const row = cat.sqlite.prepare('select value from meta where key = ?').get(cursorKey(partnerId, kind)) as
    { value: string } | undefined;
  return row ? Number(row.value) : undefined;
}

export function writeCursor(cat: Catalog, partnerId: string, kind: CursorKind, value: number): void {
  cat.sqlite
    .prepare(
      'insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value',
    )
    .run(cursorKey(partnerId, kind), String(value));
}

export function maxChangeSeq(cat: Catalog): number {
  const r = cat.sqlite.prepare('select max(seq) as m from changes').get() as { m: number | null };
  return r.m ?? 0;
}

export function maxOpSeq(cat: Catalog): number {
  const r = cat.sqlite.prepare('select max(seq) as m from ops').get() as { m: number | null };
  return r.m ?? 0;
}

/** Items with a journal entry after `seq`. */
export function changedItemsSince(cat: Catalog, seq: number): string[] {
  return (
    cat.sqlite.prepare('select distinct item from changes where seq > ?').all(seq) as { item: string }[]
  ).map((r) => r.item);
}

export function allItemIds(cat: Catalog): string[] {
  return (cat.sqlite.prepare('select id from items').all() as { id: string }[]).map((r) => r.id);
}

/** Stored, not deleted items: the base of the deletion guard's share. */
export function liveItemCount(cat: Catalog): number {
  return (
    cat.sqlite.prepare("select count(*) as n from items where state = 'stored' and deleted = 0").get() as {
      n: number;
    }
  ).n;
}

export function isLive(cat: Catalog, id: string): boolean {
  return !!cat.sqlite
    .prepare("select 1 from items where id = ? and state = 'stored' and deleted = 0")
    .get(id);
}

/**
 * Load what one drive holds for `ids` (chunked). For deleted items, whether the original is
 * still on the drive (one stat each: only tombstoned items that changed are looked at).
 */
export async function loadSide(cat: Catalog, root: string, ids: string[]): Promise<Map<string, SideItem>> {
  const out = new Map<string, SideItem>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const marks = chunk.map(() => '?').join(',');
    const rows = cat.sqlite.prepare(`select * from items where id in (${marks})`).all(...chunk) as ItemRow[];
    for (const r of rows) out.set(r.id, { row: r, companions: [] });
    const comps = cat.sqlite
      .prepare(`select item_id, ext, sha256, size from companions where item_id in (${marks})`)
      .all(...chunk) as (PlanCompanion & { item_id: string })[];
    for (const c of comps)
      out.get(c.item_id)?.companions.push({ ext: c.ext, sha256: c.sha256, size: c.size });
  }
  for (const s of out.values())
    if (s.row.deleted !== 0 && s.row.state === 'stored')
      s.originalPresent = await stat(join(root, s.row.path)).then(
        () => true,
        () => false,
      );
  return out;
}

/** Journal rows every known partner has seen are no longer needed. */
export function pruneChanges(cat: Catalog): void {
  const rows = cat.sqlite.prepare("select value from meta where key like 'mirror:%:changes'").all() as {
    value: string;
  }[];
  if (rows.length === 0) return;
  const min = Math.min(...rows.map((r) => Number(r.value)));
  cat.sqlite.prepare('delete from changes where seq <= ?').run(min);
}
