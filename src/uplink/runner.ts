import type { SnapshotUploadPolicy } from '../library/catalog/uplink-journal.js';
import { stat } from 'node:fs/promises';
import type { Logger } from '../adapters/logger.js';
import type { Catalog } from '../library/catalog/open.js';
import { hashFile } from '../library/intake/index.js';
import { Backoff, transferBackoff, type RandomSource } from './backoff.js';
import { fileBody, SLICE } from './body.js';
import { Offloader, type OffloadPolicy } from './offload.js';
import { CLASS_RANK, TRANSFER_CLASSES, type TransferClass } from './classes.js';
import { Journal, transferKey, type JournalRow } from './journal.js';
import { OpSync } from './op-sync.js';
import { RateGovernor } from './rate-governor.js';
import { UplinkScheduler } from './scheduler.js';
import { Transfer } from './transfer.js';
import { CatalogueWatcher } from './watcher.js';
import { UploadFailure, type PartRules, type UploadRendition, type UploadTarget } from './targets/target.js';
import type { Timetable } from '../core/timetable.js';
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
  /** What of IP cameras' snapshots goes (config `snapshots.upload`). Default timelapses only. */
  snapshots?: SnapshotUploadPolicy;
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

const HAVE_BATCH = 200;

/**
 * The station's uplink: pushes ops and item facts, then the most important pending bytes chunk
 * by chunk (scheduler.ts), resuming every upload from the offset HQ confirmed. Never gives up:
 * offline, stalls and HQ errors back off with jitter and resume when the link returns.
 */
