/**
 * Operations: every attribute change, tombstone and card→monitor assignment.
 * State of a field = the value of the op with the greatest HLC stamp (last writer wins).
 */
export type OpEntity = 'item' | 'card';

export interface Op {
  entity: OpEntity;
  /** item sha256 or card id */
  id: string;
  field: string;
  /** JSON-serialisable value; `null` clears the field. */
  value: unknown;
  /** encoded HLC (see hlc.ts), includes the origin node */
  hlc: string;
  origin: string;
}

/** Fields that mean "this item is deleted" when set to true. */
export const TOMBSTONE_FIELD = 'deleted';

export function opWins(candidate: Pick<Op, 'hlc'>, current: Pick<Op, 'hlc'> | undefined): boolean {
  return current === undefined || candidate.hlc > current.hlc;
}

/** Fold ops into the winning op per (entity, id, field). Order-independent and idempotent. */
export function foldOps(ops: Iterable<Op>): Map<string, Op> {
  const out = new Map<string, Op>();
  for (const op of ops) {
    const key = `${op.entity}\u0000${op.id}\u0000${op.field}`;
    if (opWins(op, out.get(key))) out.set(key, op);
  }
  return out;
}

/** Whether an op's origin belongs to a node: its name, or `<node>:<sub>` (e.g. a station's tablet). */
export function originBelongsTo(origin: string, node: string): boolean {
  return origin === node || origin.startsWith(`${node}:`);
}
