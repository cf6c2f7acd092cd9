import { createHash } from 'node:crypto';
import { dbOf } from '../../../src/library/catalog/handle.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import type { ItemRow, NewItem } from '../../../src/library/catalog/schema.js';
import { buildItemRow } from '../../../src/library/item-row.js';

/** A content id from a seed (64 hex chars, lower-case like every item id). */
export const idOf = (seed: string): string => createHash('sha256').update(seed).digest('hex');

/** An item row as ingest makes it, stored unless `over` says otherwise. */
export function itemRow(seed: string, over: Partial<NewItem> = {}): ItemRow {
  const id = idOf(seed);
  const row = buildItemRow(
    {
      sha256: id,
      type: 'photo',
      ext: 'jpg',
      size: 1000,
      monitor: 'Cam',
      originalName: `${seed}.jpg`,
      mtimeMs: Date.parse('2024-06-01T08:00:00Z'),
      importedAt: '2024-06-01T10:00:00.000Z',
      cardId: null,
      probe: { facts: {}, warnings: [] },
      timeZone: 'UTC',
    },
    `library/Cam/2024-06-01/${seed}.jpg`,
  );
  return { ...row, state: 'stored', ...over } as ItemRow;
}

export async function addItem(cat: Catalog, seed: string, over: Partial<NewItem> = {}): Promise<ItemRow> {
  const row = itemRow(seed, over);
  await dbOf(cat).insertInto('items').values(row).execute();
  return row;
}

export async function addCompanion(
  cat: Catalog,
  item: ItemRow,
  ext: string,
  c: { sha256?: string; size?: number } = {},
): Promise<{ path: string; sha256: string; size: number }> {
  const companion = {
    item_id: item.id,
    ext,
    path: item.path.replace(/\.[^.]+$/, `.${ext}`),
    sha256: c.sha256 ?? idOf(`${item.id}.${ext}`),
    size: c.size ?? 100,
  };
  await dbOf(cat).insertInto('companions').values(companion).execute();
  return companion;
}
