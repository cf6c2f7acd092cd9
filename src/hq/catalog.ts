import type { Catalog } from '../library/catalog/open.js';
import { projectItemOps } from '../library/catalog/ops.js';
import { ITEM_FACT_COLUMNS } from '../library/item-facts.js';
import type { ItemFacts } from './sync-schema.js';
import type { UploadRendition } from './upload-metadata.js';

/**
 * HQ's own catalogue tables and what they change in `items` (migration 0005_hq). An HQ item is
 * 'stored' (listed by the web app) once HQ holds any rendition of it, 'remote' while it has only
 * its facts: thumbnails travel first, so people at HQ see new items long before the originals.
 */

export interface ObjectRecord {
  item: string;
  rendition: UploadRendition;
  sha256: string;
  size: number;
  station: string;
  receivedAt: string;
}

/** has_* flags and state of one item from the objects it has (a no-op when the item has no row yet). */
function refreshItem(cat: Catalog, item: string): void {
  cat.sqlite
    .prepare(
      `update items set
         has_thumb = exists (select 1 from objects where item = @id and rendition = 'thumb'),
         has_preview = exists (select 1 from objects where item = @id and rendition = 'preview'),
         -- the station sends a video's poster frame as its preview rendition
         has_poster = type = 'video' and exists (select 1 from objects where item = @id and rendition = 'preview'),
         state = case when exists (select 1 from objects where item = @id) then 'stored' else 'remote' end
       where id = @id`,
    )
    .run({ id: item });
}

/** Note verified bytes of (item, rendition); a newer hash replaces an older one. */
export function recordObject(cat: Catalog, o: ObjectRecord): void {
  cat.sqlite.transaction(() => {
    cat.sqlite
      .prepare(
        `insert into objects (item, rendition, sha256, size, station, received_at)
         values (@item, @rendition, @sha256, @size, @station, @receivedAt)
         on conflict (item, rendition) do update set sha256 = excluded.sha256, size = excluded.size,
           station = excluded.station, received_at = excluded.received_at`,
      )
      .run(o);
    refreshItem(cat, o.item);
  })();
}

/**
 * For each (item, rendition, sha256): does HQ hold those verified bytes? A tombstoned item counts
 * as held: HQ does not want its bytes again.
 */
export function haveObjects(
  cat: Catalog,
  objects: { item: string; rendition: UploadRendition; sha256: string }[],
): boolean[] {
  const held = cat.sqlite.prepare('select 1 from objects where item = ? and rendition = ? and sha256 = ?');
  const deleted = cat.sqlite.prepare('select 1 from items where id = ? and deleted = 1');
  return objects.map((o) => !!held.get(o.item, o.rendition, o.sha256) || !!deleted.get(o.item));
}

export function isTombstoned(cat: Catalog, item: string): boolean {
  return !!cat.sqlite.prepare('select 1 from items where id = ? and deleted = 1').get(item);
}

export function objectOf(
  cat: Catalog,
  item: string,
  rendition: UploadRendition,
): { sha256: string; size: number } | undefined {
  return cat.sqlite
    .prepare('select sha256, size from objects where item = ? and rendition = ?')
    .get(item, rendition) as { sha256: string; size: number } | undefined;
}

/** Drop an item's object rows; returns the hashes no other row still refers to (safe to delete). */
export function dropObjectsOf(cat: Catalog, item: string): string[] {
  return cat.sqlite.transaction(() => {
    const rows = cat.sqlite.prepare('select sha256 from objects where item = ?').all(item) as {
      sha256: string;
    }[];
    cat.sqlite.prepare('delete from objects where item = ?').run(item);
    refreshItem(cat, item);
    const stillUsed = cat.sqlite.prepare('select 1 from objects where sha256 = ? limit 1');
    return [...new Set(rows.map((r) => r.sha256))].filter((h) => !stillUsed.get(h));
  })();
}

/**
 * Insert items' facts from a station (facts never change for an id: a repeat, or the same item
 * from a second station, is a no-op). `path` becomes `<station>/<station's path>` so paths from
 * different stations never collide. Ops merged before the facts arrived are projected now.
 * Returns how many items were new.
 */
export function upsertItemFacts(cat: Catalog, station: string, items: ItemFacts[]): number {
  const cols = [...ITEM_FACT_COLUMNS, 'path', 'state'];
  const insert = cat.sqlite.prepare(
    `insert or ignore into items (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`,
  );
  const holder = cat.sqlite.prepare('insert or ignore into item_holders (item, station) values (?, ?)');
  return cat.sqlite.transaction(() => {
    const fresh: string[] = [];
    for (const it of items) {
      const row: Record<string, unknown> = {};
      for (const c of ITEM_FACT_COLUMNS) row[c] = it[c];
      row.path = `${station}/${it.path}`;
      row.state = 'remote';
      holder.run(it.id, station);
      if (insert.run(row).changes === 1) {
        fresh.push(it.id);
        refreshItem(cat, it.id);
        // Ops merged before the facts arrived: project them onto the new row.
        projectItemOps(cat, it.id);
      }
    }
    return fresh.length;
  })();
}

/** Whether `station` sent the facts of `item` (it holds the original): its ops and renditions may touch it. */
export function stationHolds(cat: Catalog, station: string, item: string): boolean {
  return !!cat.sqlite.prepare('select 1 from item_holders where item = ? and station = ?').get(item, station);
}

export interface HqStats {
  bytes: number;
  objects: number;
  items: number;
  itemsWithOriginal: number;
  stations: {
    station: string;
    items: number;
    objects: number;
    bytes: number;
    lastReceivedAt: string | null;
  }[];
}

export function hqStats(cat: Catalog): HqStats {
  const totals = cat.sqlite
    .prepare('select coalesce(sum(size), 0) as bytes, count(*) as objects from objects')
    .get() as { bytes: number; objects: number };
  const items = cat.sqlite
    .prepare("select count(*) as n from items where deleted = 0 and state != 'pending'")
    .get() as {
    n: number;
  };
  const originals = cat.sqlite
    .prepare("select count(*) as n from objects where rendition = 'original'")
    .get() as { n: number };
  const stations = cat.sqlite
    .prepare(
      `select station, count(distinct item) as items, count(*) as objects, coalesce(sum(size), 0) as bytes,
              max(received_at) as lastReceivedAt
       from objects group by station order by station`,
    )
    .all() as HqStats['stations'];
  return { ...totals, items: items.n, itemsWithOriginal: originals.n, stations };
}
