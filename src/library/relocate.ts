import { mkdir, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { fsyncDir } from '../adapters/fs-atomic.js';
import { errnoCode } from '../core/errors.js';
import type { Catalog } from './catalog/open.js';
import type { ItemRow } from './catalog/schema.js';
import { validateMonitor } from '../core/naming.js';
import { libraryFile, originalRelPath } from './layout.js';
import { withSidecarLock } from './sidecar/write.js';
import { linkNoClobber } from './intake/index.js';

/** `library/<MONITOR>/<DATE>/<name>` → its parts; undefined for paths outside that shape. */
export function splitLibraryPath(path: string): { monitor: string; date: string; name: string } | undefined {
  const parts = path.split(sep);
  if (parts.length !== 4 || parts[0] !== 'library') return undefined;
  return { monitor: parts[1]!, date: parts[2]!, name: parts[3]! };
}

/** Where an item belongs now that its monitor is `monitor`; undefined when it is already there. */
export function relocatedPath(path: string, monitor: string): string | undefined {
  const p = splitLibraryPath(path);
  if (!p || p.monitor === monitor) return undefined;
  // The monitor comes from the catalogue (an op from HQ, a partner drive): it must be a name that
  // an edit could set, never a path (validateMonitor refuses "..", "/" and control characters).
  return originalRelPath(validateMonitor(monitor), p.date, p.name);
}

export interface RelocationResult {
  moved: number;
  failed: { id: string; message: string }[];
}

const PENDING_PREFIX = 'relocated:';

/**
 * Move the files of items whose `monitor` no longer matches their folder (after a card was
 * assigned, or after ops merged from another drive or HQ said so) to `library/<monitor>/...`.
 *
 * Per item, crash-safe at every step: the original, its sidecar and companions are first
 * hard-linked at the new place (no clobber; a link left by a cut-off run is taken as is), then
 * one transaction points the catalogue at the new paths and notes the old ones, then the old
 * links are removed and the note dropped. A run killed anywhere leaves either the old files
 * catalogued (and maybe extra links of the same bytes, reused next time) or the new ones with
 * a note that the next run finishes. No bytes are ever copied, so nothing can be half-written.
 */
export async function relocateItems(
  cat: Catalog,
  driveRoot: string,
  ids?: string[],
): Promise<RelocationResult> {
  return moveItems(cat, driveRoot, ids, (item) => relocatedPath(item.path, item.monitor));
}

/**
 * Move items to given paths inside `library/` (the mirror settling where an item lives when two
 * drives filed the same bytes differently), with the same crash-safe steps as relocateItems.
 */
export async function moveItemsTo(
  cat: Catalog,
  driveRoot: string,
  moves: { id: string; path: string }[],
): Promise<RelocationResult> {
  const to = new Map(moves.map((m) => [m.id, m.path]));
  return moveItems(cat, driveRoot, [...to.keys()], (item) => {
    const p = to.get(item.id);
    return p && p !== item.path && splitLibraryPath(p) ? p : undefined;
  });
}

async function moveItems(
  cat: Catalog,
  driveRoot: string,
  ids: string[] | undefined,
  target: (item: ItemRow) => string | undefined,
): Promise<RelocationResult> {
  await finishPendingUnlinks(cat, driveRoot);
  const rows = ids
    ? ids.map((id) => cat.sqlite.prepare('select * from items where id = ?').get(id) as ItemRow | undefined)
    : (cat.sqlite.prepare("select * from items where state = 'stored'").all() as ItemRow[]);
  const result: RelocationResult = { moved: 0, failed: [] };
  for (const row of rows) {
    if (!row || row.state !== 'stored') continue;
    try {
      if (!target(row)) continue;
      if (await withSidecarLock(row.id, () => relocateOne(cat, driveRoot, row.id, target))) result.moved++;
    } catch (e) {
      result.failed.push({ id: row.id, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return result;
}

async function relocateOne(
  cat: Catalog,
  root: string,
  id: string,
  target: (item: ItemRow) => string | undefined,
): Promise<boolean> {
  // Re-read inside the lock: a sidecar write or another move may have run meanwhile.
  const item = cat.sqlite.prepare('select * from items where id = ?').get(id) as ItemRow | undefined;
  const newPath = item && item.state === 'stored' ? target(item) : undefined;
  if (!item || !newPath) return false;
  const companions = cat.sqlite.prepare('select ext, path from companions where item_id = ?').all(id) as {
    ext: string;
    path: string;
  }[];
  const oldDir = dirname(item.path);
  const newDir = dirname(newPath);
  const moves = [
    { from: item.path, to: newPath },
    ...companions.map((c) => ({
      from: c.path,
      to: c.path.startsWith(oldDir + sep) ? join(newDir, c.path.slice(oldDir.length + 1)) : c.path,
    })),
  ].filter((m) => m.from !== m.to);

  // Every path here came from the catalogue: each must stay inside library/ (UNSAFE_PATH).
  for (const m of moves) {
    libraryFile(root, m.from);
    libraryFile(root, m.to);
  }
  await mkdir(join(root, newDir), { recursive: true });
  // An existing `to` is fine only when it is the very same file (a link left by a cut-off run).
  for (const m of moves)
    await linkNoClobber(libraryFile(root, m.from), libraryFile(root, m.to), {
      sameInode: true,
      rename: false,
      syncDir: false,
    });
  await fsyncDir(join(root, newDir));

  cat.sqlite.transaction(() => {
    cat.sqlite.prepare('update items set path = ? where id = ?').run(newPath, id);
    for (const m of moves.slice(1))
      cat.sqlite
        .prepare('update companions set path = ? where item_id = ? and path = ?')
        .run(m.to, id, m.from);
    cat.sqlite
      .prepare('insert or replace into meta(key, value) values (?, ?)')
      .run(PENDING_PREFIX + id, JSON.stringify(moves.map((m) => m.from)));
  })();

  await unlinkAll(
    root,
    moves.map((m) => m.from),
  );
  await fsyncDir(join(root, oldDir)).catch(() => undefined);
  cat.sqlite.prepare('delete from meta where key = ?').run(PENDING_PREFIX + id);
  return true;
}

async function unlinkAll(root: string, paths: string[]): Promise<void> {
  for (const p of paths)
    await unlink(libraryFile(root, p)).catch((e: unknown) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
}

/** Old links a killed run left behind after the catalogue already moved on. */
async function finishPendingUnlinks(cat: Catalog, root: string): Promise<void> {
  const rows = cat.sqlite
    .prepare('select key, value from meta where key like ?')
    .all(PENDING_PREFIX + '%') as {
    key: string;
    value: string;
  }[];
  for (const r of rows) {
    const id = r.key.slice(PENDING_PREFIX.length);
    const current = cat.sqlite
      .prepare('select path from companions where item_id = ? union select path from items where id = ?')
      .all(id, id) as { path: string }[];
    const keep = new Set(current.map((c) => c.path));
    // Never remove a path the catalogue (still or again) points at.
    await unlinkAll(
      root,
      (JSON.parse(r.value) as string[]).filter((p) => !keep.has(p)),
    );
    cat.sqlite.prepare('delete from meta where key = ?').run(r.key);
  }
}
