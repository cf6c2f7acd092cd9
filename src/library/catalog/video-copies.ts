/** Videos waiting for their small streaming copy (media/video-preview.ts), and the outcome of each. */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { dbOf } from './handle.js';
import { isRecording } from './item-list.js';
import type { Catalog } from './open.js';
import type { DB, ItemRow } from './schema.js';

/** Stored, visible, derived videos not looked at yet, camera recordings left out. */
function awaitingCopy(cat: Catalog, eb: ExpressionBuilder<DB, 'items'>): Expression<SqlBool> {
  return eb.and([
    eb('type', '=', 'video'),
    eb('state', '=', 'stored'),
    eb('deleted', '=', 0),
    eb('video_checked_at', 'is', null),
    eb('has_video', '=', 0),
    eb('derived_at', 'is not', null),
    eb.not(isRecording(cat, eb)),
  ]);
}

/**
 * Stored, visible videos not yet looked at by the background pass, oldest first. Camera
 * recordings are left out: a Pi that records must not also transcode its own segments.
 */
export async function videosAwaitingCopy(cat: Catalog, limit: number): Promise<ItemRow[]> {
  return dbOf(cat)
    .selectFrom('items')
    .selectAll()
    .where((eb) => awaitingCopy(cat, eb))
    .orderBy('imported_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** How many videos the background pass has still to look at (for progress). */
export async function countVideosAwaitingCopy(cat: Catalog): Promise<number> {
  const r = await dbOf(cat)
    .selectFrom('items')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where((eb) => awaitingCopy(cat, eb))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * The pass decided about an item: `made` (the copy is on the drive), or not (not needed, or
 * ffmpeg could not: the warning says so). Either way it is not looked at again.
 */
export async function recordVideoCopy(
  cat: Catalog,
  id: string,
  outcome: { made: boolean; at: string; warnings: unknown[] },
): Promise<void> {
  await cat.transaction(async (tx) => {
    const db = dbOf(tx);
    const row = await db.selectFrom('items').select('warnings').where('id', '=', id).executeTakeFirst();
    if (!row) return;
    const warnings = [...(JSON.parse(row.warnings) as unknown[]), ...outcome.warnings];
    await db
      .updateTable('items')
      .set({
        has_video: outcome.made ? 1 : 0,
        video_checked_at: outcome.at,
        warnings: JSON.stringify(warnings),
      })
      .where('id', '=', id)
      .execute();
  });
}
