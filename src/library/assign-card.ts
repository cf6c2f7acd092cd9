import { cardItemsNotOf } from './catalog/item-edits.js';
import type { Catalog } from './catalog/open.js';
import { recordLocalOps, type OpChange } from './catalog/ops.js';
import { relocateItems, type RelocationResult } from './relocate.js';

export interface CardAssignment extends RelocationResult {
  card: string;
  monitor: string;
  /** Items of the card whose monitor changed (one op each). */
  items: number;
}

/**
 * Assign a card to a monitor: a card op (its future ingests go to `library/<monitor>/`) and,
 * for each item that came off the card and is not the monitor's yet, an item op; then the
 * files move to the monitor's folders (relocate.ts). All ops are recorded in one transaction,
 * so a crash during the file moves leaves the catalogue's intent intact and the next
 * relocation pass (station start, the next assignment) finishes the moves.
 */
export async function assignCardToMonitor(
  cat: Catalog,
  /** null: no library files here (HQ): the ops only, nothing moves. */
  driveRoot: string | null,
  cardId: string,
  monitor: string,
  node: string,
  nowMs: number,
): Promise<CardAssignment> {
  const ids = await cardItemsNotOf(cat, cardId, monitor);
  const changes: OpChange[] = [
    { entity: 'card', id: cardId, field: 'monitor', value: monitor },
    ...ids.map((id) => ({ entity: 'item' as const, id, field: 'monitor', value: monitor })),
  ];
  await recordLocalOps(cat, changes, node, nowMs);
  const moved = await relocateItems(cat, driveRoot, ids);
  return { card: cardId, monitor, items: ids.length, ...moved };
}
