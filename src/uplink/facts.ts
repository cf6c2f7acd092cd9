import { ITEM_FACT_COLUMNS } from '../library/item-facts.js';
import type { ItemRow } from '../library/catalog/schema.js';
import type { ItemFacts } from './targets/target.js';

/** What HQ is told about an item before its bytes (docs/uplink-protocol.md, ItemFacts). */
export function itemFacts(row: ItemRow): ItemFacts {
  const out: Record<string, unknown> = { path: row.path };
  for (const c of ITEM_FACT_COLUMNS) out[c] = row[c];
  return out as ItemFacts;
}
