import type { ItemRow } from './catalog/schema.js';

/**
 * The catalogue columns that are facts of a file (read from it at ingest; never change for an
 * id), as opposed to attributes people set (those travel only as ops) and local state. What a
 * station tells HQ about an item, and what HQ stores of it.
 */
export const ITEM_FACT_COLUMNS = [
  'id',
  'type',
  'monitor',
  'size',
  'ext',
  'original_name',
  'original_mtime_ms',
  'captured_at',
  'captured_source',
  'sort_time',
  'imported_at',
  'card_id',
  'width',
  'height',
  'orientation',
  'duration_s',
  'make',
  'model',
  'lat',
  'lon',
  'alt',
  'facts',
  'warnings',
  'phash',
] as const satisfies readonly (keyof ItemRow)[];
