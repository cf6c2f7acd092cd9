/**
 * Upload-Metadata of a tus creation request (docs/uplink-protocol.md "Uploads"). Pure.
 */

export const UPLOAD_RENDITIONS = ['original', 'thumb', 'preview'] as const;
export type UploadRendition = (typeof UPLOAD_RENDITIONS)[number];

export const SHA256_RE = /^[0-9a-f]{64}$/;

/** Metadata key HQ writes itself: the station that created the upload (the owner). */
export const OWNER_KEY = 'station';

export interface UploadMeta {
  item: string;
  rendition: UploadRendition;
  sha256: string;
  name?: string;
}

export type MetaResult = { ok: true; meta: UploadMeta } | { ok: false; problems: string[] };

/** C0 control characters (NUL, newline, ...) have no place in a display name. */
function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

/** Validate the client's metadata; every problem listed. Unknown keys are ignored, except the owner key. */
export function validateUploadMeta(raw: Record<string, string | null> | undefined): MetaResult {
  const m = raw ?? {};
  const problems: string[] = [];
  const item = m.item ?? '';
  const rendition = m.rendition ?? '';
  const sha256 = m.sha256 ?? '';
  if (!SHA256_RE.test(item)) problems.push('item must be 64 lowercase hex (the item id)');
  if (!(UPLOAD_RENDITIONS as readonly string[]).includes(rendition))
    problems.push(`rendition must be one of ${UPLOAD_RENDITIONS.join(', ')}`);
  if (!SHA256_RE.test(sha256)) problems.push('sha256 must be 64 lowercase hex');
  else if (rendition === 'original' && sha256 !== item)
    problems.push('sha256 of an original must equal the item id');
  if (OWNER_KEY in m) problems.push(`"${OWNER_KEY}" is set by HQ, not by the client`);
  const name = m.name ?? undefined;
  if (name !== undefined && (name.length > 255 || hasControlChars(name)))
    problems.push('name must be at most 255 characters without control characters');
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    meta: { item, rendition: rendition as UploadRendition, sha256, ...(name !== undefined ? { name } : {}) },
  };
}

/** The hash the finished bytes must have: the metadata's sha256 (= item for originals). */
export function expectedHash(meta: UploadMeta): string {
  return meta.rendition === 'original' ? meta.item : meta.sha256;
}

/**
 * tus upload ids: `<sha256>-<16 random bytes, hex>`, the hash the bytes must have first, so an
 * upload kept in an object store is written at its content address from its first part (no copy
 * when it is adopted). Ids of older HQs (16 random bytes, hex, alone) are still accepted. Nothing
 * else reaches the store.
 */
export const UPLOAD_ID_RE = /^(?:[0-9a-f]{64}-)?[0-9a-f]{32}$/;

/** A new upload's id: the hash its bytes must have, then `random` (32 hex). */
export function uploadIdFor(sha256: string | undefined, random: string): string {
  return sha256 && SHA256_RE.test(sha256) ? `${sha256}-${random}` : random;
}

/** The hash an upload's bytes must have, read from its id; undefined for an old-style id. */
export function shaOfUploadId(id: string): string | undefined {
  return /^[0-9a-f]{64}-[0-9a-f]{32}$/.test(id) ? id.slice(0, 64) : undefined;
}
