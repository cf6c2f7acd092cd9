/**
 * `mirrorDrives`: make two library drives identical (originals, companions, derivatives,
 * catalogue), whichever was "the original". One pass:
 *   1. both library locks; finish what a killed run left (pending rows, `.outpost/tmp`, a
 *      move's old links);
 *   2. op logs both ways from per-partner cursors (LWW by HLC), after the deletion guard;
 *   3. the items either change journal names since its cursor (all items on the first pairing),
 *      planned (mirror-plan.ts, pure) and carried out (mirror-apply.ts);
 *   4. relocations the monitor ops ask for, sidecars of items whose attributes merged;
 *   5. change cursors advance only when the pass completed.
 * A pass with nothing new reads two cursors per drive and stops. See docs/mirror.md.
 */
import { realpath, stat } from 'node:fs/promises';
import { OutpostError, asDriveFailure } from '../core/errors.js';
import { reconcileLibrary } from '../library/intake/index.js';
import { openCatalog, type Catalog } from '../library/catalog/open.js';
import { openDrive, type Drive } from '../library/drive.js';
import { finishPendingUnlinks } from '../library/relocate.js';
import { acquireLibraryLock, type LibraryLock } from '../library/lock.js';
import { applyActions, refreshSidecars, relocate, type ApplyContext } from './mirror-apply.js';
import {
  clearSidecarsToRewrite,
  itemsChangedSince,
  lastChangeSeq,
  mirrorCursor,
  pruneSeenChanges,
  setMirrorCursor,
  sidecarsToRewrite,
} from '../library/catalog/changes.js';
import { allItemIds, isLiveItem, liveItemCount } from '../library/catalog/mirror.js';
import { loadSide } from './mirror-journal.js';
import { applyIncomingOps, opsAfter } from './mirror-ops.js';
import { checkDeleteGuard, incomingDeletions, planMirror } from './mirror-plan.js';
import {
  emptySummary,
  type MirrorDeps,
  type MirrorOptions,
  type MirrorProgress,
  type MirrorSummary,
  type Side,
} from './mirror-types.js';

export type { MirrorOptions, MirrorDeps, MirrorProgress, MirrorSummary } from './mirror-types.js';

/** Refuse two paths to one drive: same marker id (a clone counts too), or the same directory. */
async function assertTwoDrives(a: Drive, b: Drive): Promise<void> {
  const [ra, rb] = await Promise.all([realpath(a.layout.root), realpath(b.layout.root)]);
  const [sa, sb] = await Promise.all([stat(ra), stat(rb)]);
  if (ra === rb || (sa.dev === sb.dev && sa.ino === sb.ino))
    throw new OutpostError('MIRROR_SAME_DRIVE', `${a.layout.root} and ${b.layout.root} are the same drive`);
  if (a.marker.id === b.marker.id)
    throw new OutpostError(
      'MIRROR_SAME_DRIVE',
      `${a.layout.root} and ${b.layout.root} carry the same drive id ${a.marker.id} (one is a copy of the other)`,
      {
        hint: 'A drive cloned byte for byte cannot be mirrored with its original: make the second one with `outpost init-drive` and mirror into it.',
      },
    );
}

async function lockBoth(a: Drive, b: Drive): Promise<LibraryLock[]> {
  const ordered = a.marker.id < b.marker.id ? [a, b] : [b, a];
  const locks: LibraryLock[] = [];
  try {
    for (const d of ordered)
      locks.push(
        await acquireLibraryLock(d.layout.lockFile, `mirror of ${a.layout.root} and ${b.layout.root}`),
      );
  } catch (e) {
    for (const l of locks) await l.release().catch(() => undefined);
    throw e;
  }
  return locks;
}

function union(...lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}

