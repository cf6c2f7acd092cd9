import { opendir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import { COMPANION_EXTENSIONS, companionOwner, extensionOf, mediaTypeOf } from '../core/media-types.js';
import { hashFile } from './intake/index.js';
import type { MediaAnalyzer } from '../media/types.js';
import { carryOverCards, carryOverImports, isReadable, reprojectCardMonitors } from './catalog/carry-over.js';
import { addCompanion, getItem, insertPendingItem, itemsWithoutOps, setDerived } from './catalog/items.js';
import { mergeOps, opsSince, recordLocalOps } from './catalog/ops.js';
import { parseXmp } from './sidecar/xmp.js';
import { patchToChanges } from '../core/attributes.js';
import { openCatalog, type Catalog } from './catalog/open.js';
import type { Drive } from './drive.js';
import { buildItemRow } from './item-row.js';
import { derivedRelPath } from './layout.js';
import { acquireLibraryLock } from './lock.js';
import type { Code } from '../core/warnings.js';

export interface RebuildSummary {
  items: number;
  companions: number;
  /** Ops, cards and ledger rows carried over from the old catalogue when it was still readable. */
  carriedOver: { ops: number; cards: number; imports: number };
  /** Attribute ops recreated from XMP sidecars (items the old catalogue did not cover). */
  sidecarOps: number;
  /** Codes of the one vocabulary (core/warnings.ts), each with a hint. */
  warnings: { path: string; code: Code; message: string }[];
  backup?: string;
  seconds: number;
}

export interface RebuildDeps {
  analyzer: MediaAnalyzer;
  clock: Clock;
  log: Logger;
}

/**
 * Rebuild the catalogue from the drive alone: every original under `library/<MONITOR>/<DATE>/`
 * is re-hashed and re-probed, derivatives regenerated. The new catalogue is built beside the
 * old one and swapped in atomically; the old one is kept as a backup. When the old catalogue
 * can still be read, its op log, cards and import ledger are carried over.
 */
export async function rebuildCatalog(
  drive: Drive,
  deps: RebuildDeps,
  opts: {
    timeZone: string;
    node: string;
    thumbSize: number;
    previewSize: number;
    onProgress?: (done: number) => void;
  },
): Promise<RebuildSummary> {
  const started = performance.now();
  const { layout } = drive;
  const summary: RebuildSummary = {
    items: 0,
    companions: 0,
    carriedOver: { ops: 0, cards: 0, imports: 0 },
    sidecarOps: 0,
    warnings: [],
    seconds: 0,
  };
  const lock = await acquireLibraryLock(layout.lockFile, 'rebuild');
  const fresh = join(layout.outpostDir, 'catalog.rebuild.sqlite');
  try {
    for (const s of ['', '-wal', '-shm']) await rm(fresh + s, { force: true });
    const cat = await openCatalog(fresh);
    try {
      for await (const { monitor, date, dir } of libraryFolders(layout.libraryDir, summary.warnings)) {
        await rebuildFolder(cat, drive, deps, opts, { monitor, date, dir }, summary);
        opts.onProgress?.(summary.items);
      }
      await carryOver(cat, layout.catalog, opts.node, deps.clock.now().getTime(), summary);
      await attributesFromSidecars(cat, layout.root, opts.node, deps.clock.now().getTime(), summary);
    } finally {
      await cat.close();
    }
    if (await stat(layout.catalog).catch(() => undefined)) {
      summary.backup = `${layout.catalog}.bak-${deps.clock.now().toISOString().replace(/[:.]/g, '')}`;
      for (const s of ['-wal', '-shm']) await rm(layout.catalog + s, { force: true });
      await rename(layout.catalog, summary.backup);
    }
    await rename(fresh, layout.catalog);
  } finally {
    await lock.release();
  }
  summary.seconds = Math.round((performance.now() - started) / 10) / 100;
  return summary;
}

async function* libraryFolders(
  libraryDir: string,
  warnings: RebuildSummary['warnings'],
): AsyncGenerator<{ monitor: string; date: string; dir: string }> {
  for (const monitor of await dirNames(libraryDir)) {
    for (const date of await dirNames(join(libraryDir, monitor))) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        warnings.push({
          path: join('library', monitor, date),
          code: 'UNEXPECTED_FOLDER',
          message: 'not a YYYY-MM-DD folder; skipped',
        });
        continue;
      }
      yield { monitor, date, dir: join(libraryDir, monitor, date) };
    }
  }
}

async function dirNames(dir: string): Promise<string[]> {
  const out: string[] = [];
  const d = await opendir(dir).catch(() => undefined);
  if (!d) return out;
  for await (const e of d) if (e.isDirectory() && !e.name.startsWith('.')) out.push(e.name);
  return out.sort();
}

