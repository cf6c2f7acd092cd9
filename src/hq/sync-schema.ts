import { z } from 'zod';
import { decodeHlc } from '../core/hlc.js';
import { UPLOAD_RENDITIONS } from './upload-metadata.js';

/**
 * Bodies of /hq/v1/have, /hq/v1/sync and /hq/v1/ops (docs/uplink-protocol.md). Pure schemas:
 * anything a station sends is checked here before it reaches the catalogue.
 */

export const SYNC_MAX = 5000;
export const HAVE_MAX = 5000;
/** Bodies of /sync may be up to 8 MiB (5,000 items' facts). */
export const SYNC_BODY_LIMIT = 8 * 1024 * 1024;

import { hex64, itemFactsSchema, text } from '../library/item-facts-schema.js';

export { itemFactsSchema };
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
