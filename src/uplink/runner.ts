import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../adapters/logger.js';
import type { Op, OpEntity } from '../core/ops.js';
import type { Catalog } from '../library/catalog/open.js';
import type { RefusedOp } from '../library/catalog/ops.js';
import { rewriteSidecars } from '../library/attributes.js';
import { mergePulledOps } from './pull-ops.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { derivedRelPath } from '../library/layout.js';
import { hashFile } from '../library/intake/index.js';
import { Backoff, type RandomSource } from './backoff.js';
import { fileBody, SLICE } from './body.js';
import { finishOffloads, offloadOriginal, offloadWanted, type OffloadPolicy } from './offload.js';
import { Pacer } from './pacer.js';
import { ChunkSizer } from './chunk-size.js';
import { CLASS_RANK, classify, TRANSFER_CLASSES, type TransferClass } from './classes.js';
import { itemFacts } from './facts.js';
import { Journal, transferKey, type JournalRow } from './journal.js';
import { UplinkScheduler } from './scheduler.js';
import {
  UploadFailure,
  type NewUpload,
  type SyncRefusal,
  type UploadRendition,
  type UploadTarget,
} from './targets/target.js';
import { AdaptiveRate } from './throttle/adaptive.js';
import { rateAt, type Timetable } from './throttle/timetable.js';
import { TokenBucket } from './throttle/token-bucket.js';
import type { LinkHint } from './throttle/wireless.js';

export interface UplinkSettings {
  /** This station's name: the origin of the ops it pushes (HQ refuses others). */
  node: string;
  /** Bandwidth timetable (rclone syntax, parsed); undefined: no limit. */
  timetable?: Timetable;
  timeZone?: string;
  /** Back off when the link's queueing delay rises (LEDBAT-like), under the timetable's limit. */
  adaptive?: boolean;
  chunk?: { targetSeconds?: number; minBytes?: number; maxBytes?: number };
  /** Minimum share of the link for video originals (0–1). Default 0.2. */
  videoShare?: number;
  /** No byte moves for this long: the request is given up and resumed. Default 60 s. */
  stallTimeoutMs?: number;
  /** How often ratings, deletions and new items are looked for. Default 500 ms. */
  pollMs?: number;
  /** How often HQ's op log is pulled. Default 60 s. */
  pullOpsEveryMs?: number;
  /** Longest wait between two tries while HQ is unreachable. Default 30 s. */
  maxBackoffMs?: number;
  /** Remove local originals HQ confirmed (offload.ts). Default `never` here; config says `recordings`. */
  deleteAfterUpload?: OffloadPolicy;
  /** Before removing, the mirror drive must hold the item too: not known yet, so nothing is removed. */
  deleteRequiresMirror?: boolean;
}

export interface UplinkDeps {
  catalog: Catalog;
  driveRoot: string;
  target: UploadTarget;
  now: () => number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  log: Logger;
  random?: RandomSource;
  onStatus?: (s: UplinkStatus) => void;
  /** Wi-Fi link quality (`/proc/net/wireless`); undefined on wired boxes. */
  readLink?: () => Promise<LinkHint | undefined>;
}

export type UplinkState =
  'starting' | 'idle' | 'sending' | 'paused' | 'offline' | 'hq-error' | 'auth-failed' | 'stopped';

export interface UplinkStatus {
  state: UplinkState;
  target: string;
  /** Measured throughput, bytes/s (smoothed over recent chunks). */
  rateBps: number | null;
  /** The limit in force now (timetable and adaptive), bytes/s; null: none. */
  limitBps: number | null;
  queue: Record<TransferClass, { transfers: number; bytes: number }>;
  pendingBytes: number;
  etaSeconds: number | null;
  /** This run: body bytes sent, bytes sent again after a cut, transfers finished. */
  sentBytes: number;
  resentBytes: number;
  finished: number;
  opsPending: number;
  current: {
    item: string;
    rendition: UploadRendition;
    cls: TransferClass;
    offset: number;
    size: number;
  } | null;
  lastError: { message: string; at: string } | null;
  /** Wi-Fi link quality when the station's link is wireless (poor: shorter chunks). */
  link: LinkHint | null;
}

type OpRow = Omit<Op, 'value'> & { seq: number; value: string };

