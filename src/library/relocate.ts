import { mkdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { fsyncDir } from '../adapters/fs-atomic.js';
import { errnoCode } from '../core/errors.js';
import { getItem } from './catalog/items.js';
import type { Catalog } from './catalog/open.js';
import {
  clearRelocationNote,
  commitRelocation,
  companionPaths,
  currentPathsOf,
  itemsToRelocate,
  unfinishedRelocations,
} from './catalog/relocations.js';
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
  driveRoot: string | null,
  ids?: string[],
): Promise<RelocationResult> {
  // No library files here (HQ): the catalogue's paths are where the station files them.
  if (driveRoot === null) return { moved: 0, failed: [] };
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
  const rows = await itemsToRelocate(cat, ids);
  const result: RelocationResult = { moved: 0, failed: [] };
  for (const row of rows) {
    if (row.state !== 'stored') continue;
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
  const item = await getItem(cat, id);
  const newPath = item && item.state === 'stored' ? target(item) : undefined;
  if (!item || !newPath) return false;
  const companions = await companionPaths(cat, id);
  const oldDir = dirname(item.path);
  const newDir = dirname(newPath);
  const rename = companionRename(basename(item.path), basename(newPath));
  const moves = [
    { from: item.path, to: newPath },
    ...companions.map((c) => ({
      from: c.path,
      to: c.path.startsWith(oldDir + sep) ? join(newDir, rename(c.path.slice(oldDir.length + 1))) : c.path,
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

  commitRelocation(cat, id, newPath, moves);

  await unlinkAll(
    root,
    moves.map((m) => m.from),
  );
  await fsyncDir(join(root, oldDir)).catch(() => undefined);
  await clearRelocationNote(cat, id);
  return true;
}

/**
 * Companions follow a renamed original (a clock fix renames `20240501-…_hash.jpg`): a companion
 * named after the original (`<name>.xmp`, `<stem>.WAV`) takes the new name; others keep theirs.
 */
function companionRename(oldName: string, newName: string): (name: string) => string {
  if (oldName === newName) return (n) => n;
  const oldStem = oldName.replace(/\.[^.]*$/, '');
  const newStem = newName.replace(/\.[^.]*$/, '');
  return (n) =>
    n.startsWith(`${oldName}.`)
      ? newName + n.slice(oldName.length)
      : n.startsWith(`${oldStem}.`)
        ? newStem + n.slice(oldStem.length)
        : n;
}

async function unlinkAll(root: string, paths: string[]): Promise<void> {
  for (const p of paths)
    await unlink(libraryFile(root, p)).catch((e: unknown) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
}

/**
 * Old links a killed run left behind after the catalogue already moved on. Every move runs this
 * first; a caller that may have no move to make (the mirror, once the catalogues agree) runs it
 * on its own, else the old links stay in library/ for good.
 */
export async function finishPendingUnlinks(cat: Catalog, root: string): Promise<void> {
  for (const r of await unfinishedRelocations(cat)) {
    const keep = await currentPathsOf(cat, r.id);
    // Never remove a path the catalogue (still or again) points at.
    await unlinkAll(
      root,
      r.oldPaths.filter((p) => !keep.has(p)),
    );
    await clearRelocationNote(cat, r.id);
  }
}
