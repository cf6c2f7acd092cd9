/**
 * What the scrub keeps in a drive's catalogue: the cycle cursor (`meta` key `scrub:state`) and
 * the findings (`scrub_findings`, migration 0008_scrub). Damaged rows stay until a later check
 * finds the file right (repaired here, or restored by hand).
 */
import type { Catalog } from '../library/catalog/open.js';
import { openCatalog } from '../library/catalog/open.js';
import type { ScrubFindingsTable } from '../library/catalog/schema.js';
import type { ScrubCycleState } from './scrub-plan.js';
import type { ScrubCode, ScrubFinding, UnrepairedReason } from './scrub-types.js';

const STATE_KEY = 'scrub:state';

export function readScrubState(cat: Catalog): ScrubCycleState {
  const row = cat.sqlite.prepare('select value from meta where key = ?').get(STATE_KEY) as
    { value: string } | undefined;
  if (!row) return {};
  try {
    return JSON.parse(row.value) as ScrubCycleState;
  } catch {
    return {};
  }
}

export function writeScrubState(cat: Catalog, s: ScrubCycleState): void {
  cat.sqlite
    .prepare(
      'insert into meta(key, value) values (?, ?) on conflict(key) do update set value = excluded.value',
    )
    .run(STATE_KEY, JSON.stringify(s));
}

/** Record (or refresh) a damaged file. A repair attempt's reason is kept until a new one comes. */
export function recordDamage(cat: Catalog, f: ScrubFinding, nowIso: string): void {
  cat.sqlite
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

export function markUnrepaired(cat: Catalog, path: string, reason: UnrepairedReason, nowIso: string): void {
  cat.sqlite
    .prepare(`update scrub_findings set reason = ?, updated_at = ? where path = ? and state = 'damaged'`)
    .run(reason, nowIso, path);
}

export function markRepaired(
  cat: Catalog,
  path: string,
  quarantine: string | undefined,
  nowIso: string,
): void {
  cat.sqlite
    .prepare(
      `update scrub_findings set state = 'repaired', reason = null, quarantine = ?, updated_at = ?
       where path = ?`,
    )
    .run(quarantine ?? null, nowIso, path);
}

export function markResolved(cat: Catalog, path: string, nowIso: string): void {
  cat.sqlite
    .prepare(
      `update scrub_findings set state = 'resolved', updated_at = ? where path = ? and state = 'damaged'`,
    )
    .run(nowIso, path);
}

type FindingRow = Pick<
  ScrubFindingsTable,
  'path' | 'item' | 'kind' | 'code' | 'expected' | 'actual' | 'detail' | 'reason'
>;

/** Files found damaged and not repaired yet. */
export function openFindings(cat: Catalog): (ScrubFinding & { reason: string | null })[] {
  const rows = cat.sqlite
    .prepare(
      `select path, item, kind, code, expected, actual, detail, reason from scrub_findings
       where state = 'damaged' order by path`,
    )
    .all() as FindingRow[];
  return rows.map((r) => ({
    item: r.item,
    kind: r.kind,
    path: r.path,
    code: r.code as ScrubCode,
    expected: r.expected,
    actual: r.actual ?? undefined,
    detail: r.detail,
    reason: r.reason,
  }));
}

export function openDamageCount(cat: Catalog): { damaged: number; awaitingPartner: number } {
  const r = cat.sqlite
    .prepare(
      `select count(*) as damaged,
         coalesce(sum(reason is null or reason in ('PARTNER_ABSENT', 'NOT_ATTEMPTED', 'WRITE_FAILED')), 0)
           as awaitingPartner
       from scrub_findings where state = 'damaged'`,
    )
    .get() as { damaged: number; awaitingPartner: number };
  return r;
}

/** A drive's scrub bookkeeping, read in one short catalogue open (the station's due check). */
export async function scrubStatusOf(
  catalogPath: string,
): Promise<ScrubCycleState & { damaged: number; awaitingPartner: number }> {
  const cat = await openCatalog(catalogPath);
  try {
    return { ...readScrubState(cat), ...openDamageCount(cat) };
  } finally {
    await cat.close();
  }
}
