/**
 * Scrub: re-hash what a library drive holds (originals and the companions whose hashes the
 * catalogue records), slowly and resumably, and repair a damaged file from the other drive.
 *
 *   scrubDrive      one drive, under its library lock: first the files earlier runs found damaged,
 *                   then the cycle over all live items in id order from the cursor in `meta`
 *                   (`scrub:state`), so a weekly scrub of a big drive continues where it stopped.
 *   repairFromPartner (scrub-repair.ts) replaces a bad copy with the partner's, both hashes checked.
 *   runScrub        what the station and `outpost scrub` run: scrub, repair, one summary.
 *
 * Derivatives are not checked: the catalogue records no hash for them (rebuild regenerates them).
 * See docs/scrub.md.
 */
import { join } from 'node:path';
import { OutpostError, asDriveFailure } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { openCatalog } from '../library/catalog/open.js';
import {
  companionsToCheck,
  liveCompanionAt,
  liveItemsAfter,
  liveOriginal,
  scrubCycleTotals,
} from '../library/catalog/scrub-targets.js';
import { openDrive, type Drive } from '../library/drive.js';
import { acquireLibraryLock } from '../library/lock.js';
import { bytesPerSecondOf, judgeFile } from './scrub-plan.js';
import { makeThrottle, observeFile, type Throttle } from './scrub-hash.js';
import { partnerAbsent, repairFromPartner, type RepairResult } from './scrub-repair.js';
import {
  markResolved,
  openDamageCount,
  openFindings,
  readScrubState,
  recordDamage,
  writeScrubState,
} from './scrub-store.js';
import type {
  ScrubDeps,
  ScrubFinding,
  ScrubOptions,
  ScrubProgress,
  ScrubReport,
  ScrubSummary,
  UnrepairedFile,
} from './scrub-types.js';

export type * from './scrub-types.js';
export { repairFromPartner } from './scrub-repair.js';
export { scrubDue, nextScrubAt } from './scrub-plan.js';
export { scrubStatusOf } from './scrub-store.js';

const PAGE = 256;
/** Write the cursor at most this often (each write is an fsynced SQLite commit). */
const CURSOR_EVERY_MS = 2000;
const PROGRESS_EVERY_MS = 250;

/** One file to check: an original or a companion, with what the catalogue says it holds. */
interface Target {
  item: string;
  kind: 'original' | 'companion';
  path: string;
  size: number;
  sha256: string;
}

interface Walk {
  root: string;
  cat: Catalog;
  throttle: Throttle;
  signal: AbortSignal | undefined;
  report: ScrubReport;
  onBytes(n: number, current: string): void;
  nowIso(): string;
}

async function companionsOf(cat: Catalog, item: string): Promise<Target[]> {
  return (await companionsToCheck(cat, item)).map((c) => ({ kind: 'companion', ...c }));
}

/** The catalogue's current idea of `path`, or undefined when it no longer holds it live. */
async function currentTarget(cat: Catalog, f: ScrubFinding): Promise<Target | undefined> {
  if (f.kind === 'original') {
    const r = await liveOriginal(cat, f.item);
    return r && r.path === f.path ? { kind: 'original', ...r } : undefined;
  }
  const c = await liveCompanionAt(cat, f.path);
  return c ? { kind: 'companion', ...c } : undefined;
}

/** Check one file; a damaged one is recorded and returned. Abort errors propagate. */
async function checkTarget(w: Walk, t: Target): Promise<ScrubFinding | undefined> {
  const seen = await observeFile(join(w.root, t.path), t.size, {
    throttle: w.throttle,
    signal: w.signal,
    onBytes: (n) => w.onBytes(n, t.path),
  });
  w.report.checked++;
  let verdict = judgeFile(t, seen);
  if (verdict && t.kind === 'companion') {
    // The web app rewrites a sidecar (rename) just before it records the new hash: ask again.
    const now = await currentTarget(w.cat, { ...t, code: 'CORRUPT', expected: t.sha256, detail: '' });
    if (!now) return undefined;
    if (now.sha256 !== t.sha256 || now.size !== t.size) verdict = judgeFile(now, seen);
  }
  if (!verdict) return undefined;
  const f: ScrubFinding = {
    item: t.item,
    kind: t.kind,
    path: t.path,
    code: verdict.code,
    expected: t.sha256,
    ...(verdict.actual ? { actual: verdict.actual } : {}),
    detail: verdict.detail,
  };
  recordDamage(w.cat, f, w.nowIso());
  w.report.bad.push(f);
  return f;
}

