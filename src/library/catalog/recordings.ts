import { dbOf, sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import type { NewItem } from './schema.js';

/**
 * The recorder's items on a library drive (src/recorder/): segments and motion clips, catalogued
 * with card id `cam:<camera>`.
 */

/**
 * A recording's row goes in as `stored` (its file is already linked into place; the segment file
 * is the journal, see segment-item.ts): one synchronous transaction, so a failure (SQLITE_FULL)
 * rolls back cleanly. An item already there (same bytes) is left as it is.
 */
export function commitRecording(cat: Catalog, row: NewItem): void {
  const db = sqliteOf(cat);
  db.transaction(() => {
    const keys = Object.keys(row);
    db.prepare(
      `insert or ignore into items (${keys.join(', ')}) values (${keys.map((k) => `@${k}`).join(', ')})`,
    ).run({ ...row, state: 'stored' });
  })();
}

export interface RecordingOnDrive {
  id: string;
  camera: string;
  size: number;
  sortTime: string;
  /** Its original is at HQ (the uplink journal says done). */
  uploaded: boolean;
}

/** Recordings still stored on the drive (all cameras, or one), with their upload state. */
export function recordingsOnDrive(cat: Catalog, camera?: string): RecordingOnDrive[] {
  // The uplink journal is a station table (SQLite only): read with it, synchronously.
  const rows = sqliteOf(cat)
    .prepare(
      `select i.id, i.monitor as camera, i.size, i.sort_time as sortTime,
         exists (select 1 from uplink_transfers t
                  where t.item = i.id and t.rendition = 'original' and t.state = 'done') as uploaded
         from items i
        where i.state = 'stored' and i.deleted = 0 and i.card_id like 'cam:%'
          ${camera ? 'and i.card_id = @card' : ''}`,
    )
    .all(camera ? { card: `cam:${camera}` } : {}) as (Omit<RecordingOnDrive, 'uploaded'> & {
    uploaded: number;
  })[];
  return rows.map((r) => ({ ...r, uploaded: r.uploaded === 1 }));
}

/**
 * Mark a stored recording `offloaded` (its files are about to be removed; the row stays, so the
 * web app still shows what was recorded) and return the paths of its files (original first, then
 * companions). Undefined when it is no longer stored here.
 */
export async function offloadRecording(cat: Catalog, id: string): Promise<string[] | undefined> {
  const db = dbOf(cat);
  const row = await db
    .selectFrom('items')
    .select('path')
    .where('id', '=', id)
    .where('state', '=', 'stored')
    .executeTakeFirst();
  if (!row) return undefined;
  await db
    .updateTable('items')
    .set({ state: 'offloaded' })
    .where('id', '=', id)
    .where('state', '=', 'stored')
    .execute();
  const companions = await db.selectFrom('companions').select('path').where('item_id', '=', id).execute();
  return [row.path, ...companions.map((c) => c.path)];
}
