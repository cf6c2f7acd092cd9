/** Carry out a mirror plan's actions on the two drives (files via mirror-files.ts, rows here). */
import { join } from 'node:path';
import { isContentId } from '../core/content-id.js';
import { isOutpostError } from '../core/errors.js';
import { companionName } from '../core/naming.js';
import { rollbackItem, type StagedCopy } from '../library/intake/index.js';
import type { Catalog } from '../library/catalog/open.js';
import { mergeOps, recordLocalOps } from '../library/catalog/ops.js';
import {
  addCopiedCompanion,
  companionsOnDrive as companionRows,
  copyItemProvenance,
  forgetPurgedFiles,
  insertMirroredItem,
  itemOnDrive as rowOf,
  markDerivativeCopied,
  storeCopiedItem,
  type MirroredInsert,
} from '../library/catalog/mirror.js';
import type { CompanionRow, ItemRow } from '../library/catalog/schema.js';
import type { Drive } from '../library/drive.js';
import { derivedRelPath, isLibraryRelPath, type Rendition } from '../library/layout.js';
import { moveItemsTo } from '../library/relocate.js';
import { sidecarRelPath, withSidecarLock } from '../library/sidecar/write.js';
import {
  SourceProblem,
  copyDerivative,
  copyToTmp,
  ensureSpace,
  placeCopy,
  purgeItemFiles,
  readSidecar,
  sidecarBody,
  stageToTmp,
  writeSidecarBytes,
} from './mirror-files.js';
import { RENDITIONS, type MirrorAction } from './mirror-plan.js';
import { Prefetch } from './mirror-prefetch.js';
import type { MirrorOptions, MirrorSummary, MirrorWarning, Side } from './mirror-types.js';
import { projectItemOps } from '../library/catalog/ops.js';

export interface DriveSide {
  drive: Drive;
  cat: Catalog;
}

export interface ApplyContext {
  sides: Record<Side, DriveSide>;
  opts: MirrorOptions;
  summary: MirrorSummary;
  /** Called with bytes written and the file being copied. */
  onBytes: (n: number, current?: string) => void;
  onFileDone: () => void;
  nowMs: number;
}

const HAS: Record<Rendition, 'has_thumb' | 'has_preview' | 'has_poster' | 'has_video'> = {
  thumb: 'has_thumb',
  preview: 'has_preview',
  poster: 'has_poster',
  video: 'has_video',
};

function warn(ctx: ApplyContext, w: MirrorWarning): void {
  ctx.summary.warnings.push(w);
}

function isPlaceConflict(e: unknown): boolean {
  return isOutpostError(e) && e.code === 'PLACE_CONFLICT';
}

/**
 * Why a row from a catalogue (the partner drive's: it may come from anywhere) must not be
 * copied: an id that is no content id, or a path that leaves library/. Undefined when it is safe.
 */
function unsafeRow(row: ItemRow, comps: Pick<CompanionRow, 'path' | 'ext'>[]): string | undefined {
  if (!isContentId(row.id))
    return `item id ${JSON.stringify(row.id.slice(0, 80))} is not a content id; not copied`;
  for (const p of [row.path, ...comps.map((c) => c.path)])
    if (!isLibraryRelPath(p))
      return `catalogue path ${JSON.stringify(p.slice(0, 200))} is not inside library/; not copied`;
  if (comps.some((c) => !/^[a-z0-9]{1,16}$/.test(c.ext)))
    return 'a companion extension is not valid; not copied';
  return undefined;
}

/**
 * An item's original in the receiving drive's tmp (hashed; written back while the next item is
 * read: `orig.durable()` comes before it is placed), with its rows.
 */
type StagedItem = { row: ItemRow; comps: CompanionRow[]; orig: StagedCopy };

