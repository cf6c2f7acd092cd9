import { sqliteOf } from './handle.js';
import type { Catalog } from './open.js';
import { deleteStationMetaValue, setStationMetaValue, stationMetaValue } from './station-meta.js';

/**
 * The drive mirror's bookkeeping in a library drive's catalogue: the change journal (`changes`,
 * filled by triggers; migration 0007_mirror), one pair of cursors per partner drive and the
 * sidecars a pass still has to rewrite (`meta`). Station-only and synchronous: a mirror pass with
 * nothing new reads only these and stops (bench:mirror, noChangeRatio).
 */
export type MirrorCursorKind = 'changes' | 'ops';

const cursorKey = (partnerId: string, kind: MirrorCursorKind): string => `mirror:${partnerId}:${kind}`;
const sidecarsKey = (partnerId: string): string => `mirror:${partnerId}:sidecars`;

/** How far this drive has sent its changes or ops to `partnerId`; undefined: never paired. */
export function mirrorCursor(cat: Catalog, partnerId: string, kind: MirrorCursorKind): number | undefined {
  const v = stationMetaValue(cat, cursorKey(partnerId, kind));
  return v === undefined ? undefined : Number(v);
}

export function setMirrorCursor(
  cat: Catalog,
  partnerId: string,
  kind: MirrorCursorKind,
  value: number,
): void {
  setStationMetaValue(cat, cursorKey(partnerId, kind), String(value));
}

/** The newest change journal entry (0 when empty). */
export function lastChangeSeq(cat: Catalog): number {
  const r = sqliteOf(cat).prepare('select max(seq) as m from changes').get() as { m: number | null };
  return r.m ?? 0;
}

/** Items with a journal entry after `seq`. */
export function itemsChangedSince(cat: Catalog, seq: number): string[] {
  return (
    sqliteOf(cat).prepare('select distinct item from changes where seq > ?').all(seq) as { item: string }[]
  ).map((r) => r.item);
}

/** Drop the journal entries every known partner has seen: no pass needs them again. */
export function pruneSeenChanges(cat: Catalog): void {
  const db = sqliteOf(cat);
  const rows = db.prepare("select value from meta where key like 'mirror:%:changes'").all() as {
    value: string;
  }[];
  if (rows.length === 0) return;
  const min = Math.min(...rows.map((r) => Number(r.value)));
  db.prepare('delete from changes where seq <= ?').run(min);
}

/** Items whose sidecars a pass with `partnerId` still has to rewrite (a killed pass's too). */
export function sidecarsToRewrite(cat: Catalog, partnerId: string): string[] {
  const v = stationMetaValue(cat, sidecarsKey(partnerId));
  return v === undefined ? [] : (JSON.parse(v) as string[]);
}

export function addSidecarsToRewrite(cat: Catalog, partnerId: string, ids: string[]): void {
  const all = [...new Set([...sidecarsToRewrite(cat, partnerId), ...ids])];
  setStationMetaValue(cat, sidecarsKey(partnerId), JSON.stringify(all));
}

export function clearSidecarsToRewrite(cat: Catalog, partnerId: string): void {
  deleteStationMetaValue(cat, sidecarsKey(partnerId));
}
