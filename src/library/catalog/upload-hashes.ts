import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * HQ's running SHA-256 of tus uploads kept in the object store (hq/s3-upload-staging.ts): the
 * hash state after `offset` bytes, written after each request that stored them, so the node that
 * finishes an upload knows its hash without reading the object back. One row per upload.
 */
export async function uploadHashAt(
  cat: Catalog,
  uploadId: string,
  offset: number,
): Promise<string | undefined> {
  const r = await dbOf(cat)
    .selectFrom('upload_hashes')
    .select(['offset', 'state'])
    .where('upload_id', '=', uploadId)
    .executeTakeFirst();
  return r && Number(r.offset) === offset ? r.state : undefined;
}

export async function saveUploadHash(
  cat: Catalog,
  uploadId: string,
  offset: number,
  state: string,
): Promise<void> {
  await dbOf(cat)
    .insertInto('upload_hashes')
    .values({ upload_id: uploadId, offset, state })
    .onConflict((oc) => oc.column('upload_id').doUpdateSet({ offset, state }))
    .execute();
}

export async function dropUploadHash(cat: Catalog, uploadId: string): Promise<void> {
  await dbOf(cat).deleteFrom('upload_hashes').where('upload_id', '=', uploadId).execute();
}