interface Live {
  key: string;
  row: JournalRow;
  cls: TransferClass;
  size: number;
  offset: number;
  /** The journal's offset is known to be HQ's (false after any failure and at start). */
  offsetKnown: boolean;
  url: string | null;
  haveChecked: boolean;
  /** Highest byte ever handed to the socket, to count what is sent twice. */
  highWater: number;
  path: string;
}

const ESTIMATE: Record<UploadRendition, number> = { original: 0, thumb: 20_000, preview: 200_000 };
const HAVE_BATCH = 200;
const FACTS_BATCH = 500;
const OPS_BATCH = 1000;
/** Rating and priority changes, tombstones: what can reorder or cancel the queue. */
const WATCHED_FIELDS = new Set(['rating', 'priority', 'deleted']);

/**
 * The station's uplink: pushes ops and item facts, then the most important pending bytes chunk
 * by chunk (scheduler.ts), resuming every upload from the offset HQ confirmed. Never gives up:
 * offline, stalls and HQ errors back off with jitter and resume when the link returns.
 */
export class UplinkRunner {
  private readonly journal: Journal;
  private readonly scheduler: UplinkScheduler;
  private readonly sizer: ChunkSizer;
  private readonly linkBackoff: Backoff;
  private readonly transferBackoff: Backoff;
  private readonly adaptive: AdaptiveRate | undefined;
  private readonly pacer = new Pacer();
  private bucket: TokenBucket | undefined;
  private readonly live = new Map<string, Live>();
  private state: UplinkState = 'starting';
  private lastError: UplinkStatus['lastError'] = null;
  private current: Live | null = null;
  private preempt = false;
  private sentBytes = 0;
  private resentBytes = 0;
  private finished = 0;
  private dataVersion = -1;
  private lastOpSeq = 0;
  private lastDeferredTryMs = 0;
  private lastItemMark = '';
  private lastPullMs = -Infinity;
  private link: LinkHint | null = null;
  private lastLinkMs = -Infinity;
  private readonly s: Required<Omit<UplinkSettings, 'timetable' | 'timeZone' | 'chunk'>> & UplinkSettings;
  /** Originals HQ has: to confirm once more and remove (delete-after-upload policy). */
  private readonly offloads: string[] = [];

  constructor(
    private readonly deps: UplinkDeps,
    settings: UplinkSettings,
  ) {
    this.s = {
      adaptive: false,
      videoShare: 0.2,
      stallTimeoutMs: 60_000,
      pollMs: 500,
      pullOpsEveryMs: 60_000,
      maxBackoffMs: 30_000,
      deleteAfterUpload: 'never',
      deleteRequiresMirror: false,
      ...settings,
    };
    this.journal = new Journal(deps.catalog, deps.target.name);
    this.scheduler = new UplinkScheduler({ minShare: { video: this.s.videoShare } });
    this.sizer = new ChunkSizer(settings.chunk ?? {});
    this.linkBackoff = new Backoff({ baseMs: 1000, capMs: this.s.maxBackoffMs }, deps.random);
    this.transferBackoff = new Backoff({ baseMs: 5000, capMs: 3_600_000 }, deps.random);
    this.adaptive = this.s.adaptive ? new AdaptiveRate({}) : undefined;
  }

  /** Send until `signal` aborts (the station), or until nothing is left (`once`). */
  async run(signal: AbortSignal, opts: { once?: boolean } = {}): Promise<UplinkStatus> {
    this.load();
    const watch = setInterval(() => this.watch(), this.s.pollMs);
    try {
      while (!signal.aborted) {
        // The transfer being worked on when something fails (undefined: ops, facts, the ops pull).
        let working: Live | undefined;
        try {
          if (await this.pushOpsAndFacts(signal)) continue;
          if (await this.offload(signal)) continue;
          await this.pullOps(signal);
          const limit = this.applyLimit();
          if (limit === 0) {
            this.setState('paused');
            if (opts.once) break;
            await this.deps.sleep(60_000, signal);
            continue;
          }
          const decision = this.scheduler.next(this.deps.now());
          if (!decision) {
            const pendingLater = this.scheduler.size > 0;
            this.setState('idle');
            if (opts.once && !pendingLater) break;
            const wake = this.scheduler.nextWakeAt();
            const wait = wake === undefined || wake === Infinity ? this.s.pollMs * 4 : wake - this.deps.now();
            await this.deps.sleep(Math.max(50, Math.min(wait, 5_000)), signal);
            if (opts.once && pendingLater && this.allParked()) break;
            continue;
          }
          working = this.live.get(decision.id)!;
          await this.sendChunk(working, signal);
          this.linkBackoff.reset();
        } catch (e) {
          if (signal.aborted) break;
          const stop = await this.onFailure(e, signal, opts.once ?? false, working);
          if (stop) break;
        }
      }
    } finally {
      clearInterval(watch);
      this.current = null;
      this.setState('stopped');
    }
    return this.status();
  }

