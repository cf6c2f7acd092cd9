import { sql } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import type { CardRow } from './schema.js';

export interface CardSeen {
  id: string;
  kind: string;
  label?: string | undefined;
  fsUuid?: string | undefined;
  mount?: string | undefined;
}

export async function upsertCardSeen(cat: Catalog, card: CardSeen, at: string): Promise<CardRow> {
  await dbOf(cat)
    .insertInto('cards')
    .values({
      id: card.id,
      kind: card.kind,
      label: card.label ?? null,
      fs_uuid: card.fsUuid ?? null,
      monitor: null,
      first_seen: at,
      last_seen: at,
      last_mount: card.mount ?? null,
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({ last_seen: at, last_mount: card.mount ?? null, label: card.label ?? null }),
    )
    .execute();
  return dbOf(cat).selectFrom('cards').selectAll().where('id', '=', card.id).executeTakeFirstOrThrow();
}

export async function listCards(cat: Catalog): Promise<(CardRow & { items: number })[]> {
  const rows = await dbOf(cat)
    .selectFrom('cards')
    .leftJoin('imports', 'imports.card_id', 'cards.id')
    .selectAll('cards')
    .select((eb) => eb.fn.count<number>('imports.item_id').distinct().as('items'))
    .groupBy('cards.id')
    .orderBy('cards.last_seen', 'desc')
    .execute();
  return rows.map((r) => ({ ...r, items: Number(r.items) }));
}

/**
 * Find a card by full id, id prefix in any case (as SQLite's LIKE always matched; lower() on both
 * sides makes PostgreSQL's case-sensitive LIKE agree), or label.
 */
export async function findCard(cat: Catalog, ref: string): Promise<CardRow[]> {
  // A backslash is PostgreSQL's default LIKE escape, not SQLite's: name it on both, and double it.
  const prefix = `${ref.toLowerCase().replace(/[%_]/g, '').replace(/\\/g, '\\\\')}%`;
  return dbOf(cat)
    .selectFrom('cards')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('id', '=', ref),
        sql<boolean>`lower(${eb.ref('id')}) like ${prefix} escape '\\'`,
        eb('label', '=', ref),
      ]),
    )
    .execute();
}

/** The public record of a card (`outpost cards list --json` and `GET /api/cards`). */
export interface CardRecord {
  id: string;
  kind: string;
  label: string | null;
  monitor: string | null;
  items: number;
  firstSeen: string;
  lastSeen: string;
}

export function cardRecord(r: CardRow & { items: number }): CardRecord {
  return {
    id: r.id,
    kind: r.kind,
    label: r.label,
    monitor: r.monitor,
    items: r.items,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
  };
}
