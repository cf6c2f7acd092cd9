import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * What a rebuilt catalogue (src/library/rebuild.ts) takes over from the old one, which files
 * cannot tell: the cards seen and the import ledger. Each runs in one transaction of the new
 * catalogue (one commit, not one per row); rows the new catalogue already has are kept.
 */

/** Whether the old catalogue can still be read at all. */
export async function isReadable(cat: Catalog): Promise<boolean> {
  try {
    await dbOf(cat)
      .selectFrom('items')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    return true;
  } catch {
    return false;
  }
}

/** Copy the cards of `from` into `to`; returns how many were added. */
export async function carryOverCards(from: Catalog, to: Catalog): Promise<number> {
  const cards = await dbOf(from).selectFrom('cards').selectAll().execute();
  return to.transaction(async (tx) => {
    let added = 0;
    for (const c of cards) {
      const r = await dbOf(tx)
        .insertInto('cards')
        .values(c)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      added += Number(r.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  });
}

/** Copy the import ledger of `from` into `to`, for the items `to` has; returns how many rows. */
export async function carryOverImports(from: Catalog, to: Catalog): Promise<number> {
  const rows = await dbOf(from).selectFrom('imports').selectAll().execute();
  return to.transaction(async (tx) => {
    const items = new Set((await dbOf(tx).selectFrom('items').select('id').execute()).map((r) => r.id));
    let added = 0;
    for (const row of rows) {
      if (!items.has(row.item_id)) continue;
      const r = await dbOf(tx)
        .insertInto('imports')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      added += Number(r.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  });
}

/**
 * Set each card's monitor from its winning `monitor` op (the highest stamp): card ops carried
 * over before the cards existed in the new catalogue had no row to land on. The winner is picked
 * here, not by the engine's string order (a PostgreSQL collation may not compare like bytes).
 */
export async function reprojectCardMonitors(cat: Catalog): Promise<void> {
  const ops = await dbOf(cat)
    .selectFrom('ops')
    .select(['entity_id', 'hlc', 'value'])
    .where('entity', '=', 'card')
    .where('field', '=', 'monitor')
    .execute();
  const winner = new Map<string, { hlc: string; value: string }>();
  for (const op of ops) {
    const w = winner.get(op.entity_id);
    if (!w || op.hlc > w.hlc) winner.set(op.entity_id, op);
  }
  await cat.transaction(async (tx) => {
    for (const [id, op] of winner) {
      const v = JSON.parse(op.value) as unknown;
      await dbOf(tx)
        .updateTable('cards')
        .set({ monitor: v === null ? null : String(v) })
        .where('id', '=', id)
        .execute();
    }
  });
}