  status(): UplinkStatus {
    const queue = Object.fromEntries(
      TRANSFER_CLASSES.map((c) => [c, { transfers: 0, bytes: 0 }]),
    ) as UplinkStatus['queue'];
    let pending = 0;
    for (const l of this.live.values()) {
      const q = queue[l.cls];
      q.transfers++;
      q.bytes += l.size - l.offset;
      pending += l.size - l.offset;
    }
    const rate = this.sizer.throughputBps ?? null;
    const cur = this.current;
    return {
      state: this.state,
      target: this.deps.target.name,
      rateBps: rate === null ? null : Math.round(rate),
      limitBps: this.bucket ? Math.round(this.bucket.rate) : null,
      queue,
      pendingBytes: pending,
      etaSeconds: rate && pending ? Math.round(pending / rate) : pending ? null : 0,
      sentBytes: this.sentBytes,
      resentBytes: this.resentBytes,
      finished: this.finished,
      opsPending: this.opsPending(),
      current: cur
        ? {
            item: cur.row.item,
            rendition: cur.row.rendition,
            cls: cur.cls,
            offset: cur.offset,
            size: cur.size,
          }
        : null,
      lastError: this.lastError,
      link: this.link,
    };
  }

  // ---------------------------------------------------------------- queue

  private nowIso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  private load(): void {
    if (this.s.deleteAfterUpload !== 'never')
      void finishOffloads(this.deps.catalog, this.deps.driveRoot).catch((err: unknown) =>
        this.deps.log.warn({ err }, 'uplink: could not finish removing offloaded originals'),
      );
    const now = this.nowIso();
    this.journal.cancelDeleted(now);
    this.journal.enqueueNew(now);
    for (const row of this.journal.open()) this.track(row);
    this.lastOpSeq = this.maxOpSeq();
    this.lastItemMark = this.itemMark();
    this.dataVersion = this.readDataVersion();
  }

  private track(row: JournalRow): void {
    const key = transferKey(row.item, row.rendition);
    const known = this.live.get(key);
    const cls = classify({
      rendition: row.rendition,
      type: row.type,
      rating: row.rating,
      priority: row.priority,
    });
    if (known) {
      known.row = row;
      if (known.cls !== cls) {
        known.cls = cls;
        this.scheduler.setClass(key, cls);
      }
      return;
    }
    const size = row.size ?? (row.rendition === 'original' ? row.itemSize : ESTIMATE[row.rendition]);
    const rel =
      row.rendition === 'original'
        ? row.path
        : derivedRelPath(
            row.item,
            row.rendition === 'thumb' ? 'thumb' : row.hasPreview ? 'preview' : 'poster',
          );
    const l: Live = {
      key,
      row,
      cls,
      size,
      offset: row.offset,
      offsetKnown: false,
      url: row.uploadUrl,
      haveChecked: false,
      highWater: row.offset,
      path: join(this.deps.driveRoot, rel),
    };
    this.live.set(key, l);
    this.scheduler.upsert({ id: key, cls, size, remaining: Math.max(0, size - l.offset) });
  }

  private untrack(l: Live): void {
    this.live.delete(l.key);
    this.scheduler.remove(l.key);
  }

  private allParked(): boolean {
    return this.scheduler.nextWakeAt() === Infinity;
  }

  private readDataVersion(): number {
    return Number(this.deps.catalog.sqlite.pragma('data_version', { simple: true }));
  }

  private maxOpSeq(): number {
    const r = this.deps.catalog.sqlite.prepare('select max(seq) as s from ops').get() as { s: number | null };
    return r.s ?? 0;
  }

  private itemMark(): string {
    const r = this.deps.catalog.sqlite
      .prepare(
        "select count(*) as n, max(rowid) as m, sum(has_thumb + has_preview + has_poster) as d from items where state = 'stored'",
      )
      .get() as { n: number; m: number | null; d: number | null };
    return `${r.n}:${r.m}:${r.d}`;
  }

