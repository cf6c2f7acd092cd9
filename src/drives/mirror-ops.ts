/** The op-log half of a mirror pass: each drive's new ops to the other, LWW by HLC (ops.ts). */
import { ATTRIBUTE_FIELDS } from '../core/op-check.js';
import type { Op } from '../core/ops.js';
import { mergeOps, opsSince, type RefusedOp } from '../library/catalog/ops.js';
import type { Catalog } from '../library/catalog/open.js';
import { addSidecarsToRewrite } from '../library/catalog/changes.js';
import { attributeSnapshot } from '../library/catalog/mirror.js';
import { lastOpSeq } from '../library/catalog/station-ops.js';

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
  // Nothing to merge: no transaction (no write lock on a pass with nothing new); the partner
  // received everything up to `sentUpTo`.
  if (incoming.length === 0) return { inserted: 0, cursor: sentUpTo, attributesChanged: [], refused: [] };
  const touched = [
    ...new Set(incoming.filter((o) => o.entity === 'item' && ATTRIBUTE_FIELDS.has(o.field)).map((o) => o.id)),
  ];
  return cat.transaction(async (tx): Promise<AppliedOps> => {
    const before = lastOpSeq(tx);
    const snap = attributeSnapshot(tx, touched);
    // Both drives are one library: the partner may move and delete, but every op's field, value
    // and stamp are checked like an edit (a drive can come from anywhere).
    const merged = incoming.length
      ? await mergeOps(tx, incoming, { node, nowMs, mayMove: () => true })
      : { applied: 0, refused: [] };
    const inserted = merged.applied;
    const after = lastOpSeq(tx);
    const now = attributeSnapshot(tx, touched);
    const attributesChanged = touched.filter((id) => now.has(id) && now.get(id) !== snap.get(id));
    // Noted in the same transaction: a pass killed before the sidecars are rewritten must not
    // lose the list (the ops are already merged, so the next pass would see no change).
    if (attributesChanged.length) addSidecarsToRewrite(tx, partnerId, attributesChanged);
    return {
      inserted,
      cursor: before === sentUpTo ? after : sentUpTo,
      attributesChanged,
      refused: merged.refused,
    };
  });
}
