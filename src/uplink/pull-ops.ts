import { originBelongsTo, type Op } from '../core/ops.js';
import type { Catalog } from '../library/catalog/open.js';
import { mergeOps, type MergeResult } from '../library/catalog/ops.js';

export interface PullContext {
  /** This station's node name. */
  node: string;
  nowMs: number;
  /** HQ's node name (the origin of its editors' ops), as HQ's /ops answer says. */
  hqNode?: string;
}

/**
 * Merge ops pulled from HQ. HQ has checked them, but a station trusts no one with its files:
 * every op passes the op check again (op-check.ts), and only this station (and its devices) or
 * HQ's editors may move or delete its items or re-assign its cards. Another station's ops may
 * change attributes only (HQ lets a station write about the items it holds).
 */
export async function mergePulledOps(cat: Catalog, ops: Op[], ctx: PullContext): Promise<MergeResult> {
  const mayMove = (op: Op): boolean | string =>
    originBelongsTo(op.origin, ctx.node) ||
    (ctx.hqNode !== undefined && originBelongsTo(op.origin, ctx.hqNode)) ||
    `${op.origin} is another station: only this station or HQ's editors may set ${op.entity} ${op.field}`;
  return mergeOps(cat, ops, { node: ctx.node, nowMs: ctx.nowMs, mayMove });
}