export class UplinkRunner {
  private readonly journal: Journal;
  private readonly scheduler: UplinkScheduler;
  private readonly rate: RateGovernor;
  private readonly ops: OpSync;
  private readonly linkBackoff: Backoff;
  private readonly live = new Map<string, Transfer>();
  private readonly watcher: CatalogueWatcher;
  private state: UplinkState = 'starting';
  private lastError: UplinkStatus['lastError'] = null;
  private current: Transfer | null = null;
  private preempt = false;
  private sentBytes = 0;
  private resentBytes = 0;
  private finished = 0;
  /** The journal holds a last error (cleared by the next request that works). */
  private errorKept = false;
  private readonly s: Required<Omit<UplinkSettings, 'timetable' | 'timeZone' | 'chunk'>> & UplinkSettings;
  /** Originals HQ has: to confirm once more and remove (delete-after-upload policy). */
  private readonly offloads: Offloader;

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
      snapshots: 'timelapse',
      ...settings,
    };
    this.journal = new Journal(deps.catalog, deps.target.name, this.s.snapshots);
    // An error an earlier run kept is cleared by this run's first request that works.
    this.errorKept = this.journal.lastError() !== null;
    this.scheduler = new UplinkScheduler({ minShare: { video: this.s.videoShare } });
    this.offloads = new Offloader({
      catalog: deps.catalog,
      driveRoot: deps.driveRoot,
      target: deps.target,
      policy: this.s.deleteAfterUpload,
      requiresMirror: this.s.deleteRequiresMirror,
      log: deps.log,
    });
    this.watcher = new CatalogueWatcher(deps.catalog, this.journal, () => this.nowIso());
    this.rate = new RateGovernor({
      now: deps.now,
      ...(settings.timetable ? { timetable: settings.timetable } : {}),
      ...(settings.timeZone ? { timeZone: settings.timeZone } : {}),
      ...(settings.adaptive ? { adaptive: true } : {}),
      ...(settings.chunk ? { chunk: settings.chunk } : {}),
      ...(deps.readLink ? { readLink: deps.readLink } : {}),
    });
    this.ops = new OpSync({
      catalog: deps.catalog,
      driveRoot: deps.driveRoot,
      target: deps.target,
      journal: this.journal,
      node: this.s.node,
      pullEveryMs: this.s.pullOpsEveryMs,
      now: deps.now,
      log: deps.log,
      report: (message) => this.noteError(message),
      observeRtt: (ms) => this.rate.observeRtt(ms),
    });
    this.linkBackoff = new Backoff({ baseMs: 1000, capMs: this.s.maxBackoffMs }, deps.random);
  }

  /** Send until `signal` aborts (the station), or until nothing is left (`once`). */
  async run(signal: AbortSignal, opts: { once?: boolean } = {}): Promise<UplinkStatus> {
    this.load();
    const watch = setInterval(() => this.watch(), this.s.pollMs);
    try {
      while (!signal.aborted) {
        // The transfer being worked on when something fails (undefined: ops, facts, the ops pull).
        let working: Transfer | undefined;
        try {
          if (await this.ops.push(signal)) continue;
          if (await this.offloads.run(signal)) continue;
          await this.ops.pull(signal);
          const limit = this.rate.apply();
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
          const warning = this.deps.target.warning?.();
          if (warning) {
            if (warning !== this.lastError?.message) this.noteError(warning);
          } else if (this.errorKept) {
            this.journal.setLastError(null);
            this.errorKept = false;
          }
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
    const rate = this.rate.throughputBps ?? null;
    const cur = this.current;
    return {
      state: this.state,
      target: this.deps.target.name,
      rateBps: rate === null ? null : Math.round(rate),
      limitBps: this.rate.bucket ? Math.round(this.rate.bucket.rate) : null,
      queue,
      pendingBytes: pending,
      etaSeconds: rate && pending ? Math.round(pending / rate) : pending ? null : 0,
      sentBytes: this.sentBytes,
      resentBytes: this.resentBytes,
      finished: this.finished,
      opsPending: this.ops.pending(),
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
      link: this.rate.link,
    };
  }

  // ---------------------------------------------------------------- queue

  private nowIso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  private load(): void {
    this.offloads.resume();
    for (const row of this.watcher.start()) this.track(row);
  }

  /** Track a journal row: a new transfer, or a known one refreshed (its class may change). */
  private track(row: JournalRow): void {
    const known = this.live.get(transferKey(row.item, row.rendition));
    if (known) return known.refresh(row);
    const t = new Transfer(row, this.deps.driveRoot, {
      journal: this.journal,
      scheduler: this.scheduler,
      nowIso: () => this.nowIso(),
    });
    this.live.set(t.key, t);
  }

  private untrack(t: Transfer): void {
    this.live.delete(t.key);
    t.drop();
    // Its item was deleted: an unfinished upload is dropped at the target (best effort).
    void this.dropUpload(t);
  }

  /** Drop a transfer's unfinished upload at the target (a bucket's parts would otherwise linger, billed). */
  private async dropUpload(t: Transfer): Promise<void> {
    if (!t.url || !this.deps.target.discard) return;
    await this.deps.target
      .discard(t.url)
      .catch((e: unknown) =>
        this.deps.log.warn({ err: e, item: t.item }, 'uplink: an unfinished upload was not dropped'),
      );
  }

  private allParked(): boolean {
    return this.scheduler.nextWakeAt() === Infinity;
  }

  /**
   * Another connection (the web app, ingest) changed the catalogue: re-class items whose rating
   * or priority changed, drop deleted ones, queue new ones. A more important transfer than
   * the one on the wire ends the current request early (it resumes later where it stopped).
   */
  private watch(): void {
    try {
      const c = this.watcher.poll();
      if (!c) return;
      for (const key of c.closed) {
        const t = this.live.get(key);
        if (t) this.untrack(t);
      }
      for (const row of c.open) this.track(row);
      for (const row of c.added) if (!this.live.has(transferKey(row.item, row.rendition))) this.track(row);
      const cur = this.current;
      if (cur) {
        const best = this.scheduler.next(this.deps.now());
        if (best && best.id !== cur.key && CLASS_RANK[best.cls] < CLASS_RANK[cur.cls]) this.preempt = true;
      }
    } catch (e) {
      this.deps.log.warn({ err: e }, 'uplink: could not check the catalogue for changes');
    }
  }

  // ---------------------------------------------------------------- bytes

  /** Size and hash of a derivative (an original's are its catalogue size and id). */
  private async describe(l: Transfer): Promise<void> {
    if (l.described) return;
    if (l.rendition === 'original') return l.describe(l.row.itemSize, l.item);
    l.describe((await stat(l.path)).size, await hashFile(l.path));
  }

  /** Ask HQ about this transfer and the next few not asked yet: what it has moves no bytes. */
  private async checkHave(first: Transfer, signal: AbortSignal): Promise<void> {
    const batch = [first];
    for (const l of this.live.values()) {
      if (batch.length >= HAVE_BATCH) break;
      if (l !== first && !l.url && !l.haveChecked && (l.row.rendition === 'original' || l.row.sha256))
        batch.push(l);
    }
    for (const l of batch) await this.describe(l);
    const have = await this.deps.target.have(
      batch.map((l) => l.ref),
      signal,
    );
    batch.forEach((l, i) => {
      l.haveChecked = true;
      if (have[i]) this.complete(l);
    });
  }

  private complete(l: Transfer): void {
    l.done();
    this.live.delete(l.key);
    this.finished++;
    if (l.rendition === 'original') this.offloads.confirmed(l.item);
  }

  private async sendChunk(l: Transfer, signal: AbortSignal): Promise<void> {
    await this.describe(l);
    if (!l.url && !l.haveChecked) {
      await this.checkHave(l, signal);
      if (!this.live.has(l.key)) return;
    }
    const target = this.deps.target;
    if (l.url && !l.offsetKnown) {
      const t0 = this.deps.now();
      if (target.resume) {
        // Part-based: the store lists its parts, checked against the journalled state.
        const r = await target.resume(l.url, l.state, signal);
        // One small listing request on an idle link: a round trip for the pacer's base.
        this.rate.observeRtt(this.deps.now() - t0);
        l.moved(l.url, r.offset, r.state);
      } else {
        const offset = await target.offset(l.url, signal);
        // A HEAD on a link no body is queued on: a bare round trip for the pacer's base.
        this.rate.observeRtt(this.deps.now() - t0);
        l.moved(l.url, offset);
      }
      if (l.offset >= l.size) {
        // Every byte arrived before the answer was lost: HQ has verified it, or it will say so.
        const [has] = await this.deps.target.have([l.ref], signal);
        if (has) return this.complete(l);
        throw new UploadFailure('gone', 'HQ holds all bytes but not a verified object');
      }
    }
    if (!l.url) await this.ops.ensureFacts(l.row.item, signal);
    const parts = target.parts;
    if (!l.url && l.size > (parts ? this.partBudget(l.size, parts) : this.rate.next(l.size))) {
      // More than one request's worth: create the upload empty and journal its URL first, so a
      // station killed during the first chunk resumes it instead of starting a new upload.
      const c = await target.create(l.newUpload, emptyBody(), signal, parts ? { length: 0 } : undefined);
      l.moved(c.url, c.offset, c.state);
    }

    await this.rate.readLink();
    const budget = parts ? this.partBudget(l.size - l.offset, parts) : this.rate.budget(l.size - l.offset);
    // A part is sent whole (a part cut short keeps nothing): a more important transfer waits for
    // the end of this part, not of the upload.
    const shape = parts ? { length: Math.min(budget, l.size - l.offset), state: l.state } : undefined;
    let pos = l.offset;
    this.current = l;
    this.preempt = false;
    this.setState('sending');
    const body = fileBody({
      path: l.path,
      start: l.offset,
      budget,
      ...(this.rate.bucket ? { bucket: this.rate.bucket } : {}),
      now: this.deps.now,
      sleep: (ms) => this.deps.sleep(ms, signal),
      shouldYield: () => this.preempt && !parts,
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
      const r = l.url
        ? { url: l.url, ...(await target.append(l.url, l.offset, body, signal, shape)) }
        : await target.create(l.newUpload, body, signal, shape);
      const ms = this.deps.now() - t0;
      this.deps.log.debug(
        {
          cls: l.cls,
          sent: r.sent,
          ms,
          drainMs: r.drainMs,
          paceBps: this.rate.bucket?.rate,
          estBps: this.rate.throughputBps,
        },
        'uplink chunk',
      );
      this.rate.observeChunk(r.sent, ms, r.drainMs);
      if (l.advanced(r.url, r.offset, r.state)) this.complete(l);
    } catch (e) {
      l.offsetKnown = false;
      if (e instanceof UploadFailure && e.kind === 'stalled') this.rate.observeStall();
      throw e;
    } finally {
      this.current = null;
    }
  }

  /** One part's bytes: the link's chunk size, within the target's part rules (the last part may be less). */
  private partBudget(remaining: number, parts: PartRules): number {
    const want = Math.max(parts.minBytes, Math.min(parts.maxBytes, this.rate.next(remaining)));
    return Math.min(remaining, want);
  }

  // ---------------------------------------------------------------- failures

  /** What a failure means for the link and the transfer; true: stop (`once` and offline). */
  private async onFailure(
    e: unknown,
    signal: AbortSignal,
    once: boolean,
    target: Transfer | undefined,
  ): Promise<boolean> {
    const f =
      e instanceof UploadFailure
        ? e
        : new UploadFailure('rejected', e instanceof Error ? e.message : String(e));
    this.noteError(f.message);
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
          'uplink: the target refuses this station (HQ: check uplink.hq.key; a bucket: credentials, bucket name, clock)',
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
          const attempts = target.row.attempts + 1;
          target.failed(
            f.message,
            this.deps.now() + transferBackoff(attempts, this.deps.random ?? Math.random),
          );
        }
        this.deps.log.warn(
          { err: f.message, item: target?.row.item },
          'uplink: transfer failed; it is retried later',
        );
        return false;
    }
  }

  private async restart(l: Transfer, f: UploadFailure): Promise<void> {
    if (f.kind === 'checksum' && l.row.rendition === 'original') {
      const actual = await hashFile(l.path).catch(() => 'unreadable');
      if (actual !== l.row.item) {
        // The drive's copy no longer matches its name: never send it, say so loudly.
        l.failed(
          `the original on the drive is damaged (${actual.slice(0, 12)}…): run \`outpost fsck --hash\``,
          Infinity,
        );
        this.deps.log.error(
          { item: l.row.item, path: l.path },
          'uplink: original on the drive does not match its hash; not sent',
        );
        return;
      }
    }
    await this.dropUpload(l);
    l.restart(f.message);
  }

  /** A failure the user should see: in the status, and kept for `outpost uplink-status`. */
  private noteError(message: string): void {
    this.lastError = { message, at: this.nowIso() };
    this.journal.setLastError(this.lastError);
    this.errorKept = true;
  }

  private setState(s: UplinkState): void {
    if (s === this.state && s !== 'sending') return;
    this.state = s;
    this.deps.onStatus?.(this.status());
  }
}

// eslint-disable-next-line require-yield -- a body with no bytes
async function* emptyBody(): AsyncGenerator<Buffer> {
  return;
}
