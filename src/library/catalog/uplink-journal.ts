import type Database from 'better-sqlite3';
import { sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import type { UplinkTransfersTable } from './schema.js';
import { deleteStationMetaValue, setStationMetaValue, stationMetaValue } from './station-meta.js';

type Rendition = UplinkTransfersTable['rendition'];

/**
 * The station's durable transfer journal: one row per (target, item, rendition) in the catalogue
 * (`uplink_transfers`, `uplink_facts`, cursors in `meta`; migration 0006_uplink). The runner keeps
 * its working set in memory (the scheduler); every confirmed offset, upload URL, attempt and error
 * is written here first, so a killed station resumes exactly where HQ is.
 */
export interface JournalRow {
  item: string;
  rendition: Rendition;
  state: UplinkTransfersTable['state'];
  size: number | null;
  sha256: string | null;
  uploadUrl: string | null;
  /** A part-based target's resume state (ChunkResult.state), journalled with the URL. */
  uploadState: string | null;
  offset: number;
  attempts: number;
  lastError: string | null;
  /** From the item: what the scheduler needs to class it. */
  type: 'photo' | 'video' | 'audio';
  rating: number | null;
  priority: boolean;
  /** The item's card id (IP cameras' snapshots and timelapses have classes of their own). */
  card: string | null;
  itemSize: number;
  path: string;
  originalName: string;
  hasPreview: boolean;
  hasPoster: boolean;
}

export type UplinkCursor = 'ops-pushed' | 'ops-pulled';

/**
 * timelapse: an IP camera's daily timelapses go, its JPEGs stay; all: the JPEGs follow, each day's
 * once HQ confirmed that day's timelapse; none: neither goes.
 */
export type SnapshotUploadPolicy = 'timelapse' | 'all' | 'none';

/** The SQL condition on item `i` of what `policy` lets go (target bound as `@target`). */
function snapshotCondition(policy: SnapshotUploadPolicy): string {
  const notSnap = "coalesce(i.card_id, '') not like 'snap:%'";
  if (policy === 'none') return `${notSnap} and coalesce(i.card_id, '') not like 'timelapse:%'`;
  if (policy === 'timelapse') return notSnap;
  return `(${notSnap} or exists (
    select 1 from snapshot_items s
      join snapshot_days d on d.camera = s.camera and d.day = s.day
      join uplink_transfers lt on lt.item = d.timelapse_id and lt.rendition = 'original'
                              and lt.state = 'done' and lt.target = @target
     where s.item_id = i.id))`;
}

const selectOpen = (where: string): string =>
  `select t.item, t.rendition, t.state, t.size, t.sha256, t.upload_url as uploadUrl, t.upload_state as uploadState, t.offset,
          t.attempts, t.last_error as lastError, i.type, i.rating, i.priority, i.card_id as card, i.size as itemSize,
          i.path, i.original_name as originalName, i.has_preview as hasPreview, i.has_poster as hasPoster
   from uplink_transfers t join items i on i.id = t.item
   where t.target = ? and t.state in ('pending', 'uploading') ${where}`;

/**
 * The journal of one target. Station-only and synchronous (SQLite): the runner reads and writes
 * it between chunks and on every catalogue poll. Statements are prepared once per journal.
 */
export class UplinkJournal {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly cat: Catalog,
    readonly target: string,
    /** What of IP cameras' snapshots goes (config `snapshots.upload`, docs/snapshots.md). */
    private readonly snapshots: SnapshotUploadPolicy = 'timelapse',
  ) {}

  private st(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = sqliteOf(this.cat).prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  /**
   * Queue every stored item's renditions not queued yet (original always; thumbnail and
   * preview or video poster when they exist). Cheap when nothing is new: an anti-join.
   */
  enqueueNew(nowIso: string): number {
    return this.st(
      `insert or ignore into uplink_transfers (target, item, rendition, state, created_at, updated_at)
       select @target, i.id, r.rendition, 'pending', @now, @now
       from items i
       join (select 'original' as rendition union all select 'thumb' union all select 'preview') r
       where i.state = 'stored' and i.deleted = 0
         and (r.rendition = 'original'
              or (r.rendition = 'thumb' and i.has_thumb = 1)
              or (r.rendition = 'preview' and (i.has_preview = 1 or i.has_poster = 1)))
         and ${snapshotCondition(this.snapshots)}
         and not exists (select 1 from uplink_transfers t
                         where t.target = @target and t.item = i.id and t.rendition = r.rendition)`,
    ).run({ target: this.target, now: nowIso }).changes;
  }

  /** Tombstoned items are not sent (what already arrived stays: deletion travels as an op). */
  cancelDeleted(nowIso: string): number {
    return this.st(
      `update uplink_transfers set state = 'cancelled', updated_at = ?
       where target = ? and state in ('pending', 'uploading')
         and item in (select id from items where deleted = 1)`,
    ).run(nowIso, this.target).changes;
  }

  /** Everything still to send. */
  open(): JournalRow[] {
    return (this.st(selectOpen('')).all(this.target) as Record<string, unknown>[]).map(toRow);
  }

  /** Open transfers of some items (after their rating or priority changed). */
  openOf(items: string[]): JournalRow[] {
    if (items.length === 0) return [];
    const out: JournalRow[] = [];
    for (let i = 0; i < items.length; i += 500) {
      const part = items.slice(i, i + 500);
      // Not cached: the statement's shape depends on the number of items.
      const rows = sqliteOf(this.cat)
        .prepare(selectOpen(`and t.item in (${part.map(() => '?').join(',')})`))
        .all(this.target, ...part) as Record<string, unknown>[];
      out.push(...rows.map(toRow));
    }
    return out;
  }

  /** Size and hash of the bytes to send, known once the file was read. */
  describe(item: string, rendition: Rendition, size: number, sha256: string, nowIso: string): void {
    this.st(
      'update uplink_transfers set size = ?, sha256 = ?, updated_at = ? where target = ? and item = ? and rendition = ?',
    ).run(size, sha256, nowIso, this.target, item, rendition);
  }

  /** The target confirmed `offset` (and the upload lives at `url`, with its resume `state`). */
  progress(
    item: string,
    rendition: Rendition,
    url: string,
    offset: number,
    nowIso: string,
    state: string | null = null,
  ): void {
    this.st(
      `update uplink_transfers set state = 'uploading', upload_url = ?, upload_state = ?, offset = ?,
         last_error = null, updated_at = ? where target = ? and item = ? and rendition = ?`,
    ).run(url, state, offset, nowIso, this.target, item, rendition);
  }

  done(item: string, rendition: Rendition, nowIso: string): void {
    this.st(
      `update uplink_transfers set state = 'done', offset = coalesce(size, offset), last_error = null,
         updated_at = ?, done_at = ? where target = ? and item = ? and rendition = ?`,
    ).run(nowIso, nowIso, this.target, item, rendition);
  }

  /** Forget the upload (gone at the target, or bytes rejected): it starts again from byte 0. */
  restart(item: string, rendition: Rendition, why: string, nowIso: string): void {
    this.st(
      `update uplink_transfers set state = 'pending', upload_url = null, upload_state = null, offset = 0, sha256 = null,
         attempts = attempts + 1, last_error = ?, updated_at = ? where target = ? and item = ? and rendition = ?`,
    ).run(why, nowIso, this.target, item, rendition);
  }

  failed(item: string, rendition: Rendition, why: string, nowIso: string): void {
    this.st(
      `update uplink_transfers set attempts = attempts + 1, last_error = ?, updated_at = ?
       where target = ? and item = ? and rendition = ?`,
    ).run(why, nowIso, this.target, item, rendition);
  }

  /** Items with queued bytes whose facts the target has not been sent yet. */
  itemsNeedingFacts(limit: number): string[] {
    return (
      this.st(
        `select distinct t.item from uplink_transfers t
         where t.target = ? and t.state in ('pending', 'uploading')
           and not exists (select 1 from uplink_facts f where f.target = t.target and f.item = t.item)
         limit ?`,
      ).all(this.target, limit) as { item: string }[]
    ).map((r) => r.item);
  }

  factsSent(items: string[]): void {
    const ins = this.st('insert or ignore into uplink_facts (target, item) values (?, ?)');
    sqliteOf(this.cat).transaction(() => items.forEach((i) => ins.run(this.target, i)))();
  }

  factsKnown(item: string): boolean {
    return !!this.st('select 1 from uplink_facts where target = ? and item = ?').get(this.target, item);
  }

  /** Seqs of this station's ops HQ refused as stamped ahead of its clock: sent again later. */
  deferredOps(): number[] {
    const v = stationMetaValue(this.cat, `uplink:${this.target}:ops-deferred`);
    if (v === undefined) return [];
    const seqs = JSON.parse(v) as unknown;
    return Array.isArray(seqs) ? seqs.filter((n): n is number => Number.isInteger(n)) : [];
  }

  setDeferredOps(seqs: number[]): void {
    const key = `uplink:${this.target}:ops-deferred`;
    if (!seqs.length) deleteStationMetaValue(this.cat, key);
    else setStationMetaValue(this.cat, key, JSON.stringify(seqs));
  }

  cursor(name: UplinkCursor): number {
    const v = stationMetaValue(this.cat, `uplink:${this.target}:${name}`);
    return v === undefined ? 0 : Number(v);
  }

  setCursor(name: UplinkCursor, value: number): void {
    setStationMetaValue(this.cat, `uplink:${this.target}:${name}`, String(value));
  }

  /** Per-state counts and bytes, for status and `outpost uplink --json`. */
  totals(): { state: string; transfers: number; bytes: number }[] {
    return this.st(
      `select t.state, count(*) as transfers,
              sum(coalesce(t.size, case when t.rendition = 'original' then i.size else 0 end) - t.offset) as bytes
       from uplink_transfers t join items i on i.id = t.item where t.target = ? group by t.state`,
    ).all(this.target) as { state: string; transfers: number; bytes: number }[];
  }

  /** An item's transfers to this target, for its page in the web app. */
  ofItem(
    item: string,
  ): Pick<JournalRow, 'rendition' | 'state' | 'offset' | 'size' | 'attempts' | 'lastError'>[] {
    // The uplink journal is a station's; a PostgreSQL catalogue (HQ) sends nothing onwards.
    if (this.cat.engine !== 'sqlite') return [];
    return this.st(
      `select rendition, state, offset, size, attempts, last_error as lastError
       from uplink_transfers where target = ? and item = ? order by rendition`,
    ).all(this.target, item) as JournalRow[];
  }

  /**
   * Where the item's uploads stand at every target the station has sent to (HQ, a bucket: a
   * station that moved from one to the other has rows for both), by target then rendition.
   */
  ofItemEverywhere(item: string): (Pick<
    JournalRow,
    'rendition' | 'state' | 'offset' | 'size' | 'attempts' | 'lastError'
  > & {
    target: string;
  })[] {
    if (this.cat.engine !== 'sqlite') return [];
    return this.st(
      `select target, rendition, state, offset, size, attempts, last_error as lastError
       from uplink_transfers where item = ? order by target, rendition`,
    ).all(item) as (JournalRow & { target: string })[];
  }

  /** Whether any target (HQ, a bucket) confirmed the item's original: a copy exists off-site. */
  originalOffsite(item: string): boolean {
    if (this.cat.engine !== 'sqlite') return false;
    return !!this.st(
      `select 1 from uplink_transfers where item = ? and rendition = 'original' and state = 'done' limit 1`,
    ).get(item);
  }

  /** The runner's last failure, kept for `outpost uplink-status` (null: the last request worked). */
  setLastError(e: { message: string; at: string } | null): void {
    const key = `uplink:${this.target}:last-error`;
    if (!e) deleteStationMetaValue(this.cat, key);
    else setStationMetaValue(this.cat, key, JSON.stringify(e));
  }

  lastError(): { message: string; at: string } | null {
    const v = stationMetaValue(this.cat, `uplink:${this.target}:last-error`);
    if (v === undefined) return null;
    try {
      return JSON.parse(v) as { message: string; at: string };
    } catch {
      return null;
    }
  }
}

function toRow(r: Record<string, unknown>): JournalRow {
  return {
    item: r.item as string,
    rendition: r.rendition as Rendition,
    state: r.state as JournalRow['state'],
    size: (r.size as number | null) ?? null,
    sha256: (r.sha256 as string | null) ?? null,
    uploadUrl: (r.uploadUrl as string | null) ?? null,
    uploadState: (r.uploadState as string | null) ?? null,
    offset: r.offset as number,
    attempts: r.attempts as number,
    lastError: (r.lastError as string | null) ?? null,
    type: r.type as JournalRow['type'],
    rating: (r.rating as number | null) ?? null,
    priority: r.priority === 1,
    card: (r.card as string | null) ?? null,
    itemSize: r.itemSize as number,
    path: r.path as string,
    originalName: r.originalName as string,
    hasPreview: r.hasPreview === 1,
    hasPoster: r.hasPoster === 1,
  };
}