/** The checks, then the original into tmp; undefined when there is nothing to copy. */
async function stageItem(
  ctx: ApplyContext,
  id: string,
  from: Side,
  to: Side,
  onSaturated?: () => void,
): Promise<StagedItem | undefined> {
  const src = ctx.sides[from];
  const dst = ctx.sides[to];
  const row = rowOf(src.cat, id);
  if (!row || row.state !== 'stored' || row.deleted || rowOf(dst.cat, id)) return undefined;
  const comps = companionRows(src.cat, id);
  const unsafe = unsafeRow(row, comps);
  if (unsafe) return void warn(ctx, { item: id, code: 'UNSAFE_PATH', message: unsafe });
  const dstLayout = dst.drive.layout;
  await ensureSpace(dstLayout.root, row.size + comps.reduce((n, c) => n + c.size, 0), ctx.opts.minFreeBytes);
  const orig = await stageToTmp(join(src.drive.layout.root, row.path), dstLayout, row.id, row.ext, {
    signal: ctx.opts.signal,
    onBytes: (n) => ctx.onBytes(n, row.path),
    onSaturated,
  });
  return { row, comps, orig };
}

/** The original, companions, derivatives and row of an item the receiving drive lacks. */
async function copyItem(
  ctx: ApplyContext,
  id: string,
  from: Side,
  to: Side,
  staging: Promise<StagedItem | undefined> = stageItem(ctx, id, from, to),
): Promise<void> {
  const staged = await staging;
  if (!staged) return;
  const { row, comps, orig } = staged;
  const src = ctx.sides[from];
  const dst = ctx.sides[to];
  const srcRoot = src.drive.layout.root;
  const dstLayout = dst.drive.layout;
  const pending: ItemRow = {
    ...row,
    state: 'pending',
    has_thumb: 0,
    has_preview: 0,
    has_poster: 0,
    has_video: 0,
    derived_at: null,
    phash: null,
  };
  let inserted: MirroredInsert | undefined;
  try {
    await orig.durable();
    inserted = insertMirroredItem(dst.cat, pending);
  } finally {
    // No row (a path conflict, or an error): the copy has nothing to belong to.
    if (inserted !== 'inserted') await orig.discard();
  }
  if (inserted === 'path-taken') {
    warn(ctx, {
      item: id,
      code: 'PATH_CONFLICT',
      message: `another item holds ${row.path} on the other drive`,
    });
    return;
  }
  try {
    await placeCopy(orig.tmpPath, join(dstLayout.root, row.path), row.id);
    let bytes = orig.bytes;
    const placed: CompanionRow[] = [];
    for (const c of comps) {
      try {
        const t = await copyToTmp(join(srcRoot, c.path), dstLayout, c.sha256, c.ext, {
          signal: ctx.opts.signal,
          onBytes: (n) => ctx.onBytes(n, c.path),
        });
        await placeCopy(t.tmpPath, join(dstLayout.root, c.path), c.sha256);
        bytes += t.bytes;
        placed.push(c);
      } catch (e) {
        if (e instanceof SourceProblem) warn(ctx, { item: id, code: e.code, message: e.message });
        else if (isPlaceConflict(e))
          warn(ctx, { item: id, code: 'COMPANION_CONFLICT', message: `${c.path} differs on the two drives` });
        else throw e;
      }
    }
    const has: Record<Rendition, number> = { thumb: 0, preview: 0, poster: 0, video: 0 };
    let allDerived = true;
    for (const r of RENDITIONS) {
      if (!row[HAS[r]]) continue;
      const n = await copyDerivative(srcRoot, dstLayout, derivedRelPath(id, r), ctx.opts.signal);
      if (n === false) allDerived = false;
      else {
        has[r] = 1;
        bytes += n;
        ctx.summary.derivatives++;
      }
    }
    await dst.cat.transaction(async (tx) => {
      const state = { thumb: !!has.thumb, preview: !!has.preview, poster: !!has.poster, video: !!has.video };
      storeCopiedItem(
        tx,
        id,
        { ...state, derivedAt: allDerived ? row.derived_at : null, phash: row.phash },
        placed,
      );
      copyItemProvenance(src.cat, tx, row);
      await projectItemOps(tx, id);
    });
    ctx.summary.bytes += bytes;
    ctx.summary.companions += placed.length;
    if (from === 'a') ctx.summary.copiedAtoB++;
    else ctx.summary.copiedBtoA++;
  } catch (e) {
    // Not committed: take the half-done placement back out (the next pass copies it again).
    const p = rowOf(dst.cat, id);
    if (p && p.state === 'pending') await rollbackItem(dst.cat, dstLayout, p).catch(() => undefined);
    throw e;
  }
}