const isAbort = (e: unknown, signal: AbortSignal | undefined): boolean =>
  !!signal?.aborted && (e === signal.reason || (e instanceof Error && e.name === 'AbortError'));

/**
 * Scrub one drive. Resolves with the report (also when aborted: `aborted` is then true and the
 * next run continues from the cursor). Rejects with LIBRARY_LOCKED, NOT_A_LIBRARY, or a drive
 * failure (DRIVE_WRITE_ERROR when the catalogue cannot be written).
 */
export async function scrubDrive(drive: Drive, opts: ScrubOptions, deps: ScrubDeps): Promise<ScrubReport> {
  const t0 = performance.now();
  const d = await openDrive(drive.layout.root);
  const root = d.layout.root;
  const report: ScrubReport = {
    root,
    checked: 0,
    bytes: 0,
    bad: [],
    resolved: [],
    complete: false,
    aborted: false,
    resumedAt: 0,
    seconds: 0,
  };
  const lock = await acquireLibraryLock(d.layout.lockFile, `scrub of ${root}`);
  let cat: Catalog | undefined;
  try {
    cat = await openCatalog(d.layout.catalog);
    const c = cat;
    const nowIso = (): string => deps.clock.now().toISOString();
    const mono = deps.monoMs ?? (() => performance.now());
    const progress: ScrubProgress = { root, itemsDone: 0, itemsTotal: 0, bytesDone: 0, bytesTotal: 0 };
    let lastEmit = -Infinity;
    const emit = (force = false): void => {
      const t = mono();
      if (!force && t - lastEmit < PROGRESS_EVERY_MS) return;
      lastEmit = t;
      opts.onProgress?.({ ...progress });
    };
    const w: Walk = {
      root,
      cat: c,
      throttle: makeThrottle(opts.bytesPerSecond ?? Infinity, mono),
      signal: opts.signal,
      report,
      nowIso,
      onBytes: (n, current) => {
        report.bytes += n;
        progress.bytesDone += n;
        progress.current = current;
        emit();
      },
    };
    const rechecked = new Set<string>();
    try {
      // 1. What earlier runs found damaged: right again (restored by hand), gone, or still bad.
      for (const f of openFindings(c)) {
        rechecked.add(f.path);
        const t = await currentTarget(c, f);
        if (!t) {
          markResolved(c, f.path, nowIso());
          report.resolved.push(f.path);
          continue;
        }
        if (!(await checkTarget(w, t))) {
          markResolved(c, f.path, nowIso());
          report.resolved.push(f.path);
        }
      }
      // 2. The cycle, from the cursor.
      if (opts.cycle !== false) await walkCycle(w, opts, progress, rechecked, emit, mono);
    } catch (e) {
      if (!isAbort(e, opts.signal)) throw e;
      report.aborted = true;
    }
    const s = readScrubState(c);
    writeScrubState(c, { ...s, lastRunAt: nowIso() });
    emit(true);
  } catch (e) {
    const failure = asDriveFailure(e);
    if (failure)
      throw new OutpostError(failure.code, `${failure.message} (scrub stopped)`, {
        cause: e,
        hint: failure.hint,
      });
    throw e;
  } finally {
    await cat?.close().catch(() => undefined);
    await lock.release().catch(() => undefined);
  }
  report.seconds = Math.round((performance.now() - t0) / 10) / 100;
  return report;
}