  /**
   * Another connection (the web app, ingest) changed the catalogue: re-class items whose rating
   * or priority changed, drop deleted ones, queue new ones. A more important transfer than
   * the one on the wire ends the current request early (it resumes later where it stopped).
   */
  private watch(): void {
    try {
      const v = this.readDataVersion();
      if (v === this.dataVersion) return;
      this.dataVersion = v;
      const changed = this.deps.catalog.sqlite
        .prepare('select seq, entity_id as id, field from ops where seq > ? and entity = ? order by seq')
        .all(this.lastOpSeq, 'item' as OpEntity) as { seq: number; id: string; field: string }[];
      if (changed.length) this.lastOpSeq = changed.at(-1)!.seq;
      const items = [...new Set(changed.filter((c) => WATCHED_FIELDS.has(c.field)).map((c) => c.id))];
      if (items.length) {
        const now = this.nowIso();
        this.journal.cancelDeleted(now);
        const open = this.journal.openOf(items);
        const stillOpen = new Set(open.map((r) => transferKey(r.item, r.rendition)));
        for (const id of items)
          for (const r of ['original', 'thumb', 'preview'] as const) {
            const l = this.live.get(transferKey(id, r));
            if (l && !stillOpen.has(l.key)) this.untrack(l);
          }
        for (const row of open) this.track(row);
      }
      const mark = this.itemMark();
      if (mark !== this.lastItemMark) {
        this.lastItemMark = mark;
        if (this.journal.enqueueNew(this.nowIso()) > 0)
          for (const row of this.journal.open())
            if (!this.live.has(transferKey(row.item, row.rendition))) this.track(row);
      }
      const cur = this.current;
      if (cur) {
        const best = this.scheduler.next(this.deps.now());
        if (best && best.id !== cur.key && CLASS_RANK[best.cls] < CLASS_RANK[cur.cls]) this.preempt = true;
      }
    } catch (e) {
      this.deps.log.warn({ err: e }, 'uplink: could not check the catalogue for changes');
    }
  }

  // ---------------------------------------------------------------- ops and facts

  private opsPending(): number {
    const cursor = this.journal.cursor('ops-pushed');
    const r = this.deps.catalog.sqlite
      .prepare('select count(*) as n from ops where seq > ? and origin = ?')
      .get(cursor, this.s.node) as { n: number };
    return r.n;
  }

  /** One sync request when ops or item facts are waiting; true when one was sent. */
  private async pushOpsAndFacts(signal: AbortSignal): Promise<boolean> {
    const cat = this.deps.catalog;
    const cursor = this.journal.cursor('ops-pushed');
    // Ops HQ refused as stamped ahead of its clock wait here and go again once a minute: their
    // time comes (or this station's clock is set right). Every other refusal is final.
    const deferred = this.journal.deferredOps();
    const retryDeferred =
      deferred.length > 0 && this.deps.now() - this.lastDeferredTryMs >= this.s.pullOpsEveryMs;
    const rows = [
      ...(retryDeferred ? this.opRows(deferred.slice(0, OPS_BATCH)) : []),
      ...(cat.sqlite
        .prepare(
          'select seq, hlc, origin, entity, entity_id as id, field, value from ops where seq > ? and origin = ? order by seq limit ?',
        )
        .all(cursor, this.s.node, OPS_BATCH) as OpRow[]),
    ];
    const factIds = this.journal.itemsNeedingFacts(FACTS_BATCH);
    if (rows.length === 0 && factIds.length === 0) return false;
    if (retryDeferred) this.lastDeferredTryMs = this.deps.now();
    // HQ takes ops about items it holds only: an op travels with its item's facts if they are not there yet.
    const withFacts = new Set(factIds);
    for (const r of rows)
      if (r.entity === 'item' && !withFacts.has(r.id) && !this.journal.factsKnown(r.id)) withFacts.add(r.id);
    const facts = [...withFacts]
      .map((id) => cat.sqlite.prepare('select * from items where id = ?').get(id) as ItemRow | undefined)
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
    const res = await this.deps.target.sync({ items: facts, ops }, signal);
    this.noteRefused(rows, res.refused ?? [], deferred);
    const newest = rows.filter((r) => r.seq > cursor).at(-1);
    if (newest) this.journal.setCursor('ops-pushed', newest.seq);
    // Items with no row (gone) count as told too: their transfers end on their own.
    this.journal.factsSent([...new Set([...factIds, ...facts.map((f) => f.id)])]);
    return true;
  }

