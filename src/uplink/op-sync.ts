import type { Logger } from '../adapters/logger.js';
import type { Op } from '../core/ops.js';
import { rewriteSidecars } from '../library/attributes.js';
import type { Catalog } from '../library/catalog/open.js';
import type { RefusedOp } from '../library/catalog/ops.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { opsWithSeqs, ownOpsAfter, ownOpsAfterCount, type LoggedOp } from '../library/catalog/station-ops.js';
import { itemForFacts } from '../library/catalog/uplink-items.js';
import { itemFacts } from './facts.js';
import type { Journal } from './journal.js';
import { mergePulledOps } from './pull-ops.js';
import type { OpSyncTarget, SyncRefusal } from './targets/target.js';

const FACTS_BATCH = 500;
const OPS_BATCH = 1000;

export interface OpSyncDeps {
  catalog: Catalog;
  driveRoot: string;
  target: OpSyncTarget;
  journal: Journal;
  /** This station's node name: the origin of the ops it pushes. */
  node: string;
  /** How often HQ's op log is pulled, and clock-refused ops are tried again. */
  pullEveryMs: number;
  now: () => number;
  log: Logger;
  /** A failure the user should see in the status (the runner's lastError). */
  report: (message: string) => void;
  /** A bare round trip (an empty pull): the pacer's base. */
  observeRtt: (ms: number) => void;
}

/**
 * The op half of the uplink: pushes this station's ops and item facts to the target's op log,
 * pulls the ops merged there, and keeps the cursors of both in the journal.
 */
export class OpSync {
  private lastDeferredTryMs = 0;
  private lastPullMs = -Infinity;

  constructor(private readonly d: OpSyncDeps) {}

  /** This station's ops not pushed yet. */
  pending(): number {
    const cursor = this.d.journal.cursor('ops-pushed');
    return ownOpsAfterCount(this.d.catalog, cursor, this.d.node);
  }

  /** The item's facts go before its bytes: the target takes renditions of items it knows only. */
  async ensureFacts(item: string, signal: AbortSignal): Promise<void> {
    if (this.d.journal.factsKnown(item)) return;
    const row = itemForFacts(this.d.catalog, item) as ItemRow;
    await this.d.target.sync({ items: [itemFacts(row)], ops: [] }, signal);
    this.d.journal.factsSent([item]);
  }

  /** One sync request when ops or item facts are waiting; true when one was sent. */
  async push(signal: AbortSignal): Promise<boolean> {
    const { catalog: cat, journal } = this.d;
    const cursor = journal.cursor('ops-pushed');
    // Ops HQ refused as stamped ahead of its clock wait here and go again once a minute: their
    // time comes (or this station's clock is set right). Every other refusal is final.
    const deferred = journal.deferredOps();
    const retryDeferred = deferred.length > 0 && this.d.now() - this.lastDeferredTryMs >= this.d.pullEveryMs;
    const rows = [
      ...(retryDeferred ? opsWithSeqs(cat, deferred.slice(0, OPS_BATCH)) : []),
      ...ownOpsAfter(cat, cursor, this.d.node, OPS_BATCH),
    ];
    const factIds = journal.itemsNeedingFacts(FACTS_BATCH);
    if (rows.length === 0 && factIds.length === 0) return false;
    if (retryDeferred) this.lastDeferredTryMs = this.d.now();
    // HQ takes ops about items it holds only: an op travels with its item's facts if they are not there yet.
    const withFacts = new Set(factIds);
    for (const r of rows)
      if (r.entity === 'item' && !withFacts.has(r.id) && !journal.factsKnown(r.id)) withFacts.add(r.id);
    const facts = [...withFacts]
      .map((id) => itemForFacts(cat, id))
      .filter((r): r is ItemRow => !!r && r.state !== 'pending')
      .map(itemFacts);
    const ops: Op[] = rows.map((r) => ({
      entity: r.entity,
      id: r.id,
      field: r.field,
      value: JSON.parse(r.value) as unknown,
      hlc: r.hlc,
      origin: r.origin,
    }));
    const res = await this.d.target.sync({ items: facts, ops }, signal);
    this.noteRefused(rows, res.refused ?? [], deferred);
    const newest = rows.filter((r) => r.seq > cursor).at(-1);
    if (newest) journal.setCursor('ops-pushed', newest.seq);
    // Items with no row (gone) count as told too: their transfers end on their own.
    journal.factsSent([...new Set([...factIds, ...facts.map((f) => f.id)])]);
    return true;
  }

