import type { ItemRow } from '../library/catalog/schema.js';
import type { ItemFacts } from './targets/target.js';

/** Columns that are facts of the file (read from it at ingest), never attributes people set. */
const FACT_COLUMNS = [
  'id',
  'type',
  'monitor',
  'path',
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

/** What HQ is told about an item before its bytes (docs/uplink-protocol.md, ItemFacts). */
export function itemFacts(row: ItemRow): ItemFacts {
  const out: Record<string, unknown> = {};
  for (const c of FACT_COLUMNS) out[c] = row[c];
  return out as ItemFacts;
}