  private opRows(seqs: number[]): OpRow[] {
    if (!seqs.length) return [];
    return this.deps.catalog.sqlite
      .prepare(
        `select seq, hlc, origin, entity, entity_id as id, field, value from ops where seq in (${seqs.map(() => '?').join(',')}) order by seq`,
      )
      .all(...seqs) as OpRow[];
  }

  /** Keep clock-refused ops for later, report the rest (they stay in this station's catalogue). */
  private noteRefused(rows: OpRow[], refused: SyncRefusal[], deferredBefore: number[]): void {
    const sent = new Set(rows.map((r) => r.seq));
    const later = new Set(deferredBefore.filter((s) => !sent.has(s)));
    const final: SyncRefusal[] = [];
    for (const r of refused) {
      const row = rows[r.index];
      if (!row) continue;
      if (r.code === 'OP_CLOCK_AHEAD') later.add(row.seq);
      else final.push(r);
    }
    this.journal.setDeferredOps([...later].sort((a, b) => a - b).slice(-10_000));
    const clock = refused.filter((r) => r.code === 'OP_CLOCK_AHEAD');
    if (clock.length) {
      this.lastDeferredTryMs = this.deps.now();
      this.deps.log.warn(
        { refused: clock.length, first: clock[0] },
        'uplink: HQ refused ops stamped ahead of its clock',
      );
      this.lastError = {
        message: `HQ refused ${clock.length} edit(s) stamped ahead of its clock (${clock[0]!.message}): this station's clock is ahead; set it right (timedatectl). They are sent again every minute.`,
        at: this.nowIso(),
      };
    }
    if (final.length) {
      this.deps.log.warn(
        { refused: final.length, first: final[0] },
        'uplink: HQ refused ops (kept here, not sent again)',
      );
      this.lastError = {
        message: `HQ refused ${final.length} edit(s): ${final[0]!.code} ${final[0]!.message}. They stay on this station.`,
        at: this.nowIso(),
      };
    }
  }

  private async pullOps(signal: AbortSignal): Promise<void> {
    if (this.deps.now() - this.lastPullMs < this.s.pullOpsEveryMs) return;
    this.lastPullMs = this.deps.now();
    for (;;) {
      const since = this.journal.cursor('ops-pulled');
      const t0 = this.deps.now();
      const r = await this.deps.target.pullOps(since, signal);
      if (r.ops.length === 0) this.pacer.observeRtt(this.deps.now() - t0);
      let held = false;
      if (r.ops.length) {
        const pulled = mergePulledOps(this.deps.catalog, r.ops, {
          node: this.s.node,
          nowMs: this.deps.now(),
          ...(r.node ? { hqNode: r.node } : {}),
        });
        if (pulled.refused.length) this.reportPullRefusals(pulled.refused);
        // An op stamped ahead of this clock is not lost: the page is read again at the next pull
        // (ops already merged are idempotent), once this clock has caught up or been set right.
        held = pulled.refused.some((x) => x.code === 'OP_CLOCK_AHEAD');
        if (pulled.attributesChanged.length)
          await rewriteSidecars(this.deps.catalog, this.deps.driveRoot, pulled.attributesChanged).catch(
            (e: unknown) =>
              this.deps.log.warn({ err: e }, 'uplink: sidecars of edits from HQ not written yet'),
          );
      }
      if (held) return;
      if (r.cursor > since) this.journal.setCursor('ops-pulled', r.cursor);
      if (r.ops.length < OPS_BATCH || r.cursor <= since) return;
    }
  }

  private reportPullRefusals(refused: RefusedOp[]): void {
    this.deps.log.warn({ refused: refused.length, first: refused[0] }, 'uplink: ops from HQ not merged');
    const clock = refused.find((r) => r.code === 'OP_CLOCK_AHEAD');
    this.lastError = {
      message: clock
        ? `edits from HQ are stamped ahead of this station's clock (${clock.message}): set this station's clock right (timedatectl); they are merged once it is.`
        : `${refused.length} op(s) from HQ not merged: ${refused[0]!.code} ${refused[0]!.message}`,
      at: this.nowIso(),
    };
  }

  // ---------------------------------------------------------------- bytes