async function copyTombstone(ctx: ApplyContext, id: string, from: Side, to: Side): Promise<void> {
  const src = ctx.sides[from];
  const dst = ctx.sides[to];
  const row = rowOf(src.cat, id);
  if (!row || !row.deleted || rowOf(dst.cat, id)) return;
  const unsafe = unsafeRow(row, []);
  if (unsafe) return warn(ctx, { item: id, code: 'UNSAFE_PATH', message: unsafe });
  const copied = await dst.cat.transaction(async (tx) => {
    const tombstone: ItemRow = {
      ...row,
      state: 'stored',
      has_thumb: 0,
      has_preview: 0,
      has_poster: 0,
      has_video: 0,
      derived_at: null,
    };
    // A path conflict writes nothing: the transaction commits empty.
    if (insertMirroredItem(tx, tombstone) === 'path-taken') return false;
    copyItemProvenance(src.cat, tx, row);
    await projectItemOps(tx, id);
    return true;
  });
  if (!copied) {
    warn(ctx, { item: id, code: 'PATH_CONFLICT', message: `another item holds ${row.path}` });
    return;
  }
  ctx.summary.tombstones++;
}

async function copyCompanion(
  ctx: ApplyContext,
  id: string,
  ext: string,
  from: Side,
  to: Side,
): Promise<void> {
  const src = ctx.sides[from];
  const dst = ctx.sides[to];
  const c = companionRows(src.cat, id).find((x) => x.ext === ext);
  const dstRow = rowOf(dst.cat, id);
  if (!c || !dstRow || companionRows(dst.cat, id).some((x) => x.ext === ext)) return;
  const unsafe = unsafeRow(dstRow, [c]);
  if (unsafe) return warn(ctx, { item: id, code: 'UNSAFE_PATH', message: unsafe });
  const rel = ext === 'xmp' ? sidecarRelPath(dstRow) : companionName(dstRow.path, ext);
  await ensureSpace(dst.drive.layout.root, c.size, ctx.opts.minFreeBytes);
  try {
    const t = await copyToTmp(join(src.drive.layout.root, c.path), dst.drive.layout, c.sha256, ext, {
      signal: ctx.opts.signal,
      onBytes: (n) => ctx.onBytes(n, c.path),
    });
    await placeCopy(t.tmpPath, join(dst.drive.layout.root, rel), c.sha256);
    addCopiedCompanion(dst.cat, { item_id: id, ext, path: rel, sha256: c.sha256, size: c.size });
    ctx.summary.bytes += t.bytes;
    ctx.summary.companions++;
  } catch (e) {
    if (e instanceof SourceProblem) warn(ctx, { item: id, code: e.code, message: e.message });
    else if (isPlaceConflict(e))
      warn(ctx, { item: id, code: 'COMPANION_CONFLICT', message: `${rel} differs on the two drives` });
    else throw e;
  }
}

async function copyDerived(ctx: ApplyContext, id: string, r: Rendition, from: Side, to: Side): Promise<void> {
  const src = ctx.sides[from];
  const dst = ctx.sides[to];
  const srcRow = rowOf(src.cat, id);
  if (!srcRow) return;
  const n = await copyDerivative(
    src.drive.layout.root,
    dst.drive.layout,
    derivedRelPath(id, r),
    ctx.opts.signal,
  );
  if (n === false) return;
  markDerivativeCopied(dst.cat, id, r, srcRow);
  ctx.summary.bytes += n;
  ctx.summary.derivatives++;
}

async function purge(ctx: ApplyContext, id: string, side: Side): Promise<void> {
  const { cat, drive } = ctx.sides[side];
  const root = drive.layout.root;
  await withSidecarLock(join(root, id), async () => {
    const row = rowOf(cat, id);
    if (!row || !row.deleted) return;
    const had = await purgeItemFiles(
      root,
      row,
      companionRows(cat, id).map((c) => c.path),
    );
    forgetPurgedFiles(cat, id);
    if (had) ctx.summary.deleted++;
  });
}

