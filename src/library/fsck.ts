import { opendir, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { hashFile } from './intake/index.js';
import { allCompanions, deletedItemPaths, listItems, pendingItems } from './catalog/items.js';
import type { Catalog } from './catalog/open.js';
import { derivedRelPath, isLibraryRelPath, type DriveLayout } from './layout.js';
import { hintOf, type Code } from '../core/warnings.js';

/** What fsck reports: codes of the one vocabulary (core/warnings.ts), whose hints say what to do. */
export type FsckCode = Extract<
  Code,
  | 'MISSING'
  | 'SIZE_MISMATCH'
  | 'CORRUPT'
  | 'ORPHAN'
  | 'TMP_LEFTOVER'
  | 'PENDING'
  | 'MISSING_DERIVATIVE'
  | 'COMPANION_MISSING'
  | 'COMPANION_CORRUPT'
  | 'UNSAFE_PATH'
>;

export interface FsckProblem {
  code: FsckCode;
  path: string;
  message: string;
  /** What the user should do about it. */
  fix: string;
}

export interface FsckReport {
  items: number;
  checkedHashes: number;
  problems: FsckProblem[];
}

/** fsck found the unsafe path (not a move refused): where to look beats the error's generic hint. */
const UNSAFE_PATH_FIX =
  'Nothing outside library/ was touched; find where the file really is (library/<monitor>/<date>/), then run `outpost rebuild` to catalogue the drive from its files.';

function unsafe(path: string, what: string): FsckProblem {
  return problem(
    'UNSAFE_PATH',
    path.slice(0, 300),
    `the catalogue puts ${what} outside library/ (not touched); an op or a partner drive may have been tampered with`,
  );
}

function problem(code: FsckCode, path: string, message: string): FsckProblem {
  return { code, path, message, fix: code === 'UNSAFE_PATH' ? UNSAFE_PATH_FIX : hintOf(code) };
}

/** Catalogue vs files. Read-only: it reports, it never deletes or moves anything. */
export async function fsckLibrary(
  cat: Catalog,
  layout: DriveLayout,
  opts: { hash: boolean; onProgress?: (done: number, total: number) => void },
): Promise<FsckReport> {
  const problems: FsckProblem[] = [];
  const items = await listItems(cat, {});
  const known = new Set<string>();
  let checkedHashes = 0;
  let done = 0;
  for (const item of items) {
    known.add(item.path);
    if (!isLibraryRelPath(item.path)) {
      // Never followed: a catalogue path that leaves library/ is reported, not read.
      problems.push(unsafe(item.path, `original of ${item.id.slice(0, 12)}`));
      opts.onProgress?.(++done, items.length);
      continue;
    }
    const abs = join(layout.root, item.path);
    const st = await stat(abs).catch(() => undefined);
    if (!st) problems.push(problem('MISSING', item.path, `original of ${item.id.slice(0, 12)} is missing`));
    else if (st.size !== item.size)
      problems.push(problem('SIZE_MISMATCH', item.path, `size ${st.size}, catalogue says ${item.size}`));
    else if (opts.hash) {
      checkedHashes++;
      const h = await hashFile(abs);
      if (h !== item.id)
        problems.push(
          problem('CORRUPT', item.path, `sha256 ${h.slice(0, 12)}…, expected ${item.id.slice(0, 12)}…`),
        );
    }
    const wanted = [
      ['thumb', item.has_thumb],
      ['preview', item.has_preview],
      ['poster', item.has_poster],
      ['video', item.has_video],
    ] as const;
    for (const [r, has] of wanted) {
      if (!has) continue;
      const p = derivedRelPath(item.id, r);
      if (!(await stat(join(layout.root, p)).catch(() => undefined)))
        problems.push(problem('MISSING_DERIVATIVE', p, `${r} of ${item.id.slice(0, 12)} is missing`));
    }
    opts.onProgress?.(++done, items.length);
  }
  const deletedPaths = await deletedItemPaths(cat);
  for (const p of deletedPaths) known.add(p);
  for (const p of deletedPaths) if (!isLibraryRelPath(p)) problems.push(unsafe(p, 'a deleted item'));
  for (const c of await allCompanions(cat)) {
    known.add(c.path);
    if (!isLibraryRelPath(c.path)) {
      problems.push(unsafe(c.path, `a companion of ${c.item_id.slice(0, 12)}`));
      continue;
    }
    const abs = join(layout.root, c.path);
    const st = await stat(abs).catch(() => undefined);
    if (!st) problems.push(problem('COMPANION_MISSING', c.path, 'companion file is missing'));
    else if (opts.hash && (await hashFile(abs)) !== c.sha256)
      problems.push(problem('COMPANION_CORRUPT', c.path, 'companion file does not match its hash'));
  }
  for (const p of await pendingItems(cat))
    problems.push(problem('PENDING', p.path, `item ${p.id.slice(0, 12)} was being copied`));

  for await (const rel of walkFiles(layout.libraryDir, layout.root)) {
    if (known.has(rel)) continue;
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (base.startsWith('.') && base.endsWith('.tmp')) {
      problems.push(problem('TMP_LEFTOVER', rel, 'temporary file from an interrupted write'));
      continue;
    }
    // Sidecars written by the web app (`<name>.xmp`) belong to their item.
    if (base.endsWith('.xmp') && known.has(rel.slice(0, -4))) continue;
    problems.push(problem('ORPHAN', rel, 'file in library/ that the catalogue does not know'));
  }
  for (const name of await readdir(layout.tmpDir).catch(() => [] as string[]))
    problems.push(
      problem('TMP_LEFTOVER', relative(layout.root, join(layout.tmpDir, name)), 'unfinished copy'),
    );
  return { items: items.length, checkedHashes, problems };
}

async function* walkFiles(dir: string, root: string): AsyncGenerator<string> {
  let d;
  try {
    d = await opendir(dir);
  } catch {
    return;
  }
  for await (const e of d) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walkFiles(p, root);
    else yield relative(root, p);
  }
}
