/** Carry out a mirror plan's actions on the two drives (files via mirror-files.ts, rows here). */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isContentId } from '../core/content-id.js';
import { isOutpostError } from '../core/errors.js';
import { companionName } from '../core/naming.js';
import { rollbackItem } from '../library/intake/index.js';
import type { Catalog } from '../library/catalog/open.js';
import { mergeOps, recordLocalOps } from '../library/catalog/ops.js';
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

const HAS: Record<Rendition, 'has_thumb' | 'has_preview' | 'has_poster'> = {
  thumb: 'has_thumb',
  preview: 'has_preview',
  poster: 'has_poster',
};

function rowOf(cat: Catalog, id: string): ItemRow | undefined {
  return cat.sqlite.prepare('select * from items where id = ?').get(id) as ItemRow | undefined;
}

function companionRows(cat: Catalog, id: string): CompanionRow[] {
  return cat.sqlite.prepare('select * from companions where item_id = ?').all(id) as CompanionRow[];
}

function insertRow(cat: Catalog, row: ItemRow): void {
  const cols = Object.keys(row);
  cat.sqlite
    .prepare(`insert into items (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`)
    .run(row);
}

/** The import ledger rows and the card of an item travel with it (ingest then skips the file). */
function copyProvenance(src: Catalog, dst: Catalog, row: ItemRow): void {
  const imports = src.sqlite.prepare('select * from imports where item_id = ?').all(row.id) as Record<
    string,
    unknown
  >[];
  const ins = dst.sqlite.prepare(
    `insert or ignore into imports (card_id, rel_path, size, mtime_ms, item_id, outcome, imported_at)
     values (@card_id, @rel_path, @size, @mtime_ms, @item_id, @outcome, @imported_at)`,
  );
  for (const r of imports) ins.run(r);
  if (!row.card_id) return;
  const card = src.sqlite.prepare('select * from cards where id = ?').get(row.card_id) as
    Record<string, unknown> | undefined;
  if (!card) return;
  const res = dst.sqlite
    .prepare(
      `insert or ignore into cards (id, kind, label, fs_uuid, monitor, first_seen, last_seen, last_mount)
       values (@id, @kind, @label, @fs_uuid, @monitor, @first_seen, @last_seen, @last_mount)`,
    )
    .run(card);
  if (res.changes)
    dst.sqlite
      .prepare(
        `update cards set monitor = (select json_extract(value, '$') from ops where entity = 'card'
           and entity_id = cards.id and field = 'monitor' order by hlc desc limit 1)
         where id = ? and exists (select 1 from ops where entity = 'card' and entity_id = cards.id and field = 'monitor')`,
      )
      .run(row.card_id);
}

function warn(ctx: ApplyContext, w: MirrorWarning): void {
  ctx.summary.warnings.push(w);
}

function isPlaceConflict(e: unknown): boolean {
  return isOutpostError(e) && e.code === 'PLACE_CONFLICT';
}

function isPathTaken(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed: items\.path/.test(e.message);
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

/** An item's original in the receiving drive's tmp (hashed, fsynced), with its rows. */
type StagedItem = { row: ItemRow; comps: CompanionRow[]; orig: { tmpPath: string; bytes: number } };

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
  const orig = await copyToTmp(join(src.drive.layout.root, row.path), dstLayout, row.id, row.ext, {
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
    derived_at: null,
    phash: null,
  };
  try {
    insertRow(dst.cat, pending);
  } catch (e) {
    await rm(orig.tmpPath, { force: true });
    if (!isPathTaken(e)) throw e;
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
    const has: Record<Rendition, number> = { thumb: 0, preview: 0, poster: 0 };
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
    dst.cat.sqlite.transaction(() => {
      dst.cat.sqlite
        .prepare(
          `update items set state = 'stored', has_thumb = ?, has_preview = ?, has_poster = ?,
             derived_at = ?, phash = ? where id = ?`,
        )
        .run(has.thumb, has.preview, has.poster, allDerived ? row.derived_at : null, row.phash, id);
      const ins = dst.cat.sqlite.prepare(
        'insert or ignore into companions (item_id, ext, path, sha256, size) values (@item_id, @ext, @path, @sha256, @size)',
      );
      for (const c of placed) ins.run(c);
      copyProvenance(src.cat, dst.cat, row);
      projectItemOps(dst.cat, id);
    })();
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
  try {
    dst.cat.sqlite.transaction(() => {
      insertRow(dst.cat, {
        ...row,
        state: 'stored',
        has_thumb: 0,
        has_preview: 0,
        has_poster: 0,
        derived_at: null,
      });
      copyProvenance(src.cat, dst.cat, row);
      projectItemOps(dst.cat, id);
    })();
  } catch (e) {
    if (!isPathTaken(e)) throw e;
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
    dst.cat.sqlite
      .prepare('insert or ignore into companions (item_id, ext, path, sha256, size) values (?, ?, ?, ?, ?)')
      .run(id, ext, rel, c.sha256, c.size);
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
  dst.cat.sqlite
    .prepare(
      `update items set ${HAS[r]} = 1, derived_at = coalesce(derived_at, ?), phash = coalesce(phash, ?) where id = ?`,
    )
    .run(srcRow.derived_at, srcRow.phash, id);
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
    cat.sqlite.transaction(() => {
      cat.sqlite.prepare('delete from companions where item_id = ?').run(id);
      cat.sqlite
        .prepare('update items set has_thumb = 0, has_preview = 0, has_poster = 0 where id = ?')
        .run(id);
    })();
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
    await ahead.drain(async (t) => void (t && (await rm(t.orig.tmpPath, { force: true }))));
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
        const op = recordLocalOps(
          ctx.sides.a.cat,
          [{ entity: 'item', id: a.id, field: 'monitor', value: a.monitor }],
          ctx.opts.node,
          ctx.nowMs,
        );
        mergeOps(ctx.sides.b.cat, op, { node: ctx.opts.node, nowMs: ctx.nowMs, mayMove: () => true });
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
