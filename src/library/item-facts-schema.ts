import { z } from 'zod';
import { validateMonitor } from '../core/naming.js';
import { isLibraryRelPath } from './layout.js';

/**
 * The facts of an item as they travel between nodes (a station's sync to HQ, a bucket's
 * items/<id>.json read back by `outpost pull`): checked here before they reach a catalogue.
 * Pure.
 */

export const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex');
export const text = (max: number) => z.string().max(max);
export const num = z.number().finite();
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
export type ItemFactsIn = z.output<typeof itemFactsSchema>;
