/**
 * The uplink scheduler: at every chunk boundary, which pending transfer sends next.
 *
 * Policy (issue 4 §2):
 * - the most important class with ready work wins (see `TRANSFER_CLASSES`);
 * - inside a class, shortest remaining first (ties: smaller id), so small things finish and
 *   leave the queue, and a half-sent file is preferred over starting a new one of the same size;
 * - a class with a minimum share (default: video 20 %) that has fallen below it over the
 *   recent window of sent bytes goes first, so video still moves under a flood of photos; the
 *   share is a floor, never a reservation: a class above its floor competes by rank only;
 * - transfers in backoff (`notBefore` in the future) are skipped until then.
 *
 * Pure and deterministic: no clock (times are passed in), no I/O. Each decision is
 * O(k log n) where k is the number of transfers whose backoff just ended; updates are O(log n).
 */
import { CLASS_RANK, TRANSFER_CLASSES, type TransferClass } from './classes.js';
import { IndexedHeap } from './indexed-heap.js';

export interface PendingTransfer {
  /** Unique id (e.g. the journal row id). Ties in the order are broken by it. */
  id: string;
  cls: TransferClass;
  /** Total bytes of the object. */
  size: number;
  /** Bytes still to send. */
  remaining: number;
  /**
   * Not eligible before this time (ms, same clock as `next(nowMs)`): the end of a backoff.
   * `Infinity` parks the transfer (e.g. while another worker has it in flight).
   */
  notBefore?: number;
}

export interface SchedulerOptions {
  /**
   * Minimum share of sent bytes each class gets while it has ready work, as a fraction 0–1.
   * Default `{ video: 0.2 }`. The shares must add up to at most 1.
   */
  minShare?: Partial<Record<TransferClass, number>>;
  /**
   * Length of the window over which shares are measured, in bytes: each byte's weight decays
   * by e^-(bytes sent since)/window. Default 64 MiB; about 20 chunks of the link is a good size.
   */
  shareWindowBytes?: number;
  /**
   * Shares are only enforced once this many (decayed) bytes have been sent, so a cold start
   * sends ops and thumbnails first instead of "catching video up" from zero. Default 1 MiB.
   */
  shareWarmupBytes?: number;
}

export interface Decision {
  id: string;
  cls: TransferClass;
  remaining: number;
  /** `rank`: best class by order; `share`: a class below its minimum share went first. */
  reason: 'rank' | 'share';
}

const DEFAULT_WINDOW = 64 * 1024 * 1024;
const DEFAULT_WARMUP = 1024 * 1024;

function srfLess(a: PendingTransfer, b: PendingTransfer): boolean {
  if (a.remaining !== b.remaining) return a.remaining < b.remaining;
  return a.id < b.id;
}

function wakeLess(a: PendingTransfer, b: PendingTransfer): boolean {
  const x = a.notBefore ?? 0;
  const y = b.notBefore ?? 0;
  if (x !== y) return x < y;
  return a.id < b.id;
}

const keyOf = (t: PendingTransfer): string => t.id;

export class UplinkScheduler {
  private readonly ready = new Map<TransferClass, IndexedHeap<PendingTransfer>>();
  private readonly waiting = new IndexedHeap<PendingTransfer>(keyOf, wakeLess);
  private readonly all = new Map<string, PendingTransfer>();
  private readonly sentBy = new Map<TransferClass, number>();
  private readonly minShare: ReadonlyArray<readonly [TransferClass, number]>;
  private readonly window: number;
  private readonly warmup: number;

  constructor(opts: SchedulerOptions = {}) {
    const shares = opts.minShare ?? { video: 0.2 };
    let sum = 0;
    const list: [TransferClass, number][] = [];
    for (const c of TRANSFER_CLASSES) {
      const s = shares[c] ?? 0;
      if (!(s >= 0 && s <= 1)) throw new RangeError(`minShare.${c} must be between 0 and 1, got ${s}`);
      sum += s;
      if (s > 0) list.push([c, s]);
    }
    if (sum > 1 + 1e-9) throw new RangeError(`minShare values add up to ${sum}, more than 1`);
    this.minShare = list;
    this.window = opts.shareWindowBytes ?? DEFAULT_WINDOW;
    if (!(this.window > 0)) throw new RangeError('shareWindowBytes must be positive');
    this.warmup = opts.shareWarmupBytes ?? DEFAULT_WARMUP;
    for (const c of TRANSFER_CLASSES) {
      this.ready.set(c, new IndexedHeap(keyOf, srfLess));
      this.sentBy.set(c, 0);
    }
  }

  /** Number of transfers known (ready, waiting or parked). */
  get size(): number {
    return this.all.size;
  }

  has(id: string): boolean {
    return this.all.has(id);
  }

  /** A copy of a transfer's current state. */
  get(id: string): PendingTransfer | undefined {
    const t = this.all.get(id);
    return t && { ...t };
  }

  /** Add a transfer, or replace one with the same id (class, remaining, backoff may change). */
  upsert(t: PendingTransfer): void {
    if (!Number.isFinite(t.remaining) || t.remaining < 0) throw new RangeError(`bad remaining for ${t.id}`);
    this.detach(t.id);
    const copy: PendingTransfer = { ...t };
    this.all.set(copy.id, copy);
    this.attach(copy);
  }

