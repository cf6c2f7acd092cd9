/**
 * Reject and delete (issue 13 §2): the pure rules. Side effects (ops, files) live in adapters.
 *
 * Design (docs/reject-delete.md): "rejected" is an attribute op like rating; a sidecar carries it as
 * `xmp:Rating` -1 (the Lightroom/darktable convention). Deleting is a tombstone op on the item's
 * content hash: it travels like every op, and ingest refuses a hash that has a tombstone, so the
 * same card re-inserted or the next mirror pass does not bring the item back.
 */

/** Where an item's original exists besides this library drive. */
export interface CopyState {
  id: string;
  /** The mirror has copied the original to the second drive. */
  onMirror: boolean;
  /** The uplink journal records the original as uploaded to HQ. */
  atHq: boolean;
}

/** The sidecar rating for an item: -1 when rejected (the stars are kept in the catalogue). Pure. */
export function sidecarRating(rating: number | null, rejected: boolean): number | null {
  return rejected ? -1 : rating;
}

/** Whether a sidecar's `xmp:Rating` means rejected (Lightroom/darktable write -1). Pure. */
export function isRejectRating(value: number | null | undefined): boolean {
  return value !== null && value !== undefined && value < 0;
}

export interface DeletePlan {
  /** Items whose files may be removed now. */
  remove: string[];
  /** Items whose original exists nowhere else and that are kept (tombstoned only). */
  keepOnlyCopy: string[];
  /** How many of the chosen items have no other copy (what the dialog must say). */
  onlyCopyCount: number;
}

/**
 * Which rejected items' files may be removed. An original that exists nowhere else (not on the
 * mirror drive, not at HQ) is removed only when the user confirmed exactly that risk
 * (`confirmOnlyCopy`); otherwise it is kept. Pure.
 */
export function planDelete(items: readonly CopyState[], confirmOnlyCopy: boolean): DeletePlan {
  const remove: string[] = [];
  const keepOnlyCopy: string[] = [];
  for (const it of items) {
    const elsewhere = it.onMirror || it.atHq;
    if (elsewhere || confirmOnlyCopy) remove.push(it.id);
    else keepOnlyCopy.push(it.id);
  }
  const onlyCopyCount = items.filter((i) => !i.onMirror && !i.atHq).length;
  return { remove, keepOnlyCopy, onlyCopyCount };
}

/** Whether ingest must skip a file: its content hash has a deletion tombstone. Pure. */
export function blockedByTombstone(hash: string, tombstones: ReadonlySet<string>): boolean {
  return tombstones.has(hash);
}
