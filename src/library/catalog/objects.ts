import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import type { ItemsTable, ObjectsTable } from './schema.js';

/**
 * HQ's verified objects (table objects, migration 0005_hq): one row per (item, rendition) whose
 * bytes are in the object store under `sha256`, and what they change in `items`. An HQ item is
 * 'stored' (listed by the web app) once HQ holds any rendition of it, 'remote' while it has only
 * its facts: thumbnails travel first, so people at HQ see new items long before the originals.
 */

const stored = sql.lit<ItemsTable['state']>('stored');
const remote = sql.lit<ItemsTable['state']>('remote');

export type ObjectRendition = ObjectsTable['rendition'];

export interface ObjectRecord {
  item: string;
  rendition: ObjectRendition;
  sha256: string;
  size: number;
  station: string;
  receivedAt: string;
}

/** has_* flags and state of one item from the objects it has (a no-op when the item has no row yet). */
export async function refreshItemObjects(cat: Catalog, item: string): Promise<void> {
  await dbOf(cat)
    .updateTable('items')
    .set((eb) => {
      const has = (rendition?: ObjectRendition) => {
        let q = eb.selectFrom('objects').select(sql.lit(1).as('one')).where('item', '=', item);
        if (rendition) q = q.where('rendition', '=', rendition);
        return eb.exists(q);
      };
      const flag = (cond: ReturnType<typeof has>) => eb.case().when(cond).then(1).else(0).end();
      return {
        has_thumb: flag(has('thumb')),
        has_preview: flag(has('preview')),
        // The station sends a video's poster frame as its preview rendition.
        has_poster: eb
          .case()
          .when(eb.and([eb('type', '=', 'video'), has('preview')]))
          .then(1)
          .else(0)
          .end(),
        state: eb.case().when(has()).then(stored).else(remote).end(),
      };
    })
    .where('id', '=', item)
    .execute();
}

/** Note verified bytes of (item, rendition); a newer hash replaces an older one. */
export async function recordObject(cat: Catalog, o: ObjectRecord): Promise<void> {
  await cat.transaction(async (tx) => {
    await dbOf(tx)
      .insertInto('objects')
      .values({
        item: o.item,
        rendition: o.rendition,
        sha256: o.sha256,
        size: o.size,
        station: o.station,
        received_at: o.receivedAt,
      })
      .onConflict((oc) =>
        oc.columns(['item', 'rendition']).doUpdateSet((eb) => ({
          sha256: eb.ref('excluded.sha256'),
          size: eb.ref('excluded.size'),
          station: eb.ref('excluded.station'),
          received_at: eb.ref('excluded.received_at'),
        })),
      )
      .execute();
    await refreshItemObjects(tx, o.item);
  });
}

/**
 * For each (item, rendition, sha256): does HQ hold those verified bytes? A tombstoned item counts
 * as held: HQ does not want its bytes again.
 */
export async function haveObjects(
  cat: Catalog,
  objects: { item: string; rendition: ObjectRendition; sha256: string }[],
): Promise<boolean[]> {
  const held = new Set<string>();
  const deleted = new Set<string>();
  const key = (item: string, rendition: string, sha256: string) => `${item}/${rendition}/${sha256}`;
  const items = [...new Set(objects.map((o) => o.item))];
  for (let i = 0; i < items.length; i += 500) {
    const chunk = items.slice(i, i + 500);
    const rows = await dbOf(cat)
      .selectFrom('objects')
      .select(['item', 'rendition', 'sha256'])
      .where('item', 'in', chunk)
      .execute();
    for (const r of rows) held.add(key(r.item, r.rendition, r.sha256));
    const gone = await dbOf(cat)
      .selectFrom('items')
      .select('id')
      .where('id', 'in', chunk)
      .where('deleted', '=', 1)
      .execute();
    for (const r of gone) deleted.add(r.id);
  }
  return objects.map((o) => held.has(key(o.item, o.rendition, o.sha256)) || deleted.has(o.item));
}

export async function objectOf(
  cat: Catalog,
  item: string,
  rendition: ObjectRendition,
): Promise<{ sha256: string; size: number } | undefined> {
  return dbOf(cat)
    .selectFrom('objects')
    .select(['sha256', 'size'])
    .where('item', '=', item)
    .where('rendition', '=', rendition)
    .executeTakeFirst();
}

/** Drop an item's object rows; returns the hashes no other row still refers to (safe to delete). */
export async function dropObjectsOf(cat: Catalog, item: string): Promise<string[]> {
  return cat.transaction(async (tx) => {
    const rows = await dbOf(tx).selectFrom('objects').select('sha256').where('item', '=', item).execute();
    await dbOf(tx).deleteFrom('objects').where('item', '=', item).execute();
    await refreshItemObjects(tx, item);
    const free: string[] = [];
    for (const h of new Set(rows.map((r) => r.sha256))) {
      const used = await dbOf(tx)
        .selectFrom('objects')
        .select('item')
        .where('sha256', '=', h)
        .limit(1)
        .executeTakeFirst();
      if (!used) free.push(h);
    }
    return free;
  });
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

/** Storage at HQ: bytes and objects in total and per station, items known (not deleted). */
export async function hqStats(cat: Catalog): Promise<HqStats> {
  const db = dbOf(cat);
  const totals = await db
    .selectFrom('objects')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('size'), sql.lit(0)).as('bytes'),
      eb.fn.countAll<number>().as('objects'),
    ])
    .executeTakeFirstOrThrow();
  const items = await db
    .selectFrom('items')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('deleted', '=', 0)
    .where('state', '!=', 'pending')
    .executeTakeFirstOrThrow();
  const originals = await db
    .selectFrom('objects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('rendition', '=', 'original')
    .executeTakeFirstOrThrow();
  const stations = await db
    .selectFrom('objects')
    .select((eb) => [
      'station',
      eb.fn.count<number>('item').distinct().as('items'),
      eb.fn.countAll<number>().as('objects'),
      eb.fn.coalesce(eb.fn.sum<number>('size'), sql.lit(0)).as('bytes'),
      eb.fn.max('received_at').as('lastReceivedAt'),
    ])
    .groupBy('station')
    .orderBy('station')
    .execute();
  return {
    bytes: Number(totals.bytes),
    objects: Number(totals.objects),
    items: Number(items.n),
    itemsWithOriginal: Number(originals.n),
    stations: stations.map((s) => ({
      station: s.station,
      items: Number(s.items),
      objects: Number(s.objects),
      bytes: Number(s.bytes),
      lastReceivedAt: s.lastReceivedAt ?? null,
    })),
  };
}

/**
 * A read-only look into another process's SQLite HQ catalogue (a running `outpost hq`): whether
 * it holds an item's rendition, answered at once (benchmarks polling for arrival).
 */
export function openHeldObjectsProbe(catalogPath: string): {
  has(item: string, rendition?: ObjectRendition): boolean;
  close(): void;
} {
  const db = new Database(catalogPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 2000');
  const q = db.prepare('select 1 from objects where item = ? and rendition = ?');
  return {
    has: (item, rendition = 'original') => q.get(item, rendition) !== undefined,
    close: () => db.close(),
  };
}
