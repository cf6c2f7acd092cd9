import type { Updateable } from 'kysely';
import { decodeHlc, encodeHlc, hlcReceive, hlcTick, type Hlc } from '../../core/hlc.js';
import { ATTRIBUTE_FIELDS, checkOp, type OpPolicy, type OpRefusalCode } from '../../core/op-check.js';
import type { Op, OpEntity } from '../../core/ops.js';
import { shiftLocalIso } from '../../core/time-shift.js';
import { dbOf } from './handle.js';
import { lockClock, lockItems, stampAfter } from './locks.js';
import type { Catalog } from './open.js';
import type { ItemsTable } from './schema.js';

/**
 * The op log (table ops, arrival order in `seq`), the winning op of each field (op_heads) and
 * their projection onto the items' and cards' columns. Last writer wins per field by HLC stamp
 * (core/ops.ts opWins: a greater stamp wins, an equal one does not; a stamp names its node, so
 * equal stamps are the same op). The decision is one conditional upsert into op_heads, so
 * writers sharing a catalogue never decide from a stale read.
 *
 * Writers that share a PostgreSQL catalogue lock in one order — the node's clock, op rows,
 * heads (sorted by field and stamp), items (sorted by id), the clock row — so two transactions
 * never wait on each other in a cycle (locks.ts). Local edits are logged in the order made (their
 * stamps are new: no other writer can hold their rows); merged ops, which another writer may be
 * storing at the same moment, in lock order. Arrival order is kept from call to call.
 */

type ItemColumns = Updateable<ItemsTable>;

/** Fields an op may set on an item, and the columns that hold the current value. */
const ITEM_FIELDS: Record<string, (v: unknown) => ItemColumns> = {
  event: (v) => ({ event: v === null ? null : String(v) }),
  rating: (v) => ({ rating: v === null ? null : Number(v) }),
  priority: (v) => ({ priority: v ? 1 : 0 }),
  rejected: (v) => ({ rejected: v ? 1 : 0 }),
  tags: (v) => ({ tags: JSON.stringify(Array.isArray(v) ? v : []) }),
  notes: (v) => ({ notes: v === null ? null : String(v) }),
  location: (v) => {
    const loc = v as { lat?: number; lon?: number; source?: string } | null;
    return {
      location_lat: loc?.lat ?? null,
      location_lon: loc?.lon ?? null,
      location_source: loc ? (loc.source ?? null) : null,
    };
  },
  monitor: (v) => ({ monitor: String(v) }),
  deleted: (v) => ({ deleted: v ? 1 : 0 }),
  // The corrected times follow in project() (they depend on the camera's own, in the row).
  timeShift: (v) => ({ time_shift_ms: (v as { offsetMs?: number } | null)?.offsetMs ?? 0 }),
};

/**
 * An item's capture and sort times after its clock correction changed: the camera's own times
 * (kept the first time one moves) plus the offset. Items with no capture date keep their file
 * time: there is no camera time to correct.
 */
