import { sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import type { ItemRow } from './schema.js';

/**
 * What the station's uplink reads of items outside its journal (uplink-journal.ts): the marks it
 * polls to notice changes made through other connections, and the rows it sends as facts.
 * Station-only and synchronous (SQLite): the runner polls every half second between chunks.
 */

/**
 * SQLite's data_version: it changes when another connection (the web app, ingest) commits, so
 * an unchanged value means nothing else wrote and the poll stops there.
 */
export function catalogueVersion(cat: Catalog): number {
  return Number(sqliteOf(cat).pragma('data_version', { simple: true }));
}

/** Changes when a stored item comes or goes or gains a derivative (new renditions to queue). */
export function storedItemsMark(cat: Catalog): string {
  const r = sqliteOf(cat)
    .prepare(
      "select count(*) as n, max(rowid) as m, sum(has_thumb + has_preview + has_poster) as d from items where state = 'stored'",
    )
    .get() as { n: number; m: number | null; d: number | null };
  return `${r.n}:${r.m}:${r.d}`;
}

/** An item's row (any state), for the facts HQ is told before its bytes. */
export function itemForFacts(cat: Catalog, id: string): ItemRow | undefined {
  return sqliteOf(cat).prepare('select * from items where id = ?').get(id) as ItemRow | undefined;
}

/** An item's card (the offload policy tells recordings by it), if the item is there. */
export function itemCard(cat: Catalog, id: string): { id: string; card_id: string | null } | undefined {
  return sqliteOf(cat).prepare('select id, card_id from items where id = ?').get(id) as
    { id: string; card_id: string | null } | undefined;
}
