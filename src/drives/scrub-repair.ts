/**
 * Repair a drive's damaged files from the other drive. For each finding, under both library
 * locks: the damaged file is checked again (it may have been restored meanwhile), the partner's
 * copy is copied into the damaged drive's `.outpost/tmp` hashing as it reads (it must have the
 * catalogue's hash), fsynced and hashed again from disk; the corrupt file is kept under
 * `.outpost/quarantine/<time>/<path>` (hard link, else a copy) and the good copy renamed over it.
 * A missing file is placed without clobbering. Nothing is overwritten with bytes that do not
 * hash right, and nothing corrupt is deleted.
 */
import { copyFile, link, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fsyncDir } from '../adapters/fs-atomic.js';
import { driveError, errnoCode } from '../core/errors.js';
import { hashFile } from '../library/intake/index.js';
import type { Catalog } from '../library/catalog/open.js';
import { openCatalog } from '../library/catalog/open.js';
import { liveCompanionWithHash, liveOriginal, recordedSize } from '../library/catalog/scrub-targets.js';
import { openDrive, type Drive } from '../library/drive.js';
import { acquireLibraryLock, type LibraryLock } from '../library/lock.js';
import { SourceProblem, copyToTmp, placeCopy } from './mirror-files.js';
import { makeThrottle, observeFile } from './scrub-hash.js';
import { judgeFile, quarantineRelPath } from './scrub-plan.js';
import { markRepaired, markResolved, markUnrepaired, recordDamage } from './scrub-store.js';
import type {
  RepairedFile,
  ScrubDeps,
  ScrubFinding,
  UnrepairedFile,
  UnrepairedReason,
} from './scrub-types.js';

export interface RepairResult {
  repaired: RepairedFile[];
  unrepaired: UnrepairedFile[];
}

/** Where the partner keeps the same bytes, or why it cannot give them. */
async function partnerPath(
  cat: Catalog,
  f: ScrubFinding,
): Promise<string | { reason: UnrepairedReason; why: string }> {
  if (f.kind === 'original') {
    const r = await liveOriginal(cat, f.item);
    return r?.path ?? { reason: 'NOT_ON_PARTNER', why: 'the other drive does not hold this item' };
  }
  const p = await liveCompanionWithHash(cat, f.item, f.expected);
  return p ?? { reason: 'NOT_ON_PARTNER', why: 'the other drive holds no companion with these bytes' };
}

async function lockBoth(a: Drive, b: Drive): Promise<LibraryLock[]> {
  const ordered = a.marker.id < b.marker.id ? [a, b] : [b, a];
  const locks: LibraryLock[] = [];
  try {
    for (const d of ordered)
      locks.push(await acquireLibraryLock(d.layout.lockFile, `scrub repair of ${a.layout.root}`));
  } catch (e) {
    for (const l of locks.reverse()) await l.release().catch(() => undefined);
    throw e;
  }
  return locks;
}

/** Keep the corrupt bytes: a hard link (free, same file system), else a copy. */
async function quarantine(root: string, rel: string, at: Date): Promise<string | undefined> {
  const q = quarantineRelPath(rel, at);
  const abs = join(root, q);
  await mkdir(dirname(abs), { recursive: true });
  try {
    await link(join(root, rel), abs);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    try {
      await copyFile(join(root, rel), abs);
    } catch {
      // Unreadable bytes cannot be kept; the repair goes ahead (they are lost either way).
      return undefined;
    }
  }
  await fsyncDir(dirname(abs));
  return q;
}