async function applyTimeShift(tx: Catalog, id: string): Promise<void> {
  const db = dbOf(tx);
  const row = await db
    .selectFrom('items')
    .select(['captured_at', 'sort_time', 'camera_captured_at', 'camera_sort_time', 'time_shift_ms'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return;
  const baseCaptured = row.camera_captured_at ?? row.captured_at;
  if (baseCaptured === null) return;
  const baseSort = row.camera_sort_time ?? row.sort_time;
  const ms = Number(row.time_shift_ms);
  await db
    .updateTable('items')
    .set({
      camera_captured_at: baseCaptured,
      camera_sort_time: baseSort,
      captured_at: shiftLocalIso(baseCaptured, ms) ?? baseCaptured,
      sort_time: shiftLocalIso(baseSort, ms) ?? baseSort,
    })
    .where('id', '=', id)
    .execute();
}

/** The catalogue's clock: its latest stamp (undefined before the first op). */
export async function lastHlc(tx: Catalog): Promise<Hlc | undefined> {
  const row = await dbOf(tx).selectFrom('meta').select('value').where('key', '=', 'hlc').executeTakeFirst();
  return row ? decodeHlc(row.value) : undefined;
}

/**
 * The catalogue's clock only moves forward: nodes sharing a catalogue share its clock, and one
 * that read it before another saved a later value must not take it back.
 */
async function saveHlc(tx: Catalog, h: Hlc): Promise<void> {
  await dbOf(tx)
    .insertInto('meta')
    .values({ key: 'hlc', value: encodeHlc(h) })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet((eb) => ({ value: eb.ref('excluded.value') }))
        .where(stampAfter(tx, 'excluded.value', 'meta.value')),
    )
    .execute();
}

export interface OpChange {
  entity: OpEntity;
  id: string;
  field: string;
  value: unknown;
}

/** Stamp local changes with the HLC and apply them. Returns the stored ops. */
export async function recordLocalOps(
  cat: Catalog,
  changes: OpChange[],
  node: string,
  nowMs: number,
): Promise<Op[]> {
  if (!changes.length) return [];
  return cat.transaction(async (tx) => {
    await lockClock(tx, node);
    let h = await lastHlc(tx);
    const out = changes.map((c): Op => {
      h = hlcTick(h, nowMs, node);
      return { ...c, hlc: encodeHlc(h), origin: node };
    });
    await applyOps(tx, out);
    await saveHlc(tx, h!);
    return out;
  });
}

export interface MergeOptions extends Omit<OpPolicy, 'nowMs'> {
  /** This node's name: its clock moves on by what it receives. */
  node: string;
  nowMs: number;
}

export interface RefusedOp {
  /** Index of the op in the list given. */
  index: number;
  code: OpRefusalCode;
  message: string;
  op: { entity: string; id: string; field: string; hlc: string; origin: string };
}

export interface MergeResult {
  /** Ops new to this catalogue. */
  applied: number;
  /** Ops not merged, and why (op-check.ts): nothing of them was stored. */
  refused: RefusedOp[];
  /** Items whose attribute columns (what their sidecars say) an accepted op changed. */
  attributesChanged: string[];
}

/**
 * Merge ops from elsewhere: each is checked first (op-check.ts: fields and values as an edit
 * through the API, a stamp not ahead of this clock, the sender's authority), then merged
 * idempotently and order-independently (LWW per field by HLC). Refused ops change nothing; the
 * local clock moves only by accepted stamps, so never further ahead than the check allows.
 */
export async function mergeOps(cat: Catalog, ops: Op[], opts: MergeOptions): Promise<MergeResult> {
  const refused: RefusedOp[] = [];
  const accepted: Op[] = [];
  ops.forEach((op, index) => {
    const why = checkOp(op, opts);
    if (!why) return void accepted.push(op);
    refused.push({ index, ...why, op: opSummary(op) });
  });
  if (!accepted.length) return { applied: 0, refused, attributesChanged: [] };
  return cat.transaction(async (tx) => {
    await lockClock(tx, opts.node);
    let h = await lastHlc(tx);
    for (const op of accepted) h = hlcReceive(h, decodeHlc(op.hlc), opts.nowMs, opts.node);
    const r = await applyOps(tx, [...accepted].sort(byTargetThenStamp));
    await saveHlc(tx, h!);
    const changed = new Set<string>();
    for (const op of r.won) if (op.entity === 'item' && ATTRIBUTE_FIELDS.has(op.field)) changed.add(op.id);
    return { applied: r.inserted, refused, attributesChanged: [...changed] };
  });
}

function opSummary(op: Op): RefusedOp['op'] {
  const s = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')).slice(0, 200);
  return {
    entity: s(op?.entity),
    id: s(op?.id),
    field: s(op?.field),
    hlc: s(op?.hlc),
    origin: s(op?.origin),
  };
}

const targetOf = (op: Op): string => `${op.entity}\u0000${op.id}\u0000${op.field}`;

/** Rows per many-row statement: 6 values each, well under SQLite's 32,766 parameters. */
const ROWS = 500;

/** One order for every writer (lock order): by field, a field's ops oldest stamp first. */
function byTargetThenStamp(a: Op, b: Op): number {
  const ta = targetOf(a);
  const tb = targetOf(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  return a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0;
}

/**
 * Store ops (inside the caller's transaction; logged in the order given) and move each field's
 * head where an op's stamp is greater than the head's, then project the new heads. Returns how many ops were new and, per
 * field whose head moved, the op now at its head.
 */
async function applyOps(tx: Catalog, ops: readonly Op[]): Promise<{ inserted: number; won: Op[] }> {
  const db = dbOf(tx);
  const identity = (o: { hlc: string; origin: string; entity: string; id: string; field: string }): string =>
    `${o.hlc}\u0000${o.origin}\u0000${o.entity}\u0000${o.id}\u0000${o.field}`;
  // Many rows per statement (a sync brings thousands): one round trip per ROWS ops, not per op.
  const fresh: Op[] = [];
  for (let i = 0; i < ops.length; i += ROWS) {
    const part = ops.slice(i, i + ROWS);
    const rows = await db
      .insertInto('ops')
      .values(
        part.map((op) => ({
          hlc: op.hlc,
          origin: op.origin,
          entity: op.entity,
          entity_id: op.id,
          field: op.field,
          value: JSON.stringify(op.value),
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .returning(['hlc', 'origin', 'entity', 'entity_id', 'field'])
      .execute();
    // A known op (same stamp, origin and field) is not news: its head was decided when it came.
    const inserted = new Set(rows.map((r) => identity({ ...r, id: r.entity_id })));
    for (const op of part) if (inserted.delete(identity(op))) fresh.push(op);
  }
  // Per field, only the newest fresh op can move its head (an older one loses to it either way);
  // one op per field also keeps a many-row upsert from touching a row twice.
  const newest = new Map<string, Op>();
  for (const op of fresh.sort(byTargetThenStamp)) newest.set(targetOf(op), op);
  const candidates = [...newest.values()];
  const won = new Map<string, Op>();
  for (let i = 0; i < candidates.length; i += ROWS) {
    const part = candidates.slice(i, i + ROWS);
    const rows = await db
      .insertInto('op_heads')
      .values(
        part.map((op) => ({
          entity: op.entity,
          entity_id: op.id,
          field: op.field,
          hlc: op.hlc,
          origin: op.origin,
          value: JSON.stringify(op.value),
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['entity', 'entity_id', 'field'])
          .doUpdateSet((eb) => ({
            hlc: eb.ref('excluded.hlc'),
            origin: eb.ref('excluded.origin'),
            value: eb.ref('excluded.value'),
          }))
          // opWins (core/ops.ts), decided by the database against the head as it is now.
          .where(stampAfter(tx, 'excluded.hlc', 'op_heads.hlc')),
      )
      .returning(['entity', 'entity_id', 'field'])
      .execute();
    const moved = new Set(rows.map((r) => `${r.entity}\u0000${r.entity_id}\u0000${r.field}`));
    for (const op of part) if (moved.has(targetOf(op))) won.set(targetOf(op), op);
  }
  await project(tx, [...won.values()]);
  return { inserted: fresh.length, won: [...won.values()] };
}

/** Write the ops now at their fields' heads onto items and cards (rows not here yet are skipped). */
async function project(tx: Catalog, heads: Op[]): Promise<void> {
  const items = new Map<string, ItemColumns>();
  const cards = new Map<string, string | null>();
  for (const op of heads) {
    if (op.entity === 'item') {
      const p = ITEM_FIELDS[op.field];
      if (p) items.set(op.id, { ...items.get(op.id), ...p(op.value) });
    } else if (op.entity === 'card' && op.field === 'monitor') {
      cards.set(op.id, op.value as string | null);
    }
  }
  const ids = [...items.keys()].sort();
  await lockItems(tx, ids);
  for (const id of ids) {
    const cols = items.get(id)!;
    await dbOf(tx).updateTable('items').set(cols).where('id', '=', id).execute();
    if (cols.time_shift_ms !== undefined) await applyTimeShift(tx, id);
  }
  for (const id of [...cards.keys()].sort())
    await dbOf(tx)
      .updateTable('cards')
      .set({ monitor: cards.get(id)! })
      .where('id', '=', id)
      .execute();
}

/** Ops stored after a cursor (local arrival order), for sync. */
export async function opsSince(
  cat: Catalog,
  cursor: number,
  limit = 1000,
): Promise<{ ops: Op[]; cursor: number }> {
  const rows = await dbOf(cat)
    .selectFrom('ops')
    .select(['seq', 'hlc', 'origin', 'entity', 'entity_id', 'field', 'value'])
    .where('seq', '>', cursor)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return {
    ops: rows.map((r) => ({
      entity: r.entity as OpEntity,
      id: r.entity_id,
      field: r.field,
      value: JSON.parse(r.value) as unknown,
      hlc: r.hlc,
      origin: r.origin,
    })),
    cursor: rows.length ? rows[rows.length - 1]!.seq : cursor,
  };
}

/** The seq of the newest op stored (0 when none): a cursor that has seen everything. */
export async function newestOpSeq(cat: Catalog): Promise<number> {
  const row = await dbOf(cat)
    .selectFrom('ops')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/**
 * Set an item's attribute columns from the winning op of each field (fields without ops keep the
 * row's values). For a row that arrives after ops about it did (a mirror copying an item, HQ
 * receiving a station's facts): call it in the transaction that inserts the row, after
 * lockItems() on PostgreSQL (hq-items.ts does).
 */
export async function projectItemOps(cat: Catalog, id: string): Promise<void> {
  const rows = await dbOf(cat)
    .selectFrom('op_heads')
    .select(['field', 'value'])
    .where('entity', '=', 'item')
    .where('entity_id', '=', id)
    .execute();
  let cols: ItemColumns = {};
  for (const r of rows) {
    const p = ITEM_FIELDS[r.field];
    if (p) cols = { ...cols, ...p(JSON.parse(r.value) as unknown) };
  }
  if (Object.keys(cols).length === 0) return;
  await dbOf(cat).updateTable('items').set(cols).where('id', '=', id).execute();
  if (cols.time_shift_ms !== undefined) await applyTimeShift(cat, id);
}

/**
 * Set cards' monitors from their winning `monitor` op (all cards, or those of `ids`), for card
 * rows that arrive after their ops did (a rebuild, a mirror copying a card).
 */
export async function projectCardOps(cat: Catalog, ids?: string[]): Promise<void> {
  let q = dbOf(cat)
    .selectFrom('op_heads')
    .select(['entity_id', 'value'])
    .where('entity', '=', 'card')
    .where('field', '=', 'monitor');
  if (ids) {
    if (!ids.length) return;
    q = q.where('entity_id', 'in', ids);
  }
  for (const r of await q.orderBy('entity_id').execute())
    await dbOf(cat)
      .updateTable('cards')
      .set({ monitor: JSON.parse(r.value) as string | null })
      .where('id', '=', r.entity_id)
      .execute();
}

/**
 * Every field's winning op (`op_heads`), in a stable order: what two catalogues that merged the
 * same ops must agree on (tests and bench:cloud compare a cluster with a single-node replay).
 */
export async function allOpHeads(
  cat: Catalog,
): Promise<{ entity: string; id: string; field: string; hlc: string; value: string }[]> {
  const rows = await dbOf(cat)
    .selectFrom('op_heads')
    .select(['entity', 'entity_id', 'field', 'hlc', 'value'])
    .orderBy('entity')
    .orderBy('entity_id')
    .orderBy('field')
    .execute();
  return rows.map((r) => ({ entity: r.entity, id: r.entity_id, field: r.field, hlc: r.hlc, value: r.value }));
}
