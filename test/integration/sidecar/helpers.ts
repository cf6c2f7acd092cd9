import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { insertPendingItem, markStored } from '../../../src/library/catalog/items.js';
import type { ItemRow } from '../../../src/library/catalog/schema.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { corpusFiles, sha256File } from '../../kit/fixtures.js';
import { dbOf } from '../../../src/library/catalog/handle.js';

/** Debian's exiftool, the independent reader: `-j` output of one file. */
export function exiftool(args: string[], file: string): Record<string, unknown> {
  const out = execFileSync('exiftool', ['-j', ...args, file], { encoding: 'utf8' });
  const parsed = JSON.parse(out) as Record<string, unknown>[];
  return parsed[0]!;
}

/** exiftool prints a one-item list as a plain value. */
export function asList(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export interface TestLibrary {
  drive: Drive;
  root: string;
  cat: Catalog;
  items: ItemRow[];
}

/**
 * A library drive with `count` real corpus photos stored under `library/Ana/2024-05-01/`, as
 * ingest would leave them (content-addressed id, original bytes in place, stored rows).
 */
export async function makeLibrary(
  dir: string,
  count: number,
  opts: { cardId?: string } = {},
): Promise<TestLibrary> {
  const drive = await initDrive(dir, { label: 'test', now: new Date('2024-05-01T10:00:00Z') });
  const root = drive.layout.root;
  const cat = await openCatalog(drive.layout.catalog);
  const folder = join('library', 'Ana', '2024-05-01');
  mkdirSync(join(root, folder), { recursive: true });
  const items: ItemRow[] = [];
  for (const [i, src] of corpusFiles().slice(0, count).entries()) {
    const sha = sha256File(src);
    const name = `20240501-0800${String(i).padStart(2, '0')}_${sha.slice(0, 16)}.jpg`;
    const rel = join(folder, name);
    copyFileSync(src, join(root, rel));
    const row = buildItemRow(
      {
        sha256: sha,
        type: 'photo',
        ext: 'jpg',
        size: statSync(src).size,
        monitor: 'Ana',
        originalName: `IMG_${String(i).padStart(4, '0')}.JPG`,
        mtimeMs: 0,
        importedAt: '2024-05-01T10:00:00.000Z',
        cardId: opts.cardId ?? null,
        probe: { facts: {}, warnings: [] },
        timeZone: 'UTC',
      },
      rel,
    );
    await insertPendingItem(cat, row);
    await markStored(cat, sha);
  }
  for (const r of await dbOf(cat).selectFrom('items').selectAll().orderBy('path').execute()) items.push(r);
  return { drive, root, cat, items };
}
