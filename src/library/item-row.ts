import { captureTimeIso, localFromInstant, type CaptureTime } from '../core/capture-time.js';
import type { MediaType } from '../core/media-types.js';
import type { ProbeResult } from '../media/types.js';
import type { NewItem } from './catalog/schema.js';

export interface ItemRowInput {
  sha256: string;
  type: MediaType;
  ext: string;
  size: number;
  monitor: string;
  /** The readable name (src/core/file-names.ts): the name itself, or escaped when it is not text. */
  originalName: string;
  /** The name's exact bytes, base64, for a name that is not plain text (kept in `facts`). */
  originalNameBase64?: string | undefined;
  mtimeMs: number;
  importedAt: string;
  cardId: string | null;
  probe: ProbeResult;
  timeZone: string;
}

/** Capture time from the file, else the file's mtime in the station's zone. */
export function effectiveCaptureTime(probe: ProbeResult, mtimeMs: number, timeZone: string): CaptureTime {
  return probe.facts.capturedAt ?? { local: localFromInstant(mtimeMs, timeZone), source: 'mtime' };
}

/** The catalogue row of a new item (state pending, path to be filled by the caller). */
export function buildItemRow(i: ItemRowInput, path: string): NewItem {
  const f = i.probe.facts;
  const captured = effectiveCaptureTime(i.probe, i.mtimeMs, i.timeZone);
  return {
    id: i.sha256,
    type: i.type,
    state: 'pending',
    path,
    monitor: i.monitor,
    size: i.size,
    ext: i.ext,
    original_name: i.originalName,
    original_mtime_ms: i.mtimeMs,
    captured_at: f.capturedAt ? captureTimeIso(captured) : null,
    captured_source: captured.source,
    sort_time: captured.local,
    imported_at: i.importedAt,
    card_id: i.cardId,
    width: f.width ?? null,
    height: f.height ?? null,
    orientation: f.orientation ?? null,
    duration_s: f.durationS ?? null,
    make: f.make ?? null,
    model: f.model ?? null,
    lat: f.gps?.lat ?? null,
    lon: f.gps?.lon ?? null,
    alt: f.gps?.alt ?? null,
    facts: JSON.stringify(i.originalNameBase64 ? { ...f, originalNameBase64: i.originalNameBase64 } : f),
    warnings: JSON.stringify(i.probe.warnings),
    phash: null,
    derived_at: null,
    event: null,
    location_lat: null,
    location_lon: null,
    location_source: null,
    rating: null,
    notes: null,
  };
}