async function walkCycle(
  w: Walk,
  opts: ScrubOptions,
  progress: ScrubProgress,
  skip: Set<string>,
  emit: (force?: boolean) => void,
  mono: () => number,
): Promise<void> {
  const c = w.cat;
  const state = readScrubState(c);
  let cursor = opts.restart ? undefined : state.cursor;
  const cycleStartedAt = cursor !== undefined && state.cycleStartedAt ? state.cycleStartedAt : w.nowIso();
  const from = cursor ?? '';
  const totals = await scrubCycleTotals(c, from);
  Object.assign(progress, { itemsTotal: totals.items, itemsDone: totals.done, bytesTotal: totals.bytes });
  w.report.resumedAt = totals.done;
  emit(true);
  const save = (): void => writeScrubState(c, { ...readScrubState(c), cursor, cycleStartedAt });
  let saved = mono();
  try {
    for (;;) {
      const rows = await liveItemsAfter(c, cursor ?? '', PAGE);
      if (rows.length === 0) break;
      for (const r of rows) {
        const targets: Target[] = [
          { item: r.id, kind: 'original', path: r.path, size: r.size, sha256: r.id },
          ...(await companionsOf(c, r.id)),
        ];
        for (const t of targets) if (!skip.has(t.path)) await checkTarget(w, t);
        // Only a fully checked item moves the cursor: an abort mid-item redoes that item.
        cursor = r.id;
        progress.itemsDone++;
        emit(true);
        if (mono() - saved >= CURSOR_EVERY_MS) {
          save();
          saved = mono();
        }
      }
    }
  } finally {
    save();
  }
  writeScrubState(c, {
    ...readScrubState(c),
    cursor: undefined,
    cycleStartedAt: undefined,
    lastCompletedAt: w.nowIso(),
  });
  w.report.complete = true;
}

export interface RunScrubOptions extends ScrubOptions {
  /** Repair damaged files from the other drive (when one is given). */
  repair: boolean;
  /**
   * Scrub the partner too: true runs its cycle, false only re-checks its open findings,
   * undefined leaves it alone (it is then only read to repair the first drive).
   */
  partnerCycle?: boolean | undefined;
}

/**
 * Scrub `drive` (and the partner when asked), then repair each drive's damage from the other.
 * What is not repaired stays `damaged` in that drive's catalogue (the station shows it).
 */
export async function runScrub(
  drive: Drive,
  partner: Drive | undefined,
  opts: RunScrubOptions,
  deps: ScrubDeps,
): Promise<ScrubSummary> {
  const t0 = performance.now();
  const bytesPerSecond = opts.bytesPerSecond ?? bytesPerSecondOf(undefined);
  const runs: { d: Drive; other: Drive | undefined; report: ScrubReport; cycle: boolean }[] = [];
  const base = { ...opts, bytesPerSecond };
  runs.push({
    d: drive,
    other: partner,
    report: await scrubDrive(drive, base, deps),
    cycle: opts.cycle !== false,
  });
  if (partner && opts.partnerCycle !== undefined && !opts.signal?.aborted)
    runs.push({
      d: partner,
      other: drive,
      report: await scrubDrive(partner, { ...base, cycle: opts.partnerCycle, restart: false }, deps),
      cycle: opts.partnerCycle,
    });
  const summary: ScrubSummary = {
    checked: 0,
    bytes: 0,
    bad: [],
    repaired: [],
    unrepaired: [],
    seconds: 0,
    // Every cycle that was asked for reached its end.
    complete: runs.every((r) => r.report.complete || !r.cycle),
    aborted: runs.some((r) => r.report.aborted),
    openDamage: 0,
  };
  for (const { d, other, report } of runs) {
    summary.checked += report.checked;
    summary.bytes += report.bytes;
    summary.bad.push(...report.bad);
    if (report.bad.length === 0) continue;
    let res: RepairResult;
    if (!opts.repair) res = { repaired: [], unrepaired: report.bad.map(notAttempted) };
    else if (!other) res = await partnerAbsent(d, report.bad, deps);
    else res = await repairFromPartner(d, other, report.bad, deps);
    summary.repaired.push(...res.repaired);
    summary.unrepaired.push(...res.unrepaired);
  }
  for (const d of partner ? [drive, partner] : [drive]) {
    const cat = await openCatalog(d.layout.catalog);
    try {
      summary.openDamage += openDamageCount(cat).damaged;
    } finally {
      await cat.close();
    }
  }
  summary.seconds = Math.round((performance.now() - t0) / 10) / 100;
  return summary;
}

function notAttempted(f: ScrubFinding): UnrepairedFile {
  return { ...f, reason: 'NOT_ATTEMPTED', why: 'not repaired: run with --repair and --partner <drive>' };
}
