import type { Generated, Selectable, Insertable } from 'kysely';

/** Table types of the catalogue. Columns mirror migrations.ts. */
export interface ItemsTable {
  id: string;
  type: 'photo' | 'video' | 'audio';
  /**
   * pending: row written, original not yet renamed into place; stored: original is in `path`.
   * On HQ (src/hq/): stored = HQ holds at least one rendition (listed); remote = facts only.
   */
  /** stored: here; remote: HQ's catalogue only; offloaded: sent to HQ and removed here (uplink policy). */
  state: 'pending' | 'stored' | 'remote' | 'offloaded';
  path: string;
  monitor: string;
  size: number;
  ext: string;
  original_name: string;
  original_mtime_ms: number;
  captured_at: string | null;
  captured_source: string | null;
  sort_time: string;
  imported_at: string;
  card_id: string | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  duration_s: number | null;
  make: string | null;
  model: string | null;
  lat: number | null;
  lon: number | null;
  alt: number | null;
  facts: string;
  warnings: string;
  phash: string | null;
  has_thumb: Generated<number>;
  has_preview: Generated<number>;
  has_poster: Generated<number>;
  has_video: Generated<number>;
  /** The camera's own capture and sort times, kept once a clock correction moved them. */
  camera_captured_at: string | null;
  camera_sort_time: string | null;
  /** The winning `timeShift` op's offset (0: none). */
  time_shift_ms: Generated<number>;
  /** 1: rejected (an attribute op, docs/reject-delete.md). */
  rejected: Generated<number>;
  video_checked_at: string | null;
  derived_at: string | null;
  event: string | null;
  location_lat: number | null;
  location_lon: number | null;
  /** Where the set location came from: 'gpx', 'hand', or null (not known). */
  location_source: string | null;
  rating: number | null;
  priority: Generated<number>;
  tags: Generated<string>;
  notes: string | null;
  deleted: Generated<number>;
}

export interface ImportsTable {
  card_id: string;
  rel_path: string;
  size: number;
  mtime_ms: number;
  item_id: string;
  /** copied | duplicate | tombstoned */
  outcome: string;
  imported_at: string;
}

export interface CompanionsTable {
  item_id: string;
  ext: string;
  path: string;
  sha256: string;
  size: number;
}

export interface CardsTable {
  id: string;
  kind: string;
  label: string | null;
  fs_uuid: string | null;
  monitor: string | null;
  first_seen: string;
  last_seen: string;
  last_mount: string | null;
}

export interface OpsTable {
  seq: Generated<number>;
  hlc: string;
  origin: string;
  entity: string;
  entity_id: string;
  field: string;
  value: string;
}

/** An op a tablet pushed (migration 0024_device_sync; library/device-sync.ts), by its own stamp. */
export interface DeviceOpsTable {
  /** `<node>:<device>`. */
  origin: string;
  /** The device's own stamp (the op's identity: a replay is recognised by it). */
  hlc: string;
  item_id: string;
  field: string;
  /** The stamp it was logged with (null when refused). */
  stamp: string | null;
  outcome: string;
  message: string | null;
  conflict_id: string | null;
  received_ms: number;
}

/** A tablet's edit that met another one (both values kept until someone chooses). */
export interface SyncConflictsTable {
  id: string;
  item_id: string;
  field: string;
  origin: string;
  /** JSON values. */
  device_value: string;
  other_value: string;
  base_value: string;
  /** 'device' or 'other': whose value the field holds (last writer wins). */
  winner: string;
  created_ms: number;
  resolved_ms: number | null;
  /** 'kept' or 'took-other'. */
  resolution: string | null;
}