async function rebuildFolder(
  cat: Catalog,
  drive: Drive,
  deps: RebuildDeps,
  opts: { timeZone: string; thumbSize: number; previewSize: number },
  f: { monitor: string; date: string; dir: string },
  summary: RebuildSummary,
): Promise<void> {
  const names: string[] = [];
  for await (const e of await opendir(f.dir)) if (e.isFile() && !e.name.startsWith('.')) names.push(e.name);
  names.sort();
  const present = new Set(names);
  const root = drive.layout.root;
  const rel = (n: string): string => join('library', f.monitor, f.date, n);
  for (const name of names) {
    if (companionOwner(name, present) !== undefined) continue;
    const type = mediaTypeOf(name);
    if (!type) {
      summary.warnings.push({ path: rel(name), code: 'NOT_MEDIA', message: 'not a media file; left alone' });
      continue;
    }
    const abs = join(f.dir, name);
    const st = await stat(abs);
    const sha = await hashFile(abs);
    if (await getItem(cat, sha)) {
      summary.warnings.push({
        path: rel(name),
        code: 'DUPLICATE_FILE',
        message: `same bytes as another original (${sha.slice(0, 12)}); not catalogued twice`,
      });
      continue;
    }
    const probe = await deps.analyzer.probe(abs, type, { timeZone: opts.timeZone });
    const row = buildItemRow(
      {
        sha256: sha,
        type,
        ext: extensionOf(name),
        size: st.size,
        monitor: f.monitor,
        originalName: name,
        mtimeMs: Math.trunc(st.mtimeMs),
        importedAt: `${f.date}T00:00:00.000Z`,
        cardId: null,
        probe,
        timeZone: opts.timeZone,
      },
      rel(name),
    );
    await insertPendingItem(cat, { ...row, state: 'stored' });
    for (const ext of COMPANION_EXTENSIONS) {
      const cname = `${name}.${ext}`;
      if (!present.has(cname) || ext === 'xmp') continue;
      const cabs = join(f.dir, cname);
      const cst = await stat(cabs);
      await addCompanion(cat, {
        item_id: sha,
        ext,
        path: rel(cname),
        sha256: await hashFile(cabs),
        size: cst.size,
      });
      summary.companions++;
    }
    const d = await deps.analyzer.derive(
      abs,
      type,
      {
        thumbPath: join(root, derivedRelPath(sha, 'thumb')),
        previewPath: join(root, derivedRelPath(sha, 'preview')),
        posterPath: join(root, derivedRelPath(sha, 'poster')),
      },
      { thumbSize: opts.thumbSize, previewSize: opts.previewSize },
    );
    await setDerived(cat, sha, { ...d, at: deps.clock.now().toISOString() });
    summary.items++;
  }
}

/**
 * Sidecars hold the attributes (rating, event, location, tags, notes): items the old catalogue
 * could not vouch for get them back as ops, so a rebuild from the drive alone loses no tags.
 */
async function attributesFromSidecars(
  cat: Catalog,
  root: string,
  node: string,
  nowMs: number,
  summary: RebuildSummary,
): Promise<void> {
  for (const r of await itemsWithoutOps(cat)) {
    const text = await readFile(join(root, `${r.path}.xmp`), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    let patch;
    try {
      patch = parseXmp(text);
    } catch (e) {
      summary.warnings.push({
        path: `${r.path}.xmp`,
        code: 'SIDECAR_UNREADABLE',
        message: (e as Error).message,
      });
      continue;
    }
    const changes = patchToChanges(patch).map((c) => ({ entity: 'item' as const, id: r.id, ...c }));
    if (changes.length) summary.sidecarOps += (await recordLocalOps(cat, changes, node, nowMs)).length;
  }
}

/** Keep what the old catalogue still knows that files cannot tell: op log, cards, ledger. */
async function carryOver(
  cat: Catalog,
  oldPath: string,
  node: string,
  nowMs: number,
  summary: RebuildSummary,
): Promise<void> {
  if (!(await stat(oldPath).catch(() => undefined))) return;
  const old = await openCatalog(oldPath, { readonly: true }).catch(() => undefined);
  if (!old || !(await isReadable(old))) {
    await old?.close().catch(() => undefined);
    summary.warnings.push({
      path: oldPath,
      code: 'OLD_CATALOG_UNREADABLE',
      message: 'old catalogue unreadable: op log and ledger start afresh',
    });
    return;
  }
  try {
    let cursor = 0;
    for (;;) {
      const page = await opsSince(old, cursor, 5000);
      if (!page.ops.length) break;
      // The drive's own history: fields and values are checked, not the clock it was made under.
      const merged = await mergeOps(cat, page.ops, {
        node,
        nowMs,
        maxAheadMs: Infinity,
        mayMove: () => true,
      });
      summary.carriedOver.ops += merged.applied;
      for (const r of merged.refused)
        summary.warnings.push({
          path: oldPath,
          code: r.code,
          message: `op ${r.op.field} of ${r.op.entity} ${r.op.id.slice(0, 16)} from ${r.op.origin} not carried over: ${r.message}`,
        });
      cursor = page.cursor;
    }
    summary.carriedOver.cards += await carryOverCards(old, cat);
    summary.carriedOver.imports += await carryOverImports(old, cat);
    // Card ops were applied before the cards existed in the new catalogue: project them again.
    await reprojectCardMonitors(cat);
  } finally {
    await old.close();
  }
}