/** Run the copy, purge and companion actions in plan order; relocations are returned for later. */
export async function applyActions(
  ctx: ApplyContext,
  actions: MirrorAction[],
): Promise<Record<Side, { id: string; path: string }[]>> {
  const relocate: Record<Side, { id: string; path: string }[]> = { a: [], b: [] };
  const copies = actions.flatMap((a, i) => (a.kind === 'copy-item' ? [i] : []));
  const ahead = new Prefetch<StagedItem | undefined>(
    (i) => copies[copies.indexOf(i) + 1],
    (i, onSaturated) => {
      const a = actions[i] as Extract<MirrorAction, { kind: 'copy-item' }>;
      return stageItem(ctx, a.id, a.from, a.to, onSaturated);
    },
  );
  try {
    await runActions(ctx, actions, relocate, ahead);
  } finally {
    await ahead.drain(async (t) => void (t && (await t.orig.discard())));
  }
  return relocate;
}

async function runActions(
  ctx: ApplyContext,
  actions: MirrorAction[],
  relocate: Record<Side, { id: string; path: string }[]>,
  ahead: Prefetch<StagedItem | undefined>,
): Promise<void> {
  for (const [i, a] of actions.entries()) {
    if (ctx.opts.signal?.aborted) {
      ctx.summary.aborted = true;
      break;
    }
    switch (a.kind) {
      case 'purge':
        await purge(ctx, a.id, a.side);
        break;
      case 'copy-tombstone':
        await copyTombstone(ctx, a.id, a.from, a.to);
        break;
      case 'copy-item':
        try {
          await copyItem(ctx, a.id, a.from, a.to, ahead.take(i));
        } catch (e) {
          if (!(e instanceof SourceProblem)) throw e;
          warn(ctx, { item: a.id, code: e.code, message: e.message });
        }
        ctx.onFileDone();
        break;
      case 'copy-companion':
        await copyCompanion(ctx, a.id, a.ext, a.from, a.to);
        ctx.onFileDone();
        break;
      case 'copy-derived':
        await copyDerived(ctx, a.id, a.rendition, a.from, a.to);
        break;
      case 'settle-monitor': {
        const op = await recordLocalOps(
          ctx.sides.a.cat,
          [{ entity: 'item', id: a.id, field: 'monitor', value: a.monitor }],
          ctx.opts.node,
          ctx.nowMs,
        );
        await mergeOps(ctx.sides.b.cat, op, { node: ctx.opts.node, nowMs: ctx.nowMs, mayMove: () => true });
        break;
      }
      case 'relocate':
        relocate[a.side].push({ id: a.id, path: a.path });
        break;
      case 'companion-conflict':
        warn(ctx, {
          item: a.id,
          code: 'COMPANION_CONFLICT',
          message: `the ${a.ext} companion differs on the two drives`,
        });
        break;
    }
  }
}

export async function relocate(
  ctx: ApplyContext,
  side: Side,
  moves: { id: string; path: string }[],
): Promise<void> {
  if (moves.length === 0) return;
  const { cat, drive } = ctx.sides[side];
  const res = await moveItemsTo(cat, drive.layout.root, moves);
  ctx.summary.relocated += res.moved;
  for (const f of res.failed) warn(ctx, { item: f.id, code: 'RELOCATE_FAILED', message: f.message });
}

/**
 * Rewrite the sidecars of items whose attributes the merge changed, on both drives with the
 * same bytes: one text from the merged values over one base (the first drive's sidecar, else
 * the second's), so properties other tools wrote are kept and the two files stay equal.
 */
export async function refreshSidecars(ctx: ApplyContext, ids: string[]): Promise<void> {
  const { a, b } = ctx.sides;
  for (const id of ids) {
    if (ctx.opts.signal?.aborted) {
      ctx.summary.aborted = true;
      return;
    }
    await withSidecarLock(join(a.drive.layout.root, id), () =>
      withSidecarLock(join(b.drive.layout.root, id), async () => {
        const live = (r: ItemRow | undefined): r is ItemRow => !!r && r.state === 'stored' && !r.deleted;
        const ra = rowOf(a.cat, id);
        const rb = rowOf(b.cat, id);
        const row = live(ra) ? ra : live(rb) ? rb : undefined;
        if (!row) return;
        const base =
          (live(ra) ? await readSidecar(a.drive.layout.root, ra) : undefined) ??
          (live(rb) ? await readSidecar(b.drive.layout.root, rb) : undefined);
        const body = sidecarBody(row, base);
        if (live(ra)) await writeSidecarBytes(a.cat, a.drive.layout, ra, body);
        if (live(rb)) await writeSidecarBytes(b.cat, b.drive.layout, rb, body);
        ctx.summary.sidecars++;
      }),
    );
  }
}
