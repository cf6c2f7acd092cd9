import { randomUUID } from 'node:crypto';
import { type AttributePatch, type Attributes } from '../core/attributes.js';
import {
  canonicalValue,
  deviceHlcOf,
  deviceStamp,
  judgeDeviceOp,
  sameAttributeValue,
  type DeviceOp,
  type DeviceOpOutcome,
} from '../core/device-sync.js';
import { OutpostError } from '../core/errors.js';
import { encodeHlc, hlcReceive, type Hlc } from '../core/hlc.js';
import type { Op } from '../core/ops.js';
import { checkOp } from '../core/op-check.js';
import { applyPatches, attributesOf, rewriteSidecars, type AttributeContext } from './attributes.js';
import {
  addConflicts,
  conflictById,
  deviceOpsSeen,
  itemFieldHeads,
  recordDeviceOps,
  settleConflict,
} from './catalog/device-ops.js';
import { storedItemsById } from './catalog/item-edits.js';
import { lastHlc, mergeOps } from './catalog/ops.js';
import type { Catalog } from './catalog/open.js';
import type { DeviceOpsTable, SyncConflictsTable } from './catalog/schema.js';

/**
 * A tablet's offline edits arriving (issue 18, docs/offline.md): each op is taken once (by the
 * device's origin and stamp: a push repeated after a cut changes nothing), checked like an edit
 * through the API, stamped (a clock days fast is brought back to this one's now), merged last
 * writer wins as every edit is, and, where someone changed the field since the value the person
 * saw, both values are kept as a conflict. The sidecars of changed items are rewritten.
 */

export interface DeviceOpResult {
  hlc: string;
  item: string;
  field: string;
  outcome: DeviceOpOutcome;
  /** This push already came: the outcome is the first one's. */
  duplicate: boolean;
  message?: string;
  conflict?: ConflictRecord;
}

export interface ConflictRecord {
  id: string;
  item: string;
  field: string;
  device: string;
  deviceValue: unknown;
  otherValue: unknown;
  base: unknown;
  /** Whose value the field holds: the device's or the other edit's. */
  winner: 'device' | 'other';
  createdAt: string;
  resolvedAt: string | null;
  resolution: 'kept' | 'took-other' | null;
}

export function conflictRecord(r: SyncConflictsTable): ConflictRecord {
  return {
    id: r.id,
    item: r.item_id,
    field: r.field,
    device: r.origin,
    deviceValue: JSON.parse(r.device_value) as unknown,
    otherValue: JSON.parse(r.other_value) as unknown,
    base: JSON.parse(r.base_value) as unknown,
    winner: r.winner === 'device' ? 'device' : 'other',
    createdAt: new Date(r.created_ms).toISOString(),
    resolvedAt: r.resolved_ms === null ? null : new Date(r.resolved_ms).toISOString(),
    resolution: r.resolution === 'kept' || r.resolution === 'took-other' ? r.resolution : null,
  };
}

export interface DevicePush {
  results: DeviceOpResult[];
  /** Items whose attributes changed (their sidecars were rewritten). */
  changed: string[];
  /** This clock after the push (the device moves its own past it). */
  hlc: string;
  /**
   * Sidecars that could not be written (a full or failing drive): the edits are saved all the
   * same (catalogue and op log are the truth) and the sidecars follow at the item's next change.
   */
  sidecarProblem?: { code: string; message: string };
}

const json = (v: unknown): string => JSON.stringify(v ?? null);