/** The winning op of each (entity, id, field) (migration 0010_op_heads); see ops.ts. */
export interface OpHeadsTable {
  entity: string;
  entity_id: string;
  field: string;
  hlc: string;
  origin: string;
  value: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** Login users (migration 0004_auth); names compare without case (see catalog/users.ts). */
export interface UsersTable {
  name: string;
  role: 'viewer' | 'editor';
  password_hash: string;
  created_at: string;
  /** 0 or 1. */
  disabled: number;
}

/** Login sessions (migration 0004_auth): only a SHA-256 of the token is stored. */
export interface SessionsTable {
  id_hash: string;
  /** The user's stored name (a reserved word in PostgreSQL: Kysely quotes it). */
  user: string;
  created_at: string;
  expires_at: string;
  last_seen: string;
}

/** HQ: a station's upload key (migration 0005_hq). */
export interface StationKeysTable {
  key_sha256: string;
  name: string;
  created_at: string;
  revoked_at: string | null;
}

/** HQ: verified bytes of an item's rendition, held in the object store under `sha256`. */
export interface ObjectsTable {
  item: string;
  rendition: 'original' | 'thumb' | 'preview';
  sha256: string;
  size: number;
  station: string;
  received_at: string;
}

export interface UplinkTransfersTable {
  target: string;
  item: string;
  rendition: 'original' | 'thumb' | 'preview';
  state: 'pending' | 'uploading' | 'done' | 'cancelled';
  size: number | null;
  sha256: string | null;
  upload_url: string | null;
  upload_state: string | null;
  offset: number;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  done_at: string | null;
}

export interface UplinkFactsTable {
  target: string;
  item: string;
}

/** The mirror's change journal (migration 0007_mirror), filled by triggers. */
export interface ChangesTable {
  seq: Generated<number>;
  item: string;
  kind: string;
}

/** What the scrub found wrong with a file (migration 0008_scrub); see src/drives/scrub-store.ts. */
export interface ScrubFindingsTable {
  path: string;
  item: string;
  kind: 'original' | 'companion';
  code: string;
  expected: string;
  actual: string | null;
  detail: string;
  state: 'damaged' | 'repaired' | 'resolved';
  reason: string | null;
  quarantine: string | null;
  found_at: string;
  updated_at: string;
}

export interface ItemHoldersTable {
  item: string;
  station: string;
}

/** HQ: the running SHA-256 of a tus upload in the object store (migration 0021). */
export interface UploadHashesTable {
  upload_id: string;
  offset: number;
  state: string;
}

export interface DB {
  /** PostgreSQL only (migration 0022): the event codes items carry, kept by a trigger. */
  event_codes: { code: string };
  upload_hashes: UploadHashesTable;
  items: ItemsTable;
  imports: ImportsTable;
  companions: CompanionsTable;
  cards: CardsTable;
  ops: OpsTable;
  op_heads: OpHeadsTable;
  meta: MetaTable;
  users: UsersTable;
  sessions: SessionsTable;
  station_keys: StationKeysTable;
  objects: ObjectsTable;
  item_holders: ItemHoldersTable;
  uplink_transfers: UplinkTransfersTable;
  uplink_facts: UplinkFactsTable;
  changes: ChangesTable;
  scrub_findings: ScrubFindingsTable;
  snapshot_items: SnapshotItemsTable;
  snapshot_days: SnapshotDaysTable;
  snapshot_rejects: SnapshotRejectsTable;
  device_ops: DeviceOpsTable;
  sync_conflicts: SyncConflictsTable;
}

/** An IP camera's snapshot beyond its item (src/snapshots/, catalog/snapshots.ts). */
export interface SnapshotItemsTable {
  item_id: string;
  camera: string;
  /** The camera's local day, YYYY-MM-DD. */
  day: string;
  /** The server's receive time (the capture time), ms since epoch. */
  received_ms: number;
  /** Where the camera wrote it (FTP path in its area) or the URL it was pulled from. */
  upload_path: string;
  /** The time the file name states (camera-local, no zone), when it states one. */
  hint_local: string | null;
  /** scheduled | motion | alarm, when the name says. */
  trigger: string | null;
  /** Camera clock minus receive time, seconds (from the name's time). */
  drift_s: number | null;
  /** ftp | http */
  via: string;
}

/** A camera's day: its timelapse job (state) and, once made, the timelapse item. */
export interface SnapshotDaysTable {
  camera: string;
  day: string;
  time_zone: string;
  /** open (the day is running or not made yet) | encoding | done | failed */
  state: string;
  timelapse_id: string | null;
  frames: number | null;
  snapshots: number | null;
  /** JSON: the gaps the timelapse shows. */
  gaps: string | null;
  error: string | null;
  attempts: Generated<number>;
  updated_at: string;
}

/** Uploads refused (empty, truncated, not a JPEG…), counted per camera, day and reason. */
export interface SnapshotRejectsTable {
  camera: string;
  day: string;
  reason: string;
  n: number;
  last_at: string;
  last_message: string;
}

export type ItemRow = Selectable<ItemsTable>;
export type NewItem = Insertable<ItemsTable>;
export type ImportRow = Selectable<ImportsTable>;
export type CardRow = Selectable<CardsTable>;
export type CompanionRow = Selectable<CompanionsTable>;