/**
 * Mirror two library drives. Resolves with the summary (also when aborted through
 * `opts.signal`: `aborted` is then true and the next pass resumes). Rejects with a typed error
 * when it cannot start or must stop: NOT_A_LIBRARY (marker gone), MIRROR_SAME_DRIVE,
 * LIBRARY_LOCKED, MIRROR_DELETE_GUARD (nothing changed), DRIVE_FULL / DRIVE_WRITE_ERROR (what
 * was copied is complete and catalogued; nothing half-written stays).
 */
export async function mirrorDrives(
  driveA: Drive,
  driveB: Drive,
  opts: MirrorOptions,
  deps: MirrorDeps,
): Promise<MirrorSummary> {
  const started = performance.now();
  const summary = emptySummary();
  const progress: MirrorProgress = {
    phase: 'prepare',
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
  };
  const emit = (p: Partial<MirrorProgress>): void => {
    Object.assign(progress, p);
    opts.onProgress?.({ ...progress });
  };
  // Read the markers again: the drive may have gone (or been swapped) since it was detected.
  const a = await openDrive(driveA.layout.root);
  const b = await openDrive(driveB.layout.root);
  await assertTwoDrives(a, b);
  const locks = await lockBoth(a, b);
  const cats: Partial<Record<Side, Catalog>> = {};
  try {
    const catA = (cats.a = await openCatalog(a.layout.catalog));
    const catB = (cats.b = await openCatalog(b.layout.catalog));
    emit({ phase: 'prepare' });
    for (const [d, c] of [
      [a, catA],
      [b, catB],
    ] as const) {
      await reconcileLibrary(c, d.layout, { deep: locks.some((l) => l.previousRunDied) });
      // A pass killed between a move's commit and its unlinks: the next pass may have no move
      // left to make (the catalogues already agree), so the old links go here.
      await finishPendingUnlinks(c, d.layout.root);
    }

    // 1. Op logs, both ways, behind the deletion guard.
    emit({ phase: 'ops' });
    const opsCurA = mirrorCursor(catA, b.marker.id, 'ops') ?? 0;
    const opsCurB = mirrorCursor(catB, a.marker.id, 'ops') ?? 0;
    const fromA = await opsAfter(catA, opsCurA);
    const fromB = await opsAfter(catB, opsCurB);
    const breach = checkDeleteGuard(
      {
        a: {
          deletions: incomingDeletions(fromB.ops, (id) => isLiveItem(catA, id)).length,
          liveItems: fromB.ops.length ? liveItemCount(catA) : 0,
        },
        b: {
          deletions: incomingDeletions(fromA.ops, (id) => isLiveItem(catB, id)).length,
          liveItems: fromA.ops.length ? liveItemCount(catB) : 0,
        },
      },
      opts.maxDeleteShare,
    );
    if (breach && !opts.force) {
      const d = breach.side === 'a' ? a : b;
      throw new OutpostError(
        'MIRROR_DELETE_GUARD',
        `the mirror would delete ${breach.deletions} of ${breach.liveItems} items (${(breach.share * 100).toFixed(1)} %) on ${d.layout.root}, more than the allowed ${(opts.maxDeleteShare * 100).toFixed(1)} %; nothing was changed`,
        { details: { ...breach, drive: d.layout.root, maxDeleteShare: opts.maxDeleteShare } },
      );
    }
    const nowMs = deps.clock.now().getTime();
    const inB = await applyIncomingOps(catB, fromA.ops, fromB.end, opts.node, nowMs, a.marker.id);
    const inA = await applyIncomingOps(catA, fromB.ops, fromA.end, opts.node, nowMs, b.marker.id);
    summary.opsAtoB = inB.inserted;
    summary.opsBtoA = inA.inserted;
    for (const [r, from] of [
      [inB.refused, a],
      [inA.refused, b],
    ] as const)
      for (const x of r)
        summary.warnings.push({
          item: x.op.id,
          code: x.code,
          message: `op ${x.op.field} from ${x.op.origin} on ${from.layout.root} not merged: ${x.message}`,
        });
    // Both merges are committed: each drive may now count its ops as delivered.
    if (inA.cursor !== opsCurA) setMirrorCursor(catA, b.marker.id, 'ops', inA.cursor);
    if (inB.cursor !== opsCurB) setMirrorCursor(catB, a.marker.id, 'ops', inB.cursor);

    // 2. Files and rows, from the change journals.
    emit({ phase: 'plan' });
    const chA = mirrorCursor(catA, b.marker.id, 'changes');
    const chB = mirrorCursor(catB, a.marker.id, 'changes');
    summary.full = chA === undefined || chB === undefined;
    const ids = summary.full
      ? union(allItemIds(catA), allItemIds(catB))
      : union(itemsChangedSince(catA, chA!), itemsChangedSince(catB, chB!));
    summary.examined = ids.length;
    const ctx: ApplyContext = {
      sides: { a: { drive: a, cat: catA }, b: { drive: b, cat: catB } },
      opts,
      summary,
      onBytes: (n, current) => emit({ bytesDone: progress.bytesDone + n, current }),
      onFileDone: () => emit({ filesDone: progress.filesDone + 1 }),
      nowMs,
    };
    if (ids.length > 0) {
      const [sideA, sideB] = await Promise.all([
        loadSide(catA, a.layout.root, ids),
        loadSide(catB, b.layout.root, ids),
      ]);
      const plan = planMirror(ids.map((id) => ({ id, a: sideA.get(id), b: sideB.get(id) })));
      const files = plan.actions.filter((x) => x.kind === 'copy-item' || x.kind === 'copy-companion').length;
      emit({ phase: 'copy', filesTotal: files, bytesTotal: plan.bytes.aToB + plan.bytes.bToA });
      const moves = await applyActions(ctx, plan.actions);
      emit({ phase: 'relocate', current: undefined });
      if (!summary.aborted) for (const s of ['a', 'b'] as const) await relocate(ctx, s, moves[s]);
    }
    // Sidecars of items whose values the merge changed (this pass's, or a killed pass's).
    const changed = union(sidecarsToRewrite(catA, b.marker.id), sidecarsToRewrite(catB, a.marker.id));
    if (changed.length > 0 && !summary.aborted) {
      emit({ phase: 'sidecars' });
      // Both drives, from the same merged values and the same base: the sidecars come out equal.
      await refreshSidecars(ctx, changed);
      if (!summary.aborted) {
        clearSidecarsToRewrite(catA, b.marker.id);
        clearSidecarsToRewrite(catB, a.marker.id);
      }
    }

    // 3. Done: everything up to now is the same on both drives (our own writes included).
    const retry = summary.warnings.some((w) => w.code === 'SOURCE_MISSING' || w.code === 'RELOCATE_FAILED');
    if (!summary.aborted && !retry) {
      const endA = lastChangeSeq(catA);
      const endB = lastChangeSeq(catB);
      if (endA !== chA) setMirrorCursor(catA, b.marker.id, 'changes', endA);
      if (endB !== chB) setMirrorCursor(catB, a.marker.id, 'changes', endB);
      if (ids.length > 0) {
        pruneSeenChanges(catA);
        pruneSeenChanges(catB);
      }
    }
    emit({ phase: 'done', current: undefined });
  } catch (e) {
    const failure = asDriveFailure(e);
    if (failure)
      throw new OutpostError(
        failure.code,
        `${failure.message} (mirror stopped; what was copied is complete)`,
        {
          cause: e,
          hint: failure.hint,
          details: { summary: { ...summary, seconds: secondsSince(started) } },
        },
      );
    throw e;
  } finally {
    for (const c of Object.values(cats)) await c?.close().catch(() => undefined);
    for (const l of locks.reverse()) await l.release().catch(() => undefined);
  }
  summary.seconds = secondsSince(started);
  return summary;
}

function secondsSince(t0: number): number {
  return Math.round((performance.now() - t0) / 10) / 100;
}
