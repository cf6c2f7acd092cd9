import { z } from 'zod';
import { decodeHlc } from '../core/hlc.js';
import { validateMonitor } from '../core/naming.js';
import { isLibraryRelPath } from '../library/layout.js';
import { SHA256_RE, UPLOAD_RENDITIONS } from './upload-metadata.js';

/**
 * Bodies of /hq/v1/have, /hq/v1/sync and /hq/v1/ops (docs/uplink-protocol.md). Pure schemas:
 * anything a station sends is checked here before it reaches the catalogue.
 */

export const SYNC_MAX = 5000;
export const HAVE_MAX = 5000;
/** Bodies of /sync may be up to 8 MiB (5,000 items' facts). */
export const SYNC_BODY_LIMIT = 8 * 1024 * 1024;

const hex64 = z.string().regex(SHA256_RE, 'must be 64 lowercase hex');
const text = (max: number) => z.string().max(max);
const num = z.number().finite();
const jsonText = (max: number, empty: string) =>
  z
    .unknown()
    .transform((v) => (v === undefined || v === null ? empty : typeof v === 'string' ? v : JSON.stringify(v)))
    .refine((s) => s.length <= max, `must be at most ${max} characters of JSON`);

/** A station's catalogue facts of an item (immutable for an id). Attributes never come this way. */
export const itemFactsSchema = z.object({
  id: hex64,
  type: z.enum(['photo', 'video', 'audio']),
  monitor: text(100)
    .min(1)
    .refine((m) => {
      try {
        return validateMonitor(m) === m;
      } catch {
        return false;
      }
    }, 'is not a valid monitor name'),
  /** Where the station keeps it: `library/<MONITOR>/<DATE>/<name>`, never anything that leaves it. */
  path: text(1024).refine(
    isLibraryRelPath,
    'must be a path inside library/ (no "..", no control characters)',
  ),
  size: z.number().int().nonnegative(),
  ext: text(16),
  original_name: text(1024),
  original_mtime_ms: num,
  captured_at: text(64).nullable(),
  captured_source: text(64).nullable(),
  sort_time: text(64).min(1),
  imported_at: text(64).min(1),
  card_id: text(200).nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  orientation: z.number().int().nullable(),
  duration_s: num.nullable(),
  make: text(200).nullable(),
  model: text(200).nullable(),
  lat: num.nullable(),
  lon: num.nullable(),
  alt: num.nullable(),
  /** JSON text as in the station's catalogue (a JSON value is accepted and stored as text). */
  facts: jsonText(64 * 1024, '{}'),
  warnings: jsonText(64 * 1024, '[]'),
  phash: text(64).nullable(),
});
export type ItemFacts = z.output<typeof itemFactsSchema>;

export const opSchema = z.strictObject({
  entity: z.enum(['item', 'card']),
  id: text(200).min(1),
  field: text(64).min(1),
  value: z.unknown(),
  hlc: text(200).refine((h) => {
    try {
      decodeHlc(h);
      return true;
    } catch {
      return false;
    }
  }, 'is not an HLC stamp'),
  origin: text(200).min(1),
});

export const syncBody = z.strictObject({
  items: z.array(itemFactsSchema).max(SYNC_MAX).default([]),
  ops: z.array(opSchema).max(SYNC_MAX).default([]),
});
export type SyncBody = z.output<typeof syncBody>;

export const haveBody = z.strictObject({
  objects: z
    .array(z.strictObject({ item: hex64, rendition: z.enum(UPLOAD_RENDITIONS), sha256: hex64 }))
    .max(HAVE_MAX),
});
export type HaveBody = z.output<typeof haveBody>;

export const OPS_MAX_LIMIT = 5000;
export const opsQuery = z.strictObject({
  since: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(OPS_MAX_LIMIT).default(1000),
});
