import { dbOf, sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import type { ItemRow } from './schema.js';

/**
 * The catalogue side of moving items' files (src/library/relocate.ts). A move is noted in meta
 * (`relocated:<id>` → the old paths) in the same transaction that points the rows at the new
 * paths; the note goes once the old links are removed, so a killed run is finished next time.
 */
const NOTE_PREFIX = 'relocated:';

/** The rows of `ids` (in that order; unknown ids left out), or every stored item. */
export async function itemsToRelocate(cat: Catalog, ids: string[] | undefined): Promise<ItemRow[]> {
  const db = dbOf(cat);
  if (!ids) return db.selectFrom('items').selectAll().where('state', '=', 'stored').execute();
  const out: ItemRow[] = [];
  for (const id of ids) {
    const row = await db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
    if (row) out.push(row);
  }
  return out;
}

/** An item's companions (kind and path), to move with it. */
export async function companionPaths(cat: Catalog, id: string): Promise<{ ext: string; path: string }[]> {
  return dbOf(cat).selectFrom('companions').select(['ext', 'path']).where('item_id', '=', id).execute();
}

/**
 * Point the item at `newPath` and its companions at their new paths, and note the old paths,
 * atomically: one synchronous transaction on the drive's catalogue, so nothing else comes in
 * between the row updates and the note. `moves[0]` is the original, the rest are companions.
 */
export function commitRelocation(
  cat: Catalog,
  id: string,
  newPath: string,
  moves: { from: string; to: string }[],
): void {
  const db = sqliteOf(cat);
  db.transaction(() => {
    db.prepare('update items set path = ? where id = ?').run(newPath, id);
    for (const m of moves.slice(1))
      db.prepare('update companions set path = ? where item_id = ? and path = ?').run(m.to, id, m.from);
    db.prepare('insert or replace into meta(key, value) values (?, ?)').run(
      NOTE_PREFIX + id,
      JSON.stringify(moves.map((m) => m.from)),
    );
  })();
}

/** The old links of the item are gone: drop its note. */
export async function clearRelocationNote(cat: Catalog, id: string): Promise<void> {
  await dbOf(cat)
    .deleteFrom('meta')
    .where('key', '=', NOTE_PREFIX + id)
    .execute();
}

/** Moves whose old links a killed run may have left: the item and the old paths. */
export async function unfinishedRelocations(cat: Catalog): Promise<{ id: string; oldPaths: string[] }[]> {
  const rows = await dbOf(cat)
    .selectFrom('meta')
    .select(['key', 'value'])
    .where('key', 'like', `${NOTE_PREFIX}%`)
    .execute();
  return rows.map((r) => ({
    id: r.key.slice(NOTE_PREFIX.length),
    oldPaths: JSON.parse(r.value) as string[],
  }));
}

/** Every path the catalogue has for an item now (original and companions). */
export async function currentPathsOf(cat: Catalog, id: string): Promise<Set<string>> {
  const db = dbOf(cat);
  const [item, companions] = await Promise.all([
    db.selectFrom('items').select('path').where('id', '=', id).execute(),
    db.selectFrom('companions').select('path').where('item_id', '=', id).execute(),
  ]);
  return new Set([...item, ...companions].map((r) => r.path));
}
