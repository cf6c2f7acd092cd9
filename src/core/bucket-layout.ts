/**
 * How a library lies in an object-store bucket (S3 or Azure), so the bucket alone is an archive
 * any S3 or Azure tool can read and `outpost pull` can rebuild a library from (docs/cloud-stores.md):
 *
 * - `<prefix>objects/<ab>/<sha256>`: originals, content-addressed (the same address HQ uses);
 * - `<prefix>derived/<ab>/<item>-thumb.webp`, `-preview.jpg`: an item's thumbnail and preview;
 * - `<prefix>items/<ab>/<item>.json`: the item's facts and its attributes (ItemDoc);
 * - `<prefix>recordings/<camera>/<YYYY-MM-DD>/<start>_<item>.json`: camera segments, listed in
 *   time order by any tool, so a later download can join them.
 *
 * Pure.
 */
import { opWins, type Op } from './ops.js';

export type BucketRendition = 'original' | 'thumb' | 'preview';

/** A prefix as given (`outpost`, `outpost/`, empty) as it is put before keys: empty or ending in `/`. */
export function normalPrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

const shard = (id: string): string => id.slice(0, 2);

export function originalKey(prefix: string, sha256: string): string {
  return `${prefix}objects/${shard(sha256)}/${sha256}`;
}

export function derivedKey(prefix: string, item: string, rendition: 'thumb' | 'preview'): string {
  return `${prefix}derived/${shard(item)}/${item}-${rendition === 'thumb' ? 'thumb.webp' : 'preview.jpg'}`;
}

export function renditionKey(
  prefix: string,
  item: string,
  rendition: BucketRendition,
  sha256: string,
): string {
  return rendition === 'original' ? originalKey(prefix, sha256) : derivedKey(prefix, item, rendition);
}

export function itemDocKey(prefix: string, item: string): string {
  return `${prefix}items/${shard(item)}/${item}.json`;
}

/** A camera name as one key segment: letters, digits, `.`, `_`, `-`; anything else becomes `_`. */
const segment = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';

/**
 * The timeline entry of a camera segment (card id `cam:<camera>`), or undefined for other items.
 * The start time (UTC, compact, fixed width) leads the name, so a listing is in time order.
 */
export function recordingKey(prefix: string, facts: Record<string, unknown>): string | undefined {
  const card = facts.card_id;
  const start = facts.captured_at;
  const id = facts.id;
  if (
    typeof card !== 'string' ||
    !card.startsWith('cam:') ||
    typeof start !== 'string' ||
    typeof id !== 'string'
  )
    return undefined;
  const t = new Date(start);
  if (Number.isNaN(t.getTime())) return undefined;
  const iso = t.toISOString(); // 2026-12-05T10:00:00.000Z
  const compact = iso.replace(/[-:]/g, '').replace('.', ''); // 20261205T100000000Z
  return `${prefix}recordings/${segment(card.slice(4))}/${iso.slice(0, 10)}/${compact}_${id}.json`;
}

/** Where a camera's timeline entries of one UTC day (`YYYY-MM-DD`) are listed. */
export function recordingDayPrefix(prefix: string, camera: string, dayUtc: string): string {
  return `${prefix}recordings/${segment(camera)}/${dayUtc}/`;
}

/** A timeline entry's start (ms, UTC) and item, read from its key; undefined for other keys. */
export function parseRecordingKey(key: string): { startMs: number; item: string } | undefined {
  const m = /\/(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z_([0-9a-f]{64})\.json$/.exec(key);
  if (!m) return undefined;
  const startMs = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return Number.isFinite(startMs) ? { startMs, item: m[8]! } : undefined;
}

/** The timeline entry's body: where the segment's bytes are, and when it starts. */
export function recordingEntry(prefix: string, facts: Record<string, unknown>): Record<string, unknown> {
  const id = String(facts.id);
  return {
    item: id,
    camera: String(facts.card_id).slice(4),
    start: facts.captured_at,
    durationS: facts.duration_s ?? null,
    ext: facts.ext ?? null,
    object: originalKey(prefix, id),
  };
}

/** One attribute as the bucket keeps it: the winning op's value, stamp and origin. */
export interface AttributeEntry {
  value: unknown;
  hlc: string;
  origin: string;
}

/** `items/<ab>/<id>.json`: an item's facts (as the station told them) and its attributes. */
export interface ItemDoc {
  outpost: 'item';
  v: 1;
  id: string;
  facts: Record<string, unknown> | null;
  attributes: Record<string, AttributeEntry>;
}

/** Parse a stored item document; undefined when it is not one (never trust a bucket's bytes). */
export function parseItemDoc(text: string, id: string): ItemDoc | undefined {
  try {
    const d = JSON.parse(text) as Partial<ItemDoc>;
    if (d.outpost !== 'item' || d.id !== id || typeof d.attributes !== 'object' || d.attributes === null)
      return undefined;
    return { outpost: 'item', v: 1, id, facts: d.facts ?? null, attributes: d.attributes };
  } catch {
    return undefined;
  }
}

/**
 * Merge facts and item ops into a document: facts replace facts (they never change for an id);
 * each attribute keeps the op with the greatest stamp (last writer wins, as in the catalogue), so
 * merging is idempotent and order-independent. Returns whether anything changed.
 */
export function mergeItemDoc(
  doc: ItemDoc | undefined,
  id: string,
  facts: Record<string, unknown> | undefined,
  ops: readonly Op[],
): { doc: ItemDoc; changed: boolean } {
  const out: ItemDoc = doc
    ? { ...doc, attributes: { ...doc.attributes } }
    : { outpost: 'item', v: 1, id, facts: null, attributes: {} };
  let changed = !doc;
  if (facts && JSON.stringify(facts) !== JSON.stringify(out.facts)) {
    out.facts = facts;
    changed = true;
  }
  for (const op of ops) {
    if (op.entity !== 'item' || op.id !== id) continue;
    if (!opWins(op, out.attributes[op.field])) continue;
    out.attributes[op.field] = { value: op.value, hlc: op.hlc, origin: op.origin };
    changed = true;
  }
  return { doc: out, changed };
}