  /** Drop a transfer (finished, or abandoned). */
  remove(id: string): boolean {
    const had = this.detach(id);
    this.all.delete(id);
    return had;
  }

  /** Move a transfer to another class, e.g. after its item was rated; it competes at once. */
  setClass(id: string, cls: TransferClass): void {
    const t = this.all.get(id);
    if (!t || t.cls === cls) return;
    this.detach(id);
    t.cls = cls;
    this.attach(t);
  }

  /** Keep a transfer out of the choice until `untilMs` (a backoff). `Infinity` parks it. */
  defer(id: string, untilMs: number): void {
    const t = this.all.get(id);
    if (!t) return;
    this.detach(id);
    t.notBefore = untilMs;
    this.attach(t);
  }

  /** Make a deferred or parked transfer eligible again now. */
  resume(id: string): void {
    const t = this.all.get(id);
    if (!t) return;
    this.detach(id);
    delete t.notBefore;
    this.attach(t);
  }

  /**
   * Account for bytes that went out for a transfer: lowers its remaining bytes and credits
   * its class for the share rule. Call it with what was actually sent (a cut-off chunk counts
   * what HQ acknowledged). An unknown id still credits nothing and is ignored.
   */
  sent(id: string, bytes: number): void {
    const t = this.all.get(id);
    if (!t || !(bytes > 0)) return;
    this.credit(t.cls, bytes);
    const inReady = this.ready.get(t.cls)?.has(id) ?? false;
    t.remaining = Math.max(0, t.remaining - bytes);
    if (inReady) this.ready.get(t.cls)?.upsert(t);
  }

  /** Credit bytes to a class without a transfer (e.g. a sync request carrying ops). */
  credit(cls: TransferClass, bytes: number): void {
    if (!(bytes > 0)) return;
    const f = Math.exp(-bytes / this.window);
    for (const c of TRANSFER_CLASSES) this.sentBy.set(c, (this.sentBy.get(c) ?? 0) * f);
    this.sentBy.set(cls, (this.sentBy.get(cls) ?? 0) + bytes);
  }

  /** Each class's share of recently sent bytes (0–1; all 0 before anything was sent). */
  shares(): Record<TransferClass, number> {
    const total = this.totalSent();
    const out = {} as Record<TransferClass, number>;
    for (const c of TRANSFER_CLASSES) out[c] = total > 0 ? (this.sentBy.get(c) ?? 0) / total : 0;
    return out;
  }

  /** The transfer to send a chunk of now, or undefined when nothing is ready. */
  next(nowMs: number): Decision | undefined {
    this.wake(nowMs);
    let top: TransferClass | undefined;
    for (const c of TRANSFER_CLASSES) {
      if ((this.ready.get(c)?.size ?? 0) > 0) {
        top = c;
        break;
      }
    }
    if (top === undefined) return undefined;
    const chosen = this.shareClass(top) ?? top;
    const t = this.ready.get(chosen)?.peek() as PendingTransfer;
    return { id: t.id, cls: chosen, remaining: t.remaining, reason: chosen === top ? 'rank' : 'share' };
  }

  /** When the earliest deferred transfer becomes ready (undefined if none, Infinity if only parked ones). */
  nextWakeAt(): number | undefined {
    return this.waiting.peek()?.notBefore;
  }

  /** Counts per class of transfers ready to go at `nowMs`. */
  readyCounts(nowMs: number): Record<TransferClass, number> {
    this.wake(nowMs);
    const out = {} as Record<TransferClass, number>;
    for (const c of TRANSFER_CLASSES) out[c] = this.ready.get(c)?.size ?? 0;
    return out;
  }

  private totalSent(): number {
    let total = 0;
    for (const v of this.sentBy.values()) total += v;
    return total;
  }

  /** A ready class below `top` whose share has fallen under its floor; the furthest below wins. */
  private shareClass(top: TransferClass): TransferClass | undefined {
    if (this.minShare.length === 0) return undefined;
    const total = this.totalSent();
    if (total < this.warmup) return undefined;
    let best: TransferClass | undefined;
    let bestRatio = 1;
    for (const [c, floor] of this.minShare) {
      if (CLASS_RANK[c] <= CLASS_RANK[top]) continue;
      if ((this.ready.get(c)?.size ?? 0) === 0) continue;
      const ratio = (this.sentBy.get(c) ?? 0) / total / floor;
      if (ratio < bestRatio) {
        bestRatio = ratio;
        best = c;
      }
    }
    return best;
  }

  private wake(nowMs: number): void {
    for (;;) {
      const w = this.waiting.peek();
      if (!w || (w.notBefore ?? 0) > nowMs) return;
      this.waiting.pop();
      delete w.notBefore;
      this.ready.get(w.cls)?.upsert(w);
    }
  }

  private attach(t: PendingTransfer): void {
    if (t.notBefore !== undefined) this.waiting.upsert(t);
    else this.ready.get(t.cls)?.upsert(t);
  }

  private detach(id: string): boolean {
    const t = this.all.get(id);
    if (!t) return false;
    this.waiting.remove(id);
    this.ready.get(t.cls)?.remove(id);
    return true;
  }
}