/** Take a device's ops (`device`: its id; the ops' origin becomes `<node>:<device>`). */
export async function mergeDeviceOps(
  cat: Catalog,
  driveRoot: string | null,
  device: string,
  ops: DeviceOp[],
  ctx: AttributeContext,
): Promise<DevicePush> {
  const origin = `${ctx.node}:${device}`;
  const { results, changed, hlc } = await cat.transaction(async (tx) => {
    const seen = await deviceOpsSeen(
      tx,
      origin,
      ops.map((o) => o.hlc),
    );
    const conflicts = new Map<string, SyncConflictsTable>();
    for (const id of new Set([...seen.values()].map((s) => s.conflict_id).filter((c): c is string => !!c))) {
      const c = await conflictById(tx, id);
      if (c) conflicts.set(id, c);
    }
    // In the device's order (its stamps): a later edit of a field sees the earlier one's value.
    const fresh = ops
      .filter((o, i) => !seen.has(o.hlc) && ops.findIndex((p) => p.hlc === o.hlc) === i)
      .sort((a, b) => (a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : 0));
    const ids = [...new Set(fresh.map((o) => o.item))];
    const rows = await storedItemsById(tx, ids);
    const heads = await itemFieldHeads(tx, ids);
    const current = new Map<string, Attributes>();
    for (const [id, row] of rows) current.set(id, attributesOf(row));
    let clock: Hlc | undefined = await lastHlc(tx);
    const nowMs = ctx.nowMs;
    const merged: Op[] = [];
    const mergedRows: DeviceOpsTable[] = [];
    const stored: DeviceOpsTable[] = [];
    const newConflicts: SyncConflictsTable[] = [];
    const settle: string[] = [];
    const byHlc = new Map<string, DeviceOpsTable>();
    for (const op of fresh) {
      const row: DeviceOpsTable = {
        origin,
        hlc: op.hlc,
        item_id: String(op.item).slice(0, 64),
        field: String(op.field).slice(0, 32),
        stamp: null,
        outcome: 'refused',
        message: null,
        conflict_id: null,
        received_ms: nowMs,
      };
      stored.push(row);
      byHlc.set(op.hlc, row);
      const dh = deviceHlcOf(op.hlc, device);
      if (typeof dh === 'string') {
        row.message = dh;
        continue;
      }
      const canonical = canonicalValue(op.field, op.value);
      if ('problem' in canonical) {
        row.message = canonical.problem;
        continue;
      }
      const attrs = current.get(op.item);
      if (!attrs) {
        row.message = `no item ${op.item.slice(0, 16)} here: it was deleted or never came to this station`;
        continue;
      }
      const { stamp } = deviceStamp(dh, origin, nowMs, clock);
      const encoded = encodeHlc(stamp);
      const full: Op = {
        entity: 'item',
        id: op.item,
        field: op.field,
        value: canonical.value,
        hlc: encoded,
        origin,
      };
      const why = checkOp(full, { nowMs, mayMove: () => 'a device edits attributes only' });
      if (why) {
        row.message = why.message;
        continue;
      }
      clock = hlcReceive(clock, stamp, nowMs, ctx.node);
      const key = `${op.item}\u0000${op.field}`;
      const now =
        (attrs as unknown as Record<string, unknown>)[op.field] ?? (op.field === 'rejected' ? false : null);
      const j = judgeDeviceOp({
        field: op.field,
        current: now,
        base: op.base,
        value: canonical.value,
        head: heads.get(key) ?? null,
        stamp: encoded,
      });
      row.stamp = encoded;
      row.outcome = j.wins ? 'applied' : 'superseded';
      merged.push(full);
      mergedRows.push(row);
      if (j.wins) {
        heads.set(key, encoded);
        (attrs as unknown as Record<string, unknown>)[op.field] = canonical.value;
      }
      if (j.conflict) {
        const c: SyncConflictsTable = {
          id: randomUUID(),
          item_id: op.item,
          field: op.field,
          origin,
          device_value: json(canonical.value),
          other_value: json(now),
          base_value: json(op.base),
          winner: j.wins ? 'device' : 'other',
          created_ms: nowMs,
          resolved_ms: null,
          resolution: null,
        };
        newConflicts.push(c);
        conflicts.set(c.id, c);
        row.conflict_id = c.id;
      }
      if (op.resolves) settle.push(op.resolves);
    }
    const m = merged.length
      ? await mergeOps(tx, merged, { node: ctx.node, nowMs, mayMove: () => 'a device edits attributes only' })
      : { attributesChanged: [] as string[], refused: [] };
    for (const r of m.refused) {
      const row = mergedRows[r.index];
      if (row) Object.assign(row, { outcome: 'refused', message: r.message, conflict_id: null });
    }
    await addConflicts(
      tx,
      newConflicts.filter((c) => stored.some((s) => s.conflict_id === c.id)),
    );
    await recordDeviceOps(tx, stored);
    for (const id of settle) await settleConflict(tx, id, 'took-other', nowMs);
    const results: DeviceOpResult[] = ops.map((o) => {
      const first = seen.get(o.hlc);
      const row = first ?? byHlc.get(o.hlc)!;
      const c = row.conflict_id ? conflicts.get(row.conflict_id) : undefined;
      return {
        hlc: o.hlc,
        item: row.item_id,
        field: row.field,
        outcome: row.outcome as DeviceOpOutcome,
        duplicate: !!first,
        ...(row.message ? { message: row.message } : {}),
        ...(c ? { conflict: conflictRecord(c) } : {}),
      };
    });
    return {
      results,
      changed: m.attributesChanged,
      hlc: encodeHlc(clock ?? { wall: nowMs, counter: 0, node: ctx.node }),
    };
  });
  try {
    await rewriteSidecars(cat, driveRoot, changed);
  } catch (e) {
    // Acknowledged all the same: a refused answer would only make the device push again.
    const err = e instanceof OutpostError ? e : new OutpostError('DRIVE_WRITE_ERROR', String(e));
    return { results, changed, hlc, sidecarProblem: { code: err.code, message: err.message } };
  }
  return { results, changed, hlc };
}

/**
 * Settle a conflict: `take-other` puts the value that lost back (a new edit, sidecar rewritten),
 * but only while the field still holds the winner's value (else CONFLICT_STALE: someone changed
 * it again); `keep` leaves the field as it is. Either way the conflict leaves the open list.
 */
export async function settleDeviceConflict(
  cat: Catalog,
  driveRoot: string | null,
  id: string,
  choice: 'take-other' | 'keep',
  ctx: AttributeContext,
): Promise<ConflictRecord> {
  const c = await conflictById(cat, id);
  if (!c) throw new OutpostError('CONFLICT_NOT_FOUND', `no conflict ${id.slice(0, 40)}`);
  if (c.resolved_ms !== null) return conflictRecord(c);
  if (choice === 'take-other') {
    const winner = JSON.parse(c.winner === 'device' ? c.device_value : c.other_value) as unknown;
    const loser = JSON.parse(c.winner === 'device' ? c.other_value : c.device_value) as unknown;
    const row = (await storedItemsById(cat, [c.item_id])).get(c.item_id);
    if (!row) throw new OutpostError('ITEM_NOT_FOUND', `item ${c.item_id.slice(0, 12)} was deleted`);
    const now = (attributesOf(row) as unknown as Record<string, unknown>)[c.field];
    if (!sameAttributeValue(c.field, now, winner))
      throw new OutpostError('CONFLICT_STALE', `the ${c.field} of this item was changed again since`);
    await applyPatches(
      cat,
      driveRoot,
      [{ id: c.item_id, patch: { [c.field]: loser } as AttributePatch }],
      ctx,
    );
  }
  await settleConflict(cat, id, choice === 'take-other' ? 'took-other' : 'kept', ctx.nowMs);
  return conflictRecord((await conflictById(cat, id))!);
}
