/** The op-log half of a mirror pass: each drive's new ops to the other, LWW by HLC (ops.ts). */
import { ATTRIBUTE_FIELDS } from '../core/op-check.js';
import type { Op } from '../core/ops.js';
import { mergeOps, opsSince, type RefusedOp } from '../library/catalog/ops.js';
import type { Catalog } from '../library/catalog/open.js';
import { maxOpSeq } from './mirror-journal.js';

/** A drive's ops after `cursor`, and the seq of the last one read. */
export async function opsAfter(cat: Catalog, cursor: number): Promise<{ ops: Op[]; end: number }> {
  const ops: Op[] = [];
  let c = cursor;
  for (;;) {
    const page = await opsSince(cat, c, 5000);
    if (page.ops.length === 0) break;
    ops.push(...page.ops);
    c = page.cursor;
  }
  return { ops, end: c };
}

const ATTR_COLUMNS = 'event, location_lat, location_lon, rating, priority, tags, notes';

function attributeSnapshot(cat: Catalog, ids: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = cat.sqlite
      .prepare(`select id, ${ATTR_COLUMNS} from items where id in (${chunk.map(() => '?').join(',')})`)
      .all(...chunk) as Record<string, unknown>[];
    for (const r of rows) out.set(String(r.id), JSON.stringify(r));
  }
  return out;
}

export interface AppliedOps {
  /** Ops new to this drive. */
  inserted: number;
  /** This drive's op cursor for the partner once the exchange is complete. */
  cursor: number;
  /** Items whose attribute values changed here (their sidecars must be rewritten). */
  attributesChanged: string[];
  /** The partner's ops that failed the op check (op-check.ts) and were not merged. */
  refused: RefusedOp[];
}

/**
 * Merge the partner's ops into `cat`. `sentUpTo` is the last of this drive's own ops that the
 * partner received in this pass. Inside one transaction the ops this merge adds are exactly
 * those after the seq read first, so when nothing else wrote meanwhile, the cursor can skip
 * them (they came from the partner: sending them back would be an echo).
 */
export async function applyIncomingOps(
  cat: Catalog,
  incoming: Op[],
  sentUpTo: number,
  node: string,
  nowMs: number,
  partnerId: string,
): Promise<AppliedOps> {
  const touched = [
    ...new Set(incoming.filter((o) => o.entity === 'item' && ATTRIBUTE_FIELDS.has(o.field)).map((o) => o.id)),
  ];
  return cat.transaction(async (tx): Promise<AppliedOps> => {
    const before = maxOpSeq(cat);
    const snap = attributeSnapshot(cat, touched);
    // Both drives are one library: the partner may move and delete, but every op's field, value
    // and stamp are checked like an edit (a drive can come from anywhere).
    const merged = incoming.length
      ? await mergeOps(tx, incoming, { node, nowMs, mayMove: () => true })
      : { applied: 0, refused: [] };
    const inserted = merged.applied;
    const after = maxOpSeq(cat);
    const now = attributeSnapshot(cat, touched);
    const attributesChanged = touched.filter((id) => now.has(id) && now.get(id) !== snap.get(id));
    // Noted in the same transaction: a pass killed before the sidecars are rewritten must not
    // lose the list (the ops are already merged, so the next pass would see no change).
    if (attributesChanged.length) addPendingSidecars(cat, partnerId, attributesChanged);
    return {
      inserted,
      cursor: before === sentUpTo ? after : sentUpTo,
      attributesChanged,
      refused: merged.refused,
    };
  });
}

function sidecarKey(partnerId: string): string {
  return `mirror:${partnerId}:sidecars`;
}

/** Items whose sidecars a pass with `partnerId` still has to rewrite. */
export function pendingSidecars(cat: Catalog, partnerId: string): string[] {
  const row = cat.sqlite.prepare('select value from meta where key = ?').get(sidecarKey(partnerId)) as
    { value: string } | undefined;
  return row ? (JSON.parse(row.value) as string[]) : [];
}

function addPendingSidecars(cat: Catalog, partnerId: string, ids: string[]): void {
  const all = [...new Set([...pendingSidecars(cat, partnerId), ...ids])];
  cat.sqlite
    .prepare(
      'insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value',
    )
    .run(sidecarKey(partnerId), JSON.stringify(all));
}

export function clearPendingSidecars(cat: Catalog, partnerId: string): void {
  cat.sqlite.prepare('delete from meta where key = ?').run(sidecarKey(partnerId));
}
