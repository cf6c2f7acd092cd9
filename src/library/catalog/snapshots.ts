import { sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import { OutpostError } from '../../core/errors.js';
import type { SnapshotDaysTable, SnapshotItemsTable } from './schema.js';

/**
 * IP cameras' snapshots on a library drive (src/snapshots/): items with card id `snap:<camera>`,
 * their `snapshot_items` row (receive time, what the name said), and one `snapshot_days` row per
 * camera and day, which is the timelapse's job (state) and its link to the day's snapshots.
 * Station tables, read and written synchronously (SQLite), like the uplink journal.
 */

export type SnapshotRow = SnapshotItemsTable;
export type SnapshotDayRow = Omit<SnapshotDaysTable, 'attempts'> & { attempts: number };

/**
 * The commit point of a snapshot admitted by the library intake: its pending row becomes
 * `stored`, its snapshot row goes in, and its day is known (a timelapse to make), in one
 * transaction. Throws when the row is no longer pending (rolled back by another run meanwhile).
 */
export function commitSnapshot(cat: Catalog, s: SnapshotRow, timeZone: string, nowIso: string): void {
  const db = sqliteOf(cat);
  db.transaction(() => {
    const r = db
      .prepare("update items set state = 'stored' where id = ? and state = 'pending'")
      .run(s.item_id);
    if (r.changes !== 1)
      throw new OutpostError('LIBRARY_LOCKED', `snapshot ${s.item_id} was rolled back before its commit`);
    db.prepare(
      `insert into snapshot_items (item_id, camera, day, received_ms, upload_path, hint_local, trigger, drift_s, via)
       values (@item_id, @camera, @day, @received_ms, @upload_path, @hint_local, @trigger, @drift_s, @via)
       on conflict (item_id) do nothing`,
    ).run(s);
    db.prepare(
      `insert into snapshot_days (camera, day, time_zone, state, updated_at) values (?, ?, ?, 'open', ?)
       on conflict (camera, day) do nothing`,
    ).run(s.camera, s.day, timeZone, nowIso);
  })();
}

/** Snapshots and timelapses left `pending` (their admit never committed: a killed station). */
export function pendingSnapshots(cat: Catalog): { id: string; path: string; card_id: string }[] {
  return sqliteOf(cat)
    .prepare(
      "select id, path, card_id from items where state = 'pending' and (card_id like 'snap:%' or card_id like 'timelapse:%')",
    )
    .all() as { id: string; path: string; card_id: string }[];
}

export interface DaySnapshot {
  id: string;
  path: string;
  state: 'pending' | 'stored' | 'remote' | 'offloaded';
  size: number;
  receivedMs: number;
  hasThumb: boolean;
  deleted: boolean;
  trigger: string | null;
  driftS: number | null;
  uploadPath: string;
}

/** One camera's snapshots of one day, oldest first (every state: the day strip shows kept thumbnails). */
export function snapshotsOfDay(cat: Catalog, camera: string, day: string): DaySnapshot[] {
  const rows = sqliteOf(cat)
    .prepare(
      `select i.id, i.path, i.state, i.size, s.received_ms as receivedMs, i.has_thumb as hasThumb,
              i.deleted, s.trigger, s.drift_s as driftS, s.upload_path as uploadPath
         from snapshot_items s join items i on i.id = s.item_id
        where s.camera = ? and s.day = ?
        order by s.received_ms, i.id`,
    )
    .all(camera, day) as (Omit<DaySnapshot, 'hasThumb' | 'deleted'> & {
    hasThumb: number;
    deleted: number;
  })[];
  return rows.map((r) => ({ ...r, hasThumb: r.hasThumb === 1, deleted: r.deleted === 1 }));
}

/** A camera's days (newest first), or every camera's. */
export function snapshotDays(cat: Catalog, camera?: string): SnapshotDayRow[] {
  return sqliteOf(cat)
    .prepare(
      `select * from snapshot_days ${camera === undefined ? '' : 'where camera = ?'} order by day desc, camera`,
    )
    .all(...(camera === undefined ? [] : [camera])) as SnapshotDayRow[];
}

export function snapshotDay(cat: Catalog, camera: string, day: string): SnapshotDayRow | undefined {
  return sqliteOf(cat)
    .prepare('select * from snapshot_days where camera = ? and day = ?')
    .get(camera, day) as SnapshotDayRow | undefined;
}

/** Make sure a day has a row (a timelapse asked for by hand of a day not seen yet). */
export function ensureSnapshotDay(
  cat: Catalog,
  camera: string,
  day: string,
  timeZone: string,
  nowIso: string,
): void {
  sqliteOf(cat)
    .prepare(
      `insert into snapshot_days (camera, day, time_zone, state, updated_at) values (?, ?, ?, 'open', ?)
       on conflict (camera, day) do nothing`,
    )
    .run(camera, day, timeZone, nowIso);
}

/** A day's timelapse job moved on: `encoding`, `done` with its item, or `failed` with why. */
export function setSnapshotDay(
  cat: Catalog,
  camera: string,
  day: string,
  patch: Partial<
    Pick<SnapshotDayRow, 'state' | 'timelapse_id' | 'frames' | 'snapshots' | 'gaps' | 'error'>
  > & {
    attempt?: boolean;
  },
  nowIso: string,
): void {
  const { attempt, ...cols } = patch;
  const sets = Object.keys(cols).map((k) => `${k} = @${k}`);
  if (attempt) sets.push('attempts = attempts + 1');
  sets.push('updated_at = @updated_at');
  sqliteOf(cat)
    .prepare(`update snapshot_days set ${sets.join(', ')} where camera = @camera and day = @day`)
    .run({ ...cols, updated_at: nowIso, camera, day });
}

/** An upload refused (empty, truncated, not a JPEG…): counted per camera, day and reason. */
export function recordSnapshotReject(
  cat: Catalog,
  r: { camera: string; day: string; reason: string; message: string; at: string },
): void {
  sqliteOf(cat)
    .prepare(
      `insert into snapshot_rejects (camera, day, reason, n, last_at, last_message) values (?, ?, ?, 1, ?, ?)
       on conflict (camera, day, reason) do update set n = n + 1, last_at = excluded.last_at,
         last_message = excluded.last_message`,
    )
    .run(r.camera, r.day, r.reason, r.at, r.message);
}

export function snapshotRejects(
  cat: Catalog,
  camera: string,
  day: string,
): { reason: string; n: number; last_at: string; last_message: string }[] {
  return sqliteOf(cat)
    .prepare(
      'select reason, n, last_at, last_message from snapshot_rejects where camera = ? and day = ? order by reason',
    )
    .all(camera, day) as { reason: string; n: number; last_at: string; last_message: string }[];
}

export interface CameraSnapshotStats {
  camera: string;
  lastId: string | null;
  lastReceivedMs: number | null;
  /** JPEGs still on the drive, and their bytes. */
  storedCount: number;
  storedBytes: number;
  /** Days that still have JPEGs on the drive; the oldest. */
  daysKept: number;
  oldestDay: string | null;
}

export function cameraSnapshotStats(cat: Catalog, camera: string): CameraSnapshotStats {
  const db = sqliteOf(cat);
  const last = db
    .prepare(
      `select s.item_id as id, s.received_ms as ms from snapshot_items s join items i on i.id = s.item_id
        where s.camera = ? and i.deleted = 0 order by s.received_ms desc limit 1`,
    )
    .get(camera) as { id: string; ms: number } | undefined;
  const kept = db
    .prepare(
      `select count(*) as n, coalesce(sum(i.size), 0) as bytes, count(distinct s.day) as days, min(s.day) as oldest
         from snapshot_items s join items i on i.id = s.item_id
        where s.camera = ? and i.state = 'stored' and i.deleted = 0`,
    )
    .get(camera) as { n: number; bytes: number; days: number; oldest: string | null };
  return {
    camera,
    lastId: last?.id ?? null,
    lastReceivedMs: last?.ms ?? null,
    storedCount: kept.n,
    storedBytes: kept.bytes,
    daysKept: kept.days,
    oldestDay: kept.oldest,
  };
}

/** Snapshots received in [fromMs, toMs) of a camera: how many, for "today". */
export function countSnapshots(cat: Catalog, camera: string, day: string): number {
  return (
    sqliteOf(cat)
      .prepare('select count(*) as n from snapshot_items where camera = ? and day = ?')
      .get(camera, day) as {
      n: number;
    }
  ).n;
}

/** Every camera with snapshots or days in the catalogue. */
export function snapshotCamerasInCatalog(cat: Catalog): string[] {
  return (
    sqliteOf(cat).prepare('select distinct camera from snapshot_days order by camera').all() as {
      camera: string;
    }[]
  ).map((r) => r.camera);
}

export interface RetentionRow {
  id: string;
  camera: string;
  day: string;
  receivedMs: number;
  size: number;
  path: string;
  /** The JPEG's own original is at the uplink's target (journal `done`). */
  uploaded: boolean;
}

/** A camera's snapshots still on the drive, oldest first: what retention chooses from. */
export function snapshotsOnDrive(cat: Catalog, camera: string): RetentionRow[] {
  const rows = sqliteOf(cat)
    .prepare(
      `select i.id, s.camera, s.day, s.received_ms as receivedMs, i.size, i.path,
              exists (select 1 from uplink_transfers t where t.item = i.id and t.rendition = 'original'
                       and t.state = 'done') as uploaded
         from snapshot_items s join items i on i.id = s.item_id
        where s.camera = ? and i.state = 'stored' and i.deleted = 0
        order by s.received_ms, i.id`,
    )
    .all(camera) as (Omit<RetentionRow, 'uploaded'> & { uploaded: number })[];
  return rows.map((r) => ({ ...r, uploaded: r.uploaded === 1 }));
}

/** Whether an item's original is at the uplink's target (journal `done`, any target). */
export function originalUploaded(cat: Catalog, id: string): boolean {
  return (
    sqliteOf(cat)
      .prepare(
        "select 1 from uplink_transfers where item = ? and rendition = 'original' and state = 'done' limit 1",
      )
      .get(id) !== undefined
  );
}

/** The commit point of a timelapse admitted by the library intake: pending → stored. */
export function commitTimelapse(cat: Catalog, id: string): void {
  const r = sqliteOf(cat)
    .prepare("update items set state = 'stored' where id = ? and state = 'pending'")
    .run(id);
  if (r.changes !== 1)
    throw new OutpostError('LIBRARY_LOCKED', `timelapse ${id} was rolled back before its commit`);
}