async function repairOne(
  bad: Drive,
  badCat: Catalog,
  good: Drive,
  goodCat: Catalog,
  f: ScrubFinding,
  deps: ScrubDeps,
): Promise<RepairedFile | UnrepairedFile | 'fine'> {
  const nowIso = deps.clock.now().toISOString();
  const abs = join(bad.layout.root, f.path);
  const unrepaired = (reason: UnrepairedReason, why: string): UnrepairedFile => {
    recordDamage(badCat, f, nowIso);
    markUnrepaired(badCat, f.path, reason, nowIso);
    return { ...f, reason, why };
  };
  // Check #1: the damaged copy, again, under the lock.
  const expectedSize = await recordedSize(badCat, f);
  if (expectedSize === undefined) {
    markResolved(badCat, f.path, nowIso);
    return 'fine';
  }
  const seen = await observeFile(abs, expectedSize, { throttle: makeThrottle(Infinity, () => 0) });
  if (!judgeFile({ size: expectedSize, sha256: f.expected }, seen)) {
    markResolved(badCat, f.path, nowIso);
    return 'fine';
  }
  const src = await partnerPath(goodCat, f);
  if (typeof src !== 'string') return unrepaired(src.reason, src.why);
  // Check #2: the partner's bytes, hashed while copied into the damaged drive's tmp.
  let tmp;
  try {
    tmp = await copyToTmp(join(good.layout.root, src), bad.layout, f.expected, extname(f.path).slice(1), {});
  } catch (e) {
    if (e instanceof SourceProblem)
      return unrepaired(
        'PARTNER_BAD',
        `the copy on ${good.layout.root} is ${e.code === 'SOURCE_MISSING' ? 'missing' : 'damaged too'}: ${e.message}`,
      );
    return unrepaired('WRITE_FAILED', (e as Error).message);
  }
  try {
    // Check #3: what landed on the damaged drive, read back after the fsync.
    if ((await hashFile(tmp.tmpPath)) !== f.expected)
      return unrepaired('WRITE_FAILED', `the copy written to ${bad.layout.tmpDir} does not read back right`);
    let q: string | undefined;
    if (seen.kind === 'missing') await placeCopy(tmp.tmpPath, abs, f.expected);
    else {
      q = await quarantine(bad.layout.root, f.path, deps.clock.now());
      try {
        await rename(tmp.tmpPath, abs);
      } catch (e) {
        throw driveError(e, abs);
      }
      await fsyncDir(dirname(abs));
    }
    markRepaired(badCat, f.path, q, nowIso);
    deps.log.warn(
      { path: f.path, code: f.code, drive: bad.layout.root, from: good.layout.root, quarantine: q },
      'scrub repaired a damaged file from the other drive',
    );
    return { ...f, from: good.layout.root, ...(q ? { quarantine: q } : {}) };
  } catch (e) {
    return unrepaired('WRITE_FAILED', e instanceof Error ? e.message : String(e));
  } finally {
    await rm(tmp.tmpPath, { force: true });
  }
}

/**
 * Repair `findings` (damaged files on `bad`) from `good`. Each finding ends repaired, fine (it
 * was right after all) or unrepaired with a reason; the catalogue of `bad` records which.
 */
export async function repairFromPartner(
  badDrive: Drive,
  goodDrive: Drive,
  findings: ScrubFinding[],
  deps: ScrubDeps,
): Promise<RepairResult> {
  const out: RepairResult = { repaired: [], unrepaired: [] };
  if (findings.length === 0) return out;
  const bad = await openDrive(badDrive.layout.root);
  const good = await openDrive(goodDrive.layout.root);
  const locks = await lockBoth(bad, good);
  const cats: Catalog[] = [];
  try {
    const badCat = await openCatalog(bad.layout.catalog);
    cats.push(badCat);
    const goodCat = await openCatalog(good.layout.catalog);
    cats.push(goodCat);
    for (const f of findings) {
      const r = await repairOne(bad, badCat, good, goodCat, f, deps);
      if (r === 'fine') continue;
      if ('reason' in r) {
        out.unrepaired.push(r);
        deps.log.error(
          { path: f.path, code: f.code, drive: bad.layout.root, reason: r.reason },
          `scrub could not repair a damaged file: ${r.why}`,
        );
      } else out.repaired.push(r);
    }
  } finally {
    for (const c of cats) await c.close().catch(() => undefined);
    for (const l of locks.reverse()) await l.release().catch(() => undefined);
  }
  return out;
}

/** No partner to repair from: every finding stays damaged, loudly. */
export async function partnerAbsent(
  drive: Drive,
  findings: ScrubFinding[],
  deps: ScrubDeps,
): Promise<RepairResult> {
  const cat = await openCatalog(drive.layout.catalog);
  const nowIso = deps.clock.now().toISOString();
  try {
    const unrepaired = findings.map((f): UnrepairedFile => {
      markUnrepaired(cat, f.path, 'PARTNER_ABSENT', nowIso);
      deps.log.error(
        { path: f.path, code: f.code, drive: drive.layout.root },
        'scrub found a damaged file and no second drive to repair it from',
      );
      return { ...f, reason: 'PARTNER_ABSENT', why: 'plug in the second drive: the next scrub repairs it' };
    });
    return { repaired: [], unrepaired };
  } finally {
    await cat.close();
  }
}
