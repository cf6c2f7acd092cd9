import { sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import type { ScrubFindingsTable } from './schema.js';
import { setStationMetaValue, stationMetaValue } from './station-meta.js';

/**
 * What the scrub (src/drives/scrub*.ts) keeps in a library drive's catalogue: the cycle cursor
 * (`meta` key `scrub:state`) and the findings (`scrub_findings`, migration 0008_scrub). Damaged
 * rows stay until a later check finds the file right (repaired, or restored by hand).
 * Station-only, synchronous (SQLite) like their callers: the scrub and the station's /api/status
 * (a PostgreSQL catalogue has none of this and says so: CATALOG_ENGINE).
 */

const STATE_KEY = 'scrub:state';

/** The scrub's cycle bookkeeping; see ScrubCycleState in src/drives/scrub-plan.ts. */
export interface ScrubCycleRecord {
  cursor?: string | undefined;
  cycleStartedAt?: string | undefined;
  lastCompletedAt?: string | undefined;
  lastRunAt?: string | undefined;
}

/** An unreadable record counts as none: the next scrub starts a fresh cycle. */
export function readScrubState(cat: Catalog): ScrubCycleRecord {
  // A PostgreSQL catalogue (HQ) has no drive to scrub: nothing recorded, nothing damaged.
  if (cat.engine !== 'sqlite') return {};
  const v = stationMetaValue(cat, STATE_KEY);
  if (v === undefined) return {};
  try {
    return JSON.parse(v) as ScrubCycleRecord;
  } catch {
    return {};
  }
}

export function writeScrubState(cat: Catalog, s: ScrubCycleRecord): void {
  setStationMetaValue(cat, STATE_KEY, JSON.stringify(s));
}

/** One damaged file, as a finding row holds it (the codes are the scrub's, src/drives/scrub-types.ts). */
export interface DamageRecord {
  item: string;
  kind: 'original' | 'companion';
  path: string;
  code: string;
  expected: string;
  actual?: string | undefined;
  detail: string;
}

/** Record (or refresh) a damaged file. A repair attempt's reason is kept until a new one comes. */
export function recordDamage(cat: Catalog, f: DamageRecord, nowIso: string): void {
  sqliteOf(cat)
    .prepare(
      `insert into scrub_findings (path, item, kind, code, expected, actual, detail, state, reason,
         quarantine, found_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, 'damaged', null, null, ?, ?)
       on conflict(path) do update set item = excluded.item, kind = excluded.kind, code = excluded.code,
         expected = excluded.expected, actual = excluded.actual, detail = excluded.detail,
         state = 'damaged', quarantine = null, updated_at = excluded.updated_at,
         found_at = case when scrub_findings.state = 'damaged' then scrub_findings.found_at
                         else excluded.found_at end,
         reason = case when scrub_findings.state = 'damaged' then scrub_findings.reason else null end`,
    )
    .run(f.path, f.item, f.kind, f.code, f.expected, f.actual ?? null, f.detail, nowIso, nowIso);
}

/** Why a still damaged file was not repaired (an UnrepairedReason of src/drives/scrub-types.ts). */
export function markUnrepaired(cat: Catalog, path: string, reason: string, nowIso: string): void {
  sqliteOf(cat)
    .prepare(`update scrub_findings set reason = ?, updated_at = ? where path = ? and state = 'damaged'`)
    .run(reason, nowIso, path);
}

export function markRepaired(
  cat: Catalog,
  path: string,
  quarantine: string | undefined,
  nowIso: string,
): void {
  sqliteOf(cat)
    .prepare(
      `update scrub_findings set state = 'repaired', reason = null, quarantine = ?, updated_at = ?
       where path = ?`,
    )
    .run(quarantine ?? null, nowIso, path);
}

export function markResolved(cat: Catalog, path: string, nowIso: string): void {
  sqliteOf(cat)
    .prepare(
      `update scrub_findings set state = 'resolved', updated_at = ? where path = ? and state = 'damaged'`,
    )
    .run(nowIso, path);
}

type FindingRow = Pick<
  ScrubFindingsTable,
  'path' | 'item' | 'kind' | 'code' | 'expected' | 'actual' | 'detail' | 'reason'
>;

/** Files found damaged and not repaired yet, by path. */
export function openFindings(cat: Catalog): (DamageRecord & { reason: string | null })[] {
  if (cat.engine !== 'sqlite') return [];
  const rows = sqliteOf(cat)
    .prepare(
      `select path, item, kind, code, expected, actual, detail, reason from scrub_findings
       where state = 'damaged' order by path`,
    )
    .all() as FindingRow[];
  return rows.map((r) => ({
    item: r.item,
    kind: r.kind,
    path: r.path,
    code: r.code,
    expected: r.expected,
    actual: r.actual ?? undefined,
    detail: r.detail,
    reason: r.reason,
  }));
}

/** Damaged files, and how many of them wait for the partner drive (no repair tried, or one can help). */
export function openDamageCount(cat: Catalog): { damaged: number; awaitingPartner: number } {
  if (cat.engine !== 'sqlite') return { damaged: 0, awaitingPartner: 0 };
  return sqliteOf(cat)
    .prepare(
      `select count(*) as damaged,
         coalesce(sum(reason is null or reason in ('PARTNER_ABSENT', 'NOT_ATTEMPTED', 'WRITE_FAILED')), 0)
           as awaitingPartner
       from scrub_findings where state = 'damaged'`,
    )
    .get() as { damaged: number; awaitingPartner: number };
}