  /** The limit in force now: timetable, under it the adaptive rate. 0 = paused. */
  private applyLimit(): number {
    const now = this.deps.now();
    const table = this.s.timetable ? rateAt(this.s.timetable, new Date(now), this.s.timeZone) : Infinity;
    if (table === 0) return 0;
    let limit = Math.min(table, this.pacer.rate(this.sizer.throughputBps));
    if (this.adaptive) {
      this.adaptive.setCeiling(table);
      limit = Math.min(limit, this.adaptive.rate);
    }
    // A small burst: whatever the bucket lets out at once sits in socket buffers, and a cut
    // loses it. 50 ms of the rate (at least 32 KiB) absorbs timer lateness, no more.
    const burst = Math.max(32 * 1024, limit * 0.05);
    if (limit === Infinity) this.bucket = undefined;
    else if (!this.bucket) this.bucket = new TokenBucket({ rateBps: limit, burstBytes: burst, nowMs: now });
    else if (Math.abs(this.bucket.rate - limit) > 1) this.bucket.setRate(limit, now, burst);
    return limit;
  }

  private async readLink(): Promise<void> {
    if (!this.deps.readLink || this.deps.now() - this.lastLinkMs < 30_000) return;
    this.lastLinkMs = this.deps.now();
    this.link = (await this.deps.readLink().catch(() => undefined)) ?? null;
  }

  /** Size and hash of a derivative (an original's are its catalogue size and id). */
  private async describe(l: Live): Promise<void> {
    if (l.row.size !== null && l.row.sha256) return;
    let size = l.row.itemSize;
    let sha = l.row.item;
    if (l.row.rendition !== 'original') {
      size = (await stat(l.path)).size;
      sha = await hashFile(l.path);
    }
    this.journal.describe(l.row.item, l.row.rendition, size, sha, this.nowIso());
    l.row = { ...l.row, size, sha256: sha };
    l.size = size;
    this.scheduler.upsert({ id: l.key, cls: l.cls, size, remaining: Math.max(0, size - l.offset) });
  }

  /** Ask HQ about this transfer and the next few not asked yet: what it has moves no bytes. */
  private async checkHave(first: Live, signal: AbortSignal): Promise<void> {
    const batch = [first];
    for (const l of this.live.values()) {
      if (batch.length >= HAVE_BATCH) break;
      if (l !== first && !l.url && !l.haveChecked && (l.row.rendition === 'original' || l.row.sha256))
        batch.push(l);
    }
    for (const l of batch) await this.describe(l);
    const have = await this.deps.target.have(
      batch.map((l) => ({ item: l.row.item, rendition: l.row.rendition, sha256: l.row.sha256! })),
      signal,
    );
    batch.forEach((l, i) => {
      l.haveChecked = true;
      if (have[i]) this.complete(l);
    });
  }

  private complete(l: Live): void {
    this.journal.done(l.row.item, l.row.rendition, this.nowIso());
    this.untrack(l);
    this.finished++;
    if (l.row.rendition === 'original' && this.s.deleteAfterUpload !== 'never')
      this.offloads.push(l.row.item);
  }

  /**
   * Remove originals the policy lets go, each only after HQ confirms once more that it holds
   * verified bytes with that hash. Refused (kept) when a mirror is required: the station does
   * not know the second drive's contents yet.
   */
  private async offload(signal: AbortSignal): Promise<boolean> {
    if (this.offloads.length === 0 || this.s.deleteRequiresMirror) {
      this.offloads.length = 0;
      return false;
    }
    const ids = this.offloads.splice(0, HAVE_BATCH);
    const rows = ids
      .map(
        (id) =>
          this.deps.catalog.sqlite.prepare('select id, card_id from items where id = ?').get(id) as
            { id: string; card_id: string | null } | undefined,
      )
      .filter(
        (r): r is { id: string; card_id: string | null } => !!r && offloadWanted(this.s.deleteAfterUpload, r),
      );
    if (rows.length === 0) return false;
    const have = await this.deps.target.have(
      rows.map((r) => ({ item: r.id, rendition: 'original' as const, sha256: r.id })),
      signal,
    );
    for (const [i, r] of rows.entries())
      if (have[i] && (await offloadOriginal(this.deps.catalog, this.deps.driveRoot, r.id)))
        this.deps.log.info({ item: r.id }, 'uplink: original at HQ (hash confirmed), removed here');
    return true;
  }

