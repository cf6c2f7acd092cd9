import { join } from 'node:path';
import {
  attributePatchSchema,
  patchToChanges,
  uniqueTags,
  type AttributePatch,
  type Attributes,
} from '../core/attributes.js';
import { OutpostError, driveError } from '../core/errors.js';
import { storedItemsById } from './catalog/item-edits.js';
import { recordLocalOps, type OpChange } from './catalog/ops.js';
import type { Catalog } from './catalog/open.js';
import type { ItemRow } from './catalog/schema.js';
import { readCardSidecars, recordCardSidecars } from './sidecar/card-import.js';
import { withSidecarLock, writeSidecar } from './sidecar/write.js';

/** An item's current attribute values, from its catalogue columns. Pure. */
export function attributesOf(row: Omit<ItemRow, 'facts'>): Attributes {
  let tags: unknown;
  try {
    tags = JSON.parse(row.tags);
  } catch {
    tags = [];
  }
  return {
    event: row.event,
    location:
      row.location_lat !== null && row.location_lon !== null
        ? {
            lat: row.location_lat,
            lon: row.location_lon,
            ...(row.location_source === 'gpx' || row.location_source === 'hand'
              ? { source: row.location_source }
              : {}),
          }
        : null,
    rating: row.rating,
    priority: row.priority !== 0,
    tags: Array.isArray(tags) ? tags.map(String) : [],
    notes: row.notes,
    ...(row.rejected ? { rejected: true as const } : {}),
  };
}

export interface AttributeContext {
  /** This station's node name: the origin of the ops. */
  node: string;
  nowMs: number;
}

/** Sidecar writes in flight at once (each is two fsyncs). */
const SIDECAR_CONCURRENCY = 4;

/**
 * Set attributes on items: one op per (item, field) in one transaction (the catalogue columns
 * follow, last writer wins), then each item's XMP sidecar is rewritten. An item whose card
 * sidecar was never imported takes its values in the same transaction, before the patch.
 * Unknown, deleted or not yet stored ids fail the whole call (ITEM_NOT_FOUND) before anything
 * changes; so does an invalid patch (INVALID_INPUT). Returns the updated rows in the order of `ids`
 * (duplicates removed).
 *
 * When a sidecar cannot be written the attributes are already saved (catalogue and op log are
 * the truth; the sidecar is rewritten at the item's next change) and the call rejects with
 * DRIVE_FULL / DRIVE_WRITE_ERROR naming the items.
 *
 * `driveRoot` null: no library files here (HQ): the ops are recorded and no file is read or written.
 */
export async function applyAttributes(
  cat: Catalog,
  driveRoot: string | null,
  ids: string[],
  patch: AttributePatch,
  ctx: AttributeContext,
): Promise<ItemRow[]> {
  return applyPatches(
    cat,
    driveRoot,
    [...new Set(ids)].map((id) => ({ id, patch })),
    ctx,
  );
}

/**
 * Like {@link applyAttributes}, with a patch of its own for each item (e.g. a geotag: every
 * item gets its own position). All or nothing: every id must exist and every patch be valid
 * before anything is recorded. Returns the updated rows in the order given.
 */
export async function applyPatches(
  cat: Catalog,
  driveRoot: string | null,
  patches: { id: string; patch: AttributePatch }[],
  ctx: AttributeContext,
): Promise<ItemRow[]> {
  const changes: OpChange[] = [];
  for (const { id, patch } of patches) {
    const parsed = attributePatchSchema.safeParse(patch);
    if (!parsed.success)
      throw new OutpostError(
        'INVALID_INPUT',
        `invalid attributes: ${parsed.error.issues.map(describeIssue).join('; ')}`,
        { details: { issues: parsed.error.issues.map(describeIssue) } },
      );
    // Tags are kept once each, compared case-insensitively (NFC), the first spelling kept.
    if (parsed.data.tags) parsed.data.tags = uniqueTags(parsed.data.tags);
    for (const f of patchToChanges(parsed.data))
      changes.push({ entity: 'item' as const, id, field: f.field, value: f.value });
  }
  const unique = [...new Set(patches.map((p) => p.id))];
  const rows = await storedItemsById(cat, unique);
  const unknown = unique.filter((id) => !rows.has(id));
  if (unknown.length)
    throw new OutpostError(
      'ITEM_NOT_FOUND',
      `no item ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`,
      { details: { ids: unknown } },
    );
  if (changes.length === 0) return unique.map((id) => rows.get(id)!);
  // A card sidecar not imported yet would lose its keywords, rating… when the sidecar is
  // rewritten: take them in first (earlier stamps, so this patch wins where both set a field).
  const card = await readCardSidecars(cat, driveRoot, unique);
  await cat.transaction(async (tx) => {
    await recordCardSidecars(tx, card.changes, ctx.node, ctx.nowMs);
    await recordLocalOps(tx, changes, ctx.node, ctx.nowMs);
  });
  await rewriteSidecars(cat, driveRoot, unique);
  const updated = await storedItemsById(cat, unique);
  return unique.map((id) => updated.get(id)!);
}

function describeIssue(i: { path: PropertyKey[]; message: string }): string {
  return `${i.path.map(String).join('.') || '(patch)'}: ${i.message}`;
}

/**
 * Rewrite the sidecars of `ids` from the catalogue. Each item's row is read inside its lock, so
 * when edits of one item race, the last sidecar written carries the latest values.
 * `driveRoot` null (no library files here): nothing to write.
 */
export async function rewriteSidecars(cat: Catalog, driveRoot: string | null, ids: string[]): Promise<void> {
  if (driveRoot === null) return;
  const failed: { id: string; error: unknown }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        await withSidecarLock(join(driveRoot, id), async () => {
          const row = (await storedItemsById(cat, [id])).get(id);
          if (row) await writeSidecar(cat, driveRoot, row, attributesOf(row));
        });
      } catch (error) {
        failed.push({ id, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SIDECAR_CONCURRENCY, ids.length) }, worker));
  if (!failed.length) return;
  const first = driveError(failed[0]!.error, `the sidecar of ${failed[0]!.id.slice(0, 12)}`);
  throw new OutpostError(
    first.code,
    `attributes saved, but ${failed.length} sidecar(s) could not be written (${first.message})`,
    { cause: first, details: { ids: failed.map((f) => f.id) } },
  );
}

export interface CardSidecarImport {
  /** Items whose card sidecar gave them attributes. */
  items: number;
  ops: number;
  /** Sidecars that could not be read or made no sense (left alone). */
  failed: { id: string; path: string; message: string }[];
}

/**
 * Take in the attributes of sidecars that came off a card (rating, event, GPS, keywords,
 * description, priority), as ops from `node`, for items that have a card, an `xmp` companion
 * and no attribute ever set. For ingest to call once the items are stored (`ids`: the items
 * it just copied; default all). Idempotent; the sidecar files are not touched.
 */
export async function importCardSidecars(
  cat: Catalog,
  driveRoot: string,
  node: string,
  nowMs: number,
  opts: { ids?: string[] } = {},
): Promise<CardSidecarImport> {
  const read = await readCardSidecars(cat, driveRoot, opts.ids);
  return { ...(await recordCardSidecars(cat, read.changes, node, nowMs)), failed: read.failed };
}
