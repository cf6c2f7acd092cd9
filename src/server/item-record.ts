import { localizedHint, type HintLang } from '../core/hints-es.js';
import { hintOfStored } from '../core/warnings.js';
import { attributesOf } from '../library/attributes.js';
import type { CompanionRow, ItemRow } from '../library/catalog/schema.js';
import type { ItemDetail, ItemRecord } from './schemas.js';

/**
 * The public record of an item in the API: the facts `outpost ls --json` shows (same field
 * names, see cli/commands/ls.ts `itemRecord`), plus attributes and links to the renditions.
 */
export function itemRecord(r: Omit<ItemRow, 'facts'>, lang: HintLang = 'en'): ItemRecord {
  const self = `/api/items/${r.id}`;
  return {
    id: r.id,
    type: r.type,
    monitor: r.monitor,
    path: r.path,
    originalName: r.original_name,
    ext: r.ext,
    size: r.size,
    capturedAt: r.captured_at,
    capturedFrom: r.captured_source,
    sortTime: r.sort_time,
    importedAt: r.imported_at,
    cardId: r.card_id,
    camera: [r.make, r.model].filter(Boolean).join(' ') || null,
    width: r.width,
    height: r.height,
    orientation: r.orientation,
    durationS: r.duration_s,
    gps: r.lat !== null && r.lon !== null ? { lat: r.lat, lon: r.lon, alt: r.alt } : null,
    derivatives: {
      thumb: !!r.has_thumb,
      preview: !!r.has_preview,
      poster: !!r.has_poster,
      video: !!r.has_video,
    },
    attributes: attributesOf(r),
    // Each with what to do about it (the hint is the vocabulary's, not stored with the item).
    warnings: parseJson<ItemRecord['warnings']>(r.warnings, []).map((w) => {
      const hint = hintOfStored(w.code);
      return hint ? { ...w, hint: localizedHint(w.code, hint, lang) } : w;
    }),
    links: {
      self,
      original: `${self}/original`,
      thumb: r.has_thumb ? `${self}/thumb` : null,
      preview: r.has_preview ? `${self}/preview` : null,
      poster: r.has_poster ? `${self}/poster` : null,
      video: r.has_video ? `${self}/video` : null,
    },
  };
}

export function itemDetail(
  r: ItemRow,
  companions: CompanionRow[],
  similar: { count: number; maxDistance: number },
  uplink: ItemDetail['uplink'] = [],
  lang: HintLang = 'en',
): ItemDetail {
  const rec = itemRecord(r, lang);
  return {
    ...rec,
    phash: r.phash,
    facts: parseJson<Record<string, unknown>>(r.facts, {}),
    companions: companions.map((c) => ({ ext: c.ext, path: c.path, size: c.size, sha256: c.sha256 })),
    uplink,
    similar: { ...similar, href: `${rec.links.self}/similar?maxDistance=${similar.maxDistance}` },
  };
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