  private async ensureFacts(item: string, signal: AbortSignal): Promise<void> {
    if (this.journal.factsKnown(item)) return;
    const row = this.deps.catalog.sqlite.prepare('select * from items where id = ?').get(item) as ItemRow;
    await this.deps.target.sync({ items: [itemFacts(row)], ops: [] }, signal);
    this.journal.factsSent([item]);
  }

  private async sendChunk(l: Live, signal: AbortSignal): Promise<void> {
    await this.describe(l);
    if (!l.url && !l.haveChecked) {
      await this.checkHave(l, signal);
      if (!this.live.has(l.key)) return;
    }
    if (l.url && !l.offsetKnown) {
      const t0 = this.deps.now();
      l.offset = await this.deps.target.offset(l.url, signal);
      // A HEAD on a link no body is queued on: a bare round trip for the pacer's base.
      this.pacer.observeRtt(this.deps.now() - t0);
      l.offsetKnown = true;
      this.journal.progress(l.row.item, l.row.rendition, l.url, l.offset, this.nowIso());
      this.scheduler.upsert({
        id: l.key,
        cls: l.cls,
        size: l.size,
        remaining: Math.max(0, l.size - l.offset),
      });
      if (l.offset >= l.size) {
        // Every byte arrived before the answer was lost: HQ has verified it, or it will say so.
        const [has] = await this.deps.target.have(
          [{ item: l.row.item, rendition: l.row.rendition, sha256: l.row.sha256! }],
          signal,
        );
        if (has) return this.complete(l);
        throw new UploadFailure('gone', 'HQ holds all bytes but not a verified object');
      }
    }
    if (!l.url) await this.ensureFacts(l.row.item, signal);
    if (!l.url && l.size > this.sizer.next(l.size)) {
      // More than one request's worth: create the upload empty and journal its URL first, so a
      // station killed during the first chunk resumes it instead of starting a new upload.
      const c = await this.deps.target.create(newUpload(l), emptyBody(), signal);
      l.url = c.url;
      l.offset = c.offset;
      l.offsetKnown = true;
      this.journal.progress(l.row.item, l.row.rendition, l.url, l.offset, this.nowIso());
    }

    await this.readLink();
    // On a poor Wi-Fi link a cut is likely: shorter requests lose less when it comes.
    const budget = Math.max(
      SLICE,
      Math.floor(this.sizer.next(l.size - l.offset) * (this.link === 'poor' ? 0.5 : 1)),
    );
    let pos = l.offset;
    this.current = l;
    this.preempt = false;
    this.setState('sending');
    const body = fileBody({
      path: l.path,
      start: l.offset,
      budget,
      ...(this.bucket ? { bucket: this.bucket } : {}),
      now: this.deps.now,
      sleep: (ms) => this.deps.sleep(ms, signal),
      shouldYield: () => this.preempt,
      minBytes: 4 * SLICE,
      onSlice: (n) => {
        this.sentBytes += n;
        if (pos < l.highWater) this.resentBytes += Math.min(n, l.highWater - pos);
        pos += n;
        l.highWater = Math.max(l.highWater, pos);
      },
    });
    const t0 = this.deps.now();
    try {
      let r;
      if (!l.url) {
        const c = await this.deps.target.create(newUpload(l), body, signal);
        l.url = c.url;
        r = c;
      } else r = await this.deps.target.append(l.url, l.offset, body, signal);
      const ms = this.deps.now() - t0;
      // The link was busy for the whole request but the bare round trip at its end.
      const rtt = Math.min(this.pacer.baseMs ?? 0, r.drainMs);
      // The last slice was still on its way when the body ended: its own transmission time is
      // not queueing (at 256 kbit/s a 16 KiB slice alone takes 0.5 s).
      const lastSliceMs = this.sizer.throughputBps ? (SLICE * 1000) / this.sizer.throughputBps : 0;
      this.pacer.observe(Math.max(0, r.drainMs - lastSliceMs));
      this.deps.log.debug(
        {
          cls: l.cls,
          sent: r.sent,
          ms,
          drainMs: r.drainMs,
          paceBps: this.bucket?.rate,
          estBps: this.sizer.throughputBps,
        },
        'uplink chunk',
      );
      this.sizer.observe(r.sent, Math.max(ms - rtt, 1));
      this.adaptive?.observe({
        rttMs: r.drainMs,
        nowMs: this.deps.now(),
        ...(ms > 0 ? { deliveredBps: (r.sent * 1000) / ms } : {}),
      });
      this.scheduler.sent(l.key, r.offset - l.offset);
      l.offset = r.offset;
      l.offsetKnown = true;
      if (l.offset >= l.size) this.complete(l);
      else {
        this.journal.progress(l.row.item, l.row.rendition, l.url, l.offset, this.nowIso());
        this.scheduler.upsert({ id: l.key, cls: l.cls, size: l.size, remaining: l.size - l.offset });
      }
    } catch (e) {
      l.offsetKnown = false;
      if (e instanceof UploadFailure && e.kind === 'stalled') this.sizer.observeStall();
      throw e;
    } finally {
      this.current = null;
    }
  }

