import { dbOf, sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import { OutpostError } from '../../core/errors.js';
import type { ItemRow } from './schema.js';

/**
 * The recorder's items on a library drive (src/recorder/): segments and motion clips, catalogued
 * with card id `cam:<camera>`.
 */

/**
 * The commit point of a recording admitted by the library intake (src/recorder/segment-item.ts):
 * its `pending` row becomes `stored`. Throws when the row is no longer pending (an ingest's
 * reconcile rolled it back meanwhile): the intake then rolls back and the recorder keeps its file.
 */
export async function commitRecording(cat: Catalog, id: string): Promise<void> {
  const r = await dbOf(cat)
    .updateTable('items')
    .set({ state: 'stored' })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1)
    throw new OutpostError(
      'LIBRARY_LOCKED',
      `recording ${id} was rolled back by another run before its commit; placed again later`,
    );
}

/** A camera's recordings left `pending` (their admit never committed: a killed recorder). */
export async function pendingRecordings(cat: Catalog, camera: string): Promise<ItemRow[]> {
  return dbOf(cat)
    .selectFrom('items')
    .selectAll()
    .where('state', '=', 'pending')
    .where('card_id', '=', `cam:${camera}`)
    .execute();
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

/**
 * A camera's stored recordings (continuous segments and motion clips) whose capture time is in
 * [fromLocal, toLocal] (sort_time, the station's wall clock): the caller reads `facts.recording`
 * for the exact bounds and passes a margin to catch a segment that started before the range.
 */
export async function recordingsBetween(
  cat: Catalog,
  camera: string,
  fromLocal: string,
  toLocal: string,
): Promise<ItemRow[]> {
  return dbOf(cat)
    .selectFrom('items')
    .selectAll()
    .where('card_id', '=', `cam:${camera}`)
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .where('sort_time', '>=', fromLocal)
    .where('sort_time', '<=', toLocal)
    .orderBy('sort_time')
    .execute();
}

/** The commit point of an export (src/video/): its `pending` row becomes `stored`. */
export async function commitExport(cat: Catalog, id: string): Promise<void> {
  const r = await dbOf(cat)
    .updateTable('items')
    .set({ state: 'stored' })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1)
    throw new OutpostError('LIBRARY_LOCKED', `export ${id} was rolled back by another run before its commit`);
}

/** The cameras with recordings on this drive (stored ones), sorted. */
export async function recordedCameras(cat: Catalog): Promise<string[]> {
  const rows = await dbOf(cat)
    .selectFrom('items')
    .select('card_id')
    .distinct()
    .where('card_id', 'like', 'cam:%')
    .where('state', '=', 'stored')
    .where('deleted', '=', 0)
    .execute();
  return rows
    .map((r) => (r.card_id ?? '').slice(4))
    .filter((c) => c.length > 0)
    .sort();
}

/**
 * HQ: the cameras with recordings, per station that sent them (camera names are a station's own:
 * two stations' `cam` are two cameras).
 */
export async function recordedCamerasByStation(cat: Catalog): Promise<{ station: string; camera: string }[]> {
  const rows = await dbOf(cat)
    .selectFrom('items')
    .innerJoin('item_holders', 'item_holders.item', 'items.id')
    .select(['item_holders.station', 'items.card_id'])
    .distinct()
    .where('items.card_id', 'like', 'cam:%')
    .where('items.state', '=', 'stored')
    .where('items.deleted', '=', 0)
    .execute();
  return rows
    .map((r) => ({ station: r.station, camera: (r.card_id ?? '').slice(4) }))
    .filter((c) => c.camera.length > 0)
    .sort((a, b) => a.station.localeCompare(b.station) || a.camera.localeCompare(b.camera));
}

/** HQ: one station's recordings of `camera` by wall-clock time (as recordingsBetween). */
export async function stationRecordingsBetween(
  cat: Catalog,
  station: string,
  camera: string,
  fromLocal: string,
  toLocal: string,
): Promise<ItemRow[]> {
  return dbOf(cat)
    .selectFrom('items')
    .innerJoin('item_holders', 'item_holders.item', 'items.id')
    .selectAll('items')
    .where('item_holders.station', '=', station)
    .where('items.card_id', '=', `cam:${camera}`)
    .where('items.state', '=', 'stored')
    .where('items.deleted', '=', 0)
    .where('items.sort_time', '>=', fromLocal)
    .where('items.sort_time', '<=', toLocal)
    .orderBy('items.sort_time')
    .execute();
}
