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
    .strictObject({
      lat: z.number().min(-90).max(90),
      lon: z.number().min(-180).max(180),
      /** Where it came from: a GPX track or a person (the item view says which). */
      source: z.enum(['gpx', 'hand']).optional(),
    })
    .nullable()
    .optional(),
  /** 0..5 stars; null clears it. */
  rating: z.number().int().min(0).max(5).nullable().optional(),
  priority: z.boolean().optional(),
  /**
   * An empty or useless frame (a camera trap's wind and grass): hidden from the gallery by default,
   * and the only items that may be deleted (docs/reject-delete.md). The stars stay.
   */
  rejected: z.boolean().optional(),
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
  location: { lat: number; lon: number; source?: 'gpx' | 'hand' } | null;
  rating: number | null;
  priority: boolean;
  tags: string[];
  notes: string | null;
  /** Present (true) only for a rejected item. */
  rejected?: true;
}

/** The op changes a patch makes: one per field present. Pure. */
export function patchToChanges(patch: AttributePatch): { field: keyof AttributePatch; value: unknown }[] {
  const out: { field: keyof AttributePatch; value: unknown }[] = [];
  for (const field of ['event', 'location', 'rating', 'priority', 'rejected', 'tags', 'notes'] as const) {
    if (patch[field] === undefined) continue;
    const value = field === 'tags' ? [...new Set(patch.tags)] : patch[field];
    out.push({ field, value });
  }
  return out;
}

/**
 * The key tags compare by: Unicode NFC, case folded ("Ñandú" = "ñandú" = "N\u0303andu\u0301"). Pure.
 */
export function tagKey(tag: string): string {
  return tag.normalize('NFC').toLowerCase();
}

/**
 * Tags each once by {@link tagKey} (case and Unicode normalisation ignored), the first spelling
 * kept exactly as given (trimmed), in order. Pure.
 */
export function uniqueTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tags) {
    const t = raw.trim();
    const k = tagKey(t);
    if (!t || seen.has(k)) continue;
    seen.add(k);
    out.push(t);
  }
  return out;
}

/**
 * An item's tags with `add` added (unless one of the same key is there: its spelling stays) and
 * `remove` taken away (by key). Pure.
 */
export function editTags(
  current: readonly string[],
  add: readonly string[],
  remove: readonly string[],
): string[] {
  const gone = new Set(remove.map(tagKey));
  // A tag added in bulk is new text: stored composed (NFC), as a keyboard types it; the item's own
  // tags stay exactly as they are.
  const added = add.map((t) => t.normalize('NFC'));
  return uniqueTags([...current, ...added]).filter((t) => !gone.has(tagKey(t)));
}
