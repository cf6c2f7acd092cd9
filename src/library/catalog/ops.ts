import { decodeHlc, encodeHlc, hlcReceive, hlcTick, type Hlc } from '../../core/hlc.js';
import { ATTRIBUTE_FIELDS, checkOp, type OpPolicy, type OpRefusalCode } from '../../core/op-check.js';
import { opWins, type Op, type OpEntity } from '../../core/ops.js';
import type { Catalog } from './open.js';

/** Fields an op may set on an item, and the column that holds the current value. */
const ITEM_FIELDS: Record<string, (v: unknown) => Record<string, unknown>> = {
  event: (v) => ({ event: v === null ? null : String(v) }),
  rating: (v) => ({ rating: v === null ? null : Number(v) }),
  priority: (v) => ({ priority: v ? 1 : 0 }),
  tags: (v) => ({ tags: JSON.stringify(Array.isArray(v) ? v : []) }),
  notes: (v) => ({ notes: v === null ? null : String(v) }),
  location: (v) => {
    const loc = v as { lat?: number; lon?: number } | null;
    return { location_lat: loc?.lat ?? null, location_lon: loc?.lon ?? null };
  },
  monitor: (v) => ({ monitor: String(v) }),
  deleted: (v) => ({ deleted: v ? 1 : 0 }),
};

function lastHlc(cat: Catalog): Hlc | undefined {
  const row = cat.sqlite.prepare("select value from meta where key = 'hlc'").get() as
    { value: string } | undefined;
  return row ? decodeHlc(row.value) : undefined;
}

function saveHlc(cat: Catalog, h: Hlc): void {
  cat.sqlite
    .prepare(
      "insert into meta(key, value) values ('hlc', ?) on conflict(key) do update set value = excluded.value",
    )
    .run(encodeHlc(h));
}

export interface OpChange {
  entity: OpEntity;
  id: string;
  field: string;
  value: unknown;
}

/** Stamp local changes with the HLC and apply them. Returns the stored ops. */
export function recordLocalOps(cat: Catalog, changes: OpChange[], node: string, nowMs: number): Op[] {
  const tx = cat.sqlite.transaction(() => {
    let h = lastHlc(cat);
    const out: Op[] = [];
    for (const c of changes) {
      h = hlcTick(h, nowMs, node);
      const op: Op = { ...c, hlc: encodeHlc(h), origin: node };
      applyOne(cat, op);
      out.push(op);
    }
    if (h) saveHlc(cat, h);
    return out;
  });
  return tx();
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
export function mergeOps(cat: Catalog, ops: Op[], opts: MergeOptions): MergeResult {
  const refused: RefusedOp[] = [];
  const accepted: Op[] = [];
  ops.forEach((op, index) => {
    const why = checkOp(op, opts);
    if (!why) return void accepted.push(op);
    refused.push({ index, ...why, op: opSummary(op) });
  });
  const changed = new Set<string>();
  const tx = cat.sqlite.transaction(() => {
    let h = lastHlc(cat);
    let applied = 0;
    for (const op of accepted) {
      h = hlcReceive(h, decodeHlc(op.hlc), opts.nowMs, opts.node);
      const r = applyOne(cat, op);
      if (r) applied++;
      if (r === 'projected' && op.entity === 'item' && ATTRIBUTE_FIELDS.has(op.field)) changed.add(op.id);
    }
    if (h) saveHlc(cat, h);
    return applied;
  });
  return { applied: accepted.length ? tx() : 0, refused, attributesChanged: [...changed] };
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

/** false: known already; 'stored': kept in the log, an older value; 'projected': now the field's value. */
function applyOne(cat: Catalog, op: Op): false | 'stored' | 'projected' {
  const res = cat.sqlite
    .prepare(
      'insert into ops (hlc, origin, entity, entity_id, field, value) values (?, ?, ?, ?, ?, ?) on conflict do nothing',
    )
    .run(op.hlc, op.origin, op.entity, op.id, op.field, JSON.stringify(op.value));
  if (res.changes === 0) return false;
  const current = cat.sqlite
    .prepare(
      'select hlc from ops where entity = ? and entity_id = ? and field = ? and seq != ? order by hlc desc limit 1',
    )
    .get(op.entity, op.id, op.field, res.lastInsertRowid) as { hlc: string } | undefined;
  if (!opWins(op, current)) return 'stored';
  if (op.entity === 'item') {
    const project = ITEM_FIELDS[op.field];
    if (project) {
      const cols = project(op.value);
      const sets = Object.keys(cols)
        .map((k) => `${k} = @${k}`)
        .join(', ');
      cat.sqlite.prepare(`update items set ${sets} where id = @__id`).run({ ...cols, __id: op.id });
    }
  } else if (op.entity === 'card' && op.field === 'monitor') {
    cat.sqlite.prepare('update cards set monitor = ? where id = ?').run(op.value as string | null, op.id);
  }
  return 'projected';
}

/** Ops stored after a cursor (local arrival order), for sync. */
export function opsSince(cat: Catalog, cursor: number, limit = 1000): { ops: Op[]; cursor: number } {
  const rows = cat.sqlite
    .prepare(
      'select seq, hlc, origin, entity, entity_id, field, value from ops where seq > ? order by seq limit ?',
    )
    .all(cursor, limit) as {
    seq: number;
    hlc: string;
    origin: string;
    entity: OpEntity;
    entity_id: string;
    field: string;
    value: string;
  }[];
  return {
    ops: rows.map((r) => ({
      entity: r.entity,
      id: r.entity_id,
      field: r.field,
      value: JSON.parse(r.value) as unknown,
      hlc: r.hlc,
      origin: r.origin,
    })),
    cursor: rows.length ? rows[rows.length - 1]!.seq : cursor,
  };
}

/**
 * Set an item's attribute columns from the winning op of each field in the op log (fields
 * without ops keep the row's values). For a row that arrives after ops about it did (a mirror
 * copying an item, HQ receiving a station's facts). Synchronous: call inside the row's transaction.
 */
export function projectItemOps(cat: Catalog, id: string): void {
  const rows = cat.sqlite
    .prepare(
      `select field, value from ops o where entity = 'item' and entity_id = ?
         and hlc = (select max(hlc) from ops where entity = 'item' and entity_id = o.entity_id and field = o.field)`,
    )
    .all(id) as { field: string; value: string }[];
  const cols: Record<string, unknown> = {};
  for (const r of rows) {
    const project = ITEM_FIELDS[r.field];
    if (project) Object.assign(cols, project(JSON.parse(r.value) as unknown));
  }
  const keys = Object.keys(cols);
  if (keys.length === 0) return;
  cat.sqlite
    .prepare(`update items set ${keys.map((k) => `${k} = @${k}`).join(', ')} where id = @__id`)
    .run({ ...cols, __id: id });
}