  // ---------------------------------------------------------------- failures

  /** What a failure means for the link and the transfer; true: stop (`once` and offline). */
  private async onFailure(
    e: unknown,
    signal: AbortSignal,
    once: boolean,
    target: Live | undefined,
  ): Promise<boolean> {
    const f =
      e instanceof UploadFailure
        ? e
        : new UploadFailure('rejected', e instanceof Error ? e.message : String(e));
    this.lastError = { message: f.message, at: this.nowIso() };
    switch (f.kind) {
      case 'offline':
      case 'stalled':
      case 'server': {
        this.setState(f.kind === 'server' ? 'hq-error' : 'offline');
        this.deps.log.info({ err: f.message }, 'uplink: HQ not reachable; resuming when it is');
        if (once) return true;
        await this.deps.sleep(this.linkBackoff.fail(), signal);
        return false;
      }
      case 'auth':
        this.setState('auth-failed');
        this.deps.log.error(
          { err: f.message },
          'uplink: HQ refuses this station key: check uplink.hq.key (or make one with `outpost hq keys add`)',
        );
        if (once) return true;
        await this.deps.sleep(60_000, signal);
        return false;
      case 'conflict':
        return false; // next chunk asks HQ for its offset first
      case 'gone':
      case 'checksum':
        if (target) await this.restart(target, f);
        return false;
      case 'rejected':
      default:
        if (target) {
          this.journal.failed(target.row.item, target.row.rendition, f.message, this.nowIso());
          const attempts = target.row.attempts + 1;
          target.row = { ...target.row, attempts };
          this.scheduler.defer(
            target.key,
            this.deps.now() + Math.min(3_600_000, 5000 * 2 ** Math.min(attempts, 10)),
          );
        }
        this.deps.log.warn(
          { err: f.message, item: target?.row.item },
          'uplink: transfer failed; it is retried later',
        );
        return false;
    }
  }

  private async restart(l: Live, f: UploadFailure): Promise<void> {
    if (f.kind === 'checksum' && l.row.rendition === 'original') {
      const actual = await hashFile(l.path).catch(() => 'unreadable');
      if (actual !== l.row.item) {
        // The drive's copy no longer matches its name: never send it, say so loudly.
        this.journal.failed(
          l.row.item,
          l.row.rendition,
          `the original on the drive is damaged (${actual.slice(0, 12)}…): run \`outpost fsck --hash\``,
          this.nowIso(),
        );
        this.scheduler.defer(l.key, Infinity);
        this.deps.log.error(
          { item: l.row.item, path: l.path },
          'uplink: original on the drive does not match its hash; not sent',
        );
        return;
      }
    }
    this.journal.restart(l.row.item, l.row.rendition, f.message, this.nowIso());
    l.url = null;
    l.offset = 0;
    // highWater stays: bytes sent again from 0 count as resent.
    l.haveChecked = false;
    l.row = {
      ...l.row,
      sha256: l.row.rendition === 'original' ? l.row.sha256 : null,
      size: l.row.rendition === 'original' ? l.row.size : null,
    };
    this.scheduler.upsert({ id: l.key, cls: l.cls, size: l.size, remaining: l.size });
  }

  private setState(s: UplinkState): void {
    if (s === this.state && s !== 'sending') return;
    this.state = s;
    this.deps.onStatus?.(this.status());
  }
}

/** What the target is told when an upload is created. */
function newUpload(l: Live): NewUpload {
  return {
    item: l.row.item,
    rendition: l.row.rendition,
    sha256: l.row.sha256!,
    size: l.size,
    name: l.row.originalName,
  };
}

// eslint-disable-next-line require-yield -- a body with no bytes
async function* emptyBody(): AsyncGenerator<Buffer> {
  return;
}
