import { z } from 'zod';
import { storableText } from './text.js';

/**
 * Attributes people set on items (ARCHITECTURE.md "The catalogue and its op log"). Every change
 * is an op per field; the item's current values are the last-writer-wins result.
 * Field names here are the op `field` names. Text refuses what a sidecar cannot carry back
 * (control characters, lone surrogates, U+FFFE/U+FFFF: src/core/text.ts); notes may hold tab
 * and newline. The same schema checks ops from elsewhere (src/core/op-check.ts).
 */
export const attributePatchSchema = z.strictObject({
  /** Event code, e.g. "2024-05-RIVER-SURVEY"; null clears it. */
  event: z.string().trim().min(1).max(120).superRefine(storableText()).nullable().optional(),
  /** Where the item was taken (set by hand or from a GPX track); null clears it. */
  location: z
    .strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) })
    .nullable()
    .optional(),
  /** 0..5 stars; null clears it. */
  rating: z.number().int().min(0).max(5).nullable().optional(),
  priority: z.boolean().optional(),
  /** Replaces the whole tag list (deduplicated, trimmed). */
  tags: z.array(z.string().trim().min(1).max(64).superRefine(storableText())).max(100).optional(),
  notes: z
    .string()
    .max(10_000)
    .superRefine(storableText({ multiline: true }))
    .nullable()
    .optional(),
});

export type AttributePatch = z.infer<typeof attributePatchSchema>;

/** Current attribute values of an item, as the API and sidecars show them. */
export interface Attributes {
  event: string | null;
  location: { lat: number; lon: number } | null;
  rating: number | null;
  priority: boolean;
  tags: string[];
  notes: string | null;
}

/** The op changes a patch makes: one per field present. Pure. */
export function patchToChanges(patch: AttributePatch): { field: keyof AttributePatch; value: unknown }[] {
  const out: { field: keyof AttributePatch; value: unknown }[] = [];
  for (const field of ['event', 'location', 'rating', 'priority', 'tags', 'notes'] as const) {
    if (patch[field] === undefined) continue;
    const value = field === 'tags' ? [...new Set(patch.tags)] : patch[field];
    out.push({ field, value });
  }
  return out;
}
