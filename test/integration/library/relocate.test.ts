import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, link, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { addCompanion, insertPendingItem, markStored } from '../../../src/library/catalog/items.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { recordLocalOps } from '../../../src/library/catalog/ops.js';
import { initDrive } from '../../../src/library/drive.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { relocatedPath, relocateItems } from '../../../src/library/relocate.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

const linkP = promisify(link);
let work: string;
let root: string;
let cat: Catalog;

after(async () => {
  await cat?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** One stored item under library/Ana with a sidecar companion, real bytes on disk. */
async function addItem(n: number): Promise<{ id: string; path: string; sidecar: string }> {
  const bytes = Buffer.from(`photo ${n} bytes`);
  const id = createHash('sha256').update(bytes).digest('hex');
  const path = `library/Ana/2024-06-01/20240601-080000_${id.slice(0, 16)}.jpg`;
  mkdirSync(join(root, dirname(path)), { recursive: true });
  writeFileSync(join(root, path), bytes);
  const sidecarBytes = Buffer.from(`<x:xmpmeta n="${n}"/>`);
  writeFileSync(join(root, `${path}.xmp`), sidecarBytes);
  const row = buildItemRow(
    {
      sha256: id,
      type: 'photo',
      ext: 'jpg',
      size: bytes.length,
      monitor: 'Ana',
      originalName: `IMG_${n}.JPG`,
      mtimeMs: Date.parse('2024-06-01T08:00:00Z'),
      importedAt: '2024-06-01T10:00:00.000Z',
      cardId: 'idf:card-1',
      probe: { facts: {}, warnings: [] },
      timeZone: 'UTC',
    },
    path,
  );
  await insertPendingItem(cat, row);
  await markStored(cat, id);
  await addCompanion(cat, {
    item_id: id,
    ext: 'xmp',
    path: `${path}.xmp`,
    sha256: createHash('sha256').update(sidecarBytes).digest('hex'),
    size: sidecarBytes.length,
  });
  return { id, path, sidecar: `${path}.xmp` };
}

const pathOf = (id: string): string =>
  (sqliteOf(cat).prepare('select path from items where id = ?').get(id) as { path: string }).path;
const setMonitor = async (id: string, monitor: string): Promise<void> => {
  await recordLocalOps(cat, [{ entity: 'item', id, field: 'monitor', value: monitor }], 'test', Date.now());
};

describe('relocateItems', () => {
  beforeEach(async () => {
    await cat?.close();
    if (work) await rm(work, { recursive: true, force: true });
    work = await mkdtemp(join(tmpdir(), 'outpost-relocate-'));
    const drive = await initDrive(join(work, 'drive'), { label: 'A', now: new Date() });
    root = drive.layout.root;
    cat = await openCatalog(drive.layout.catalog);
  });

  it('moves original and sidecar to the monitor folder, keeping the bytes, and updates the catalogue', async () => {
    const a = await addItem(1);
    await setMonitor(a.id, 'Ben');
    const r = await relocateItems(cat, root);
    assert.deepEqual(r, { moved: 1, failed: [] });
    const p = pathOf(a.id);
    assert.equal(p, relocatedPath(a.path, 'Ben'));
    assert.ok(p.startsWith('library/Ben/2024-06-01/'));
    assert.equal(
      createHash('sha256')
        .update(readFileSync(join(root, p)))
        .digest('hex'),
      a.id,
    );
    assert.ok(existsSync(join(root, `${p}.xmp`)));
    assert.equal(existsSync(join(root, a.path)), false);
    assert.equal(existsSync(join(root, a.sidecar)), false);
    const meta = sqliteOf(cat)
      .prepare("select count(*) as n from meta where key like 'relocated:%'")
      .get() as {
      n: number;
    };
    assert.equal(meta.n, 0, 'no pending note left');
    assert.deepEqual(
      await relocateItems(cat, root),
      { moved: 0, failed: [] },
      'a second pass has nothing to do',
    );
  });

  it('finishes a move cut off after the new links were made (catalogue still old)', async () => {
    const a = await addItem(2);
    await setMonitor(a.id, 'Ben');
    const to = relocatedPath(a.path, 'Ben')!;
    mkdirSync(join(root, dirname(to)), { recursive: true });
    await linkP(join(root, a.path), join(root, to)); // the run died right after this link
    const r = await relocateItems(cat, root);
    assert.deepEqual(r, { moved: 1, failed: [] });
    assert.equal(pathOf(a.id), to);
    assert.equal(existsSync(join(root, a.path)), false);
    assert.ok(existsSync(join(root, `${to}.xmp`)));
  });

  it('removes old links a run killed after its catalogue commit left behind, never the current ones', async () => {
    const a = await addItem(3);
    const to = relocatedPath(a.path, 'Ben')!;
    mkdirSync(join(root, dirname(to)), { recursive: true });
    await linkP(join(root, a.path), join(root, to));
    await linkP(join(root, a.sidecar), join(root, `${to}.xmp`));
    // The state a kill between the commit and the unlinks leaves: catalogue moved, note written.
    await setMonitor(a.id, 'Ben');
    sqliteOf(cat).prepare('update items set path = ? where id = ?').run(to, a.id);
    sqliteOf(cat).prepare('update companions set path = ? where item_id = ?').run(`${to}.xmp`, a.id);
    sqliteOf(cat)
      .prepare('insert into meta(key, value) values (?, ?)')
      .run(`relocated:${a.id}`, JSON.stringify([a.path, a.sidecar, to]));
    await relocateItems(cat, root);
    assert.equal(existsSync(join(root, a.path)), false);
    assert.equal(existsSync(join(root, a.sidecar)), false);
    assert.ok(
      existsSync(join(root, to)),
      'the path the catalogue points at is kept even if the note names it',
    );
  });

  it('never overwrites a different file at the target: the item stays where it was and is reported', async () => {
    const a = await addItem(4);
    await setMonitor(a.id, 'Ben');
    const to = relocatedPath(a.path, 'Ben')!;
    mkdirSync(join(root, dirname(to)), { recursive: true });
    writeFileSync(join(root, to), 'someone else');
    const r = await relocateItems(cat, root);
    assert.equal(r.moved, 0);
    assert.equal(r.failed.length, 1);
    assert.match(r.failed[0]!.message, /already exists/);
    assert.equal(pathOf(a.id), a.path);
    assert.ok(existsSync(join(root, a.path)));
    assert.equal(readFileSync(join(root, to), 'utf8'), 'someone else');
  });
});