  /** Keep clock-refused ops for later, report the rest (they stay in this station's catalogue). */
  private noteRefused(rows: LoggedOp[], refused: SyncRefusal[], deferredBefore: number[]): void {
    const sent = new Set(rows.map((r) => r.seq));
    const later = new Set(deferredBefore.filter((s) => !sent.has(s)));
    const final: SyncRefusal[] = [];
    for (const r of refused) {
      const row = rows[r.index];
      if (!row) continue;
      if (r.code === 'OP_CLOCK_AHEAD') later.add(row.seq);
      else final.push(r);
    }
    this.d.journal.setDeferredOps([...later].sort((a, b) => a - b).slice(-10_000));
    const clock = refused.filter((r) => r.code === 'OP_CLOCK_AHEAD');
    if (clock.length) {
      this.lastDeferredTryMs = this.d.now();
      this.d.log.warn(
        { refused: clock.length, first: clock[0] },
        'uplink: HQ refused ops stamped ahead of its clock',
      );
      this.d.report(
        `HQ refused ${clock.length} edit(s) stamped ahead of its clock (${clock[0]!.message}): this station's clock is ahead; set it right (timedatectl). They are sent again every minute.`,
      );
    }
    if (final.length) {
      this.d.log.warn(
        { refused: final.length, first: final[0] },
        'uplink: HQ refused ops (kept here, not sent again)',
      );
      this.d.report(
        `HQ refused ${final.length} edit(s): ${final[0]!.code} ${final[0]!.message}. They stay on this station.`,
      );
    }
  }

  /** Pull the target's op log (every `pullEveryMs`), page by page, into the catalogue. */
  async pull(signal: AbortSignal): Promise<void> {
    if (this.d.target.hasOpLog === false) return;
    if (this.d.now() - this.lastPullMs < this.d.pullEveryMs) return;
    this.lastPullMs = this.d.now();
    for (;;) {
      const since = this.d.journal.cursor('ops-pulled');
      const t0 = this.d.now();
      const r = await this.d.target.pullOps(since, signal);
      if (r.ops.length === 0) this.d.observeRtt(this.d.now() - t0);
      let held = false;
      if (r.ops.length) {
        const pulled = await mergePulledOps(this.d.catalog, r.ops, {
          node: this.d.node,
          nowMs: this.d.now(),
          ...(r.node ? { hqNode: r.node } : {}),
        });
        if (pulled.refused.length) this.reportPullRefusals(pulled.refused);
        // An op stamped ahead of this clock is not lost: the page is read again at the next pull
        // (ops already merged are idempotent), once this clock has caught up or been set right.
        held = pulled.refused.some((x) => x.code === 'OP_CLOCK_AHEAD');
        if (pulled.attributesChanged.length)
          await rewriteSidecars(this.d.catalog, this.d.driveRoot, pulled.attributesChanged).catch(
            (e: unknown) => this.d.log.warn({ err: e }, 'uplink: sidecars of edits from HQ not written yet'),
          );
      }
      if (held) return;
      if (r.cursor > since) this.d.journal.setCursor('ops-pulled', r.cursor);
      if (r.ops.length < OPS_BATCH || r.cursor <= since) return;
    }
  }

  private reportPullRefusals(refused: RefusedOp[]): void {
    this.d.log.warn({ refused: refused.length, first: refused[0] }, 'uplink: ops from HQ not merged');
    const clock = refused.find((r) => r.code === 'OP_CLOCK_AHEAD');
    this.d.report(
      clock
        ? `edits from HQ are stamped ahead of this station's clock (${clock.message}): set this station's clock right (timedatectl); they are merged once it is.`
        : `${refused.length} op(s) from HQ not merged: ${refused[0]!.code} ${refused[0]!.message}`,
    );
  }
}
