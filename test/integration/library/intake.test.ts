/**
 * The library intake's contract: hash while streaming → tmp → pending row → durable → no-clobber
 * place → commit, or roll back leaving no tmp file and no row. Real files, a real catalogue.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { getItem, insertPendingItem, listItems, markStored } from '../../../src/library/catalog/items.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import type { NewItem } from '../../../src/library/catalog/schema.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import {
  DirSyncer,
  HashPool,
  Intake,
  copyHashed,
  hashFile,
  hashFileWithSize,
  reconcileLibrary,
  type IntakeEvent,
} from '../../../src/library/intake/index.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { originalRelPath } from '../../../src/library/layout.js';
import {
  canMount,
  CANNOT_MOUNT_MESSAGE,
  makeTempDir,
  mountTmpfs,
  registerMountCleanup,
} from '../../kit/mounts.js';

registerMountCleanup();

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let dir: string;
let n = 0;

before(async () => {
  dir = await makeTempDir('outpost-intake-');
});

/** A source file of `size` random bytes. */
function source(size: number): { path: string; bytes: Buffer; id: string } {
  const bytes = randomBytes(size);
  const path = join(dir, `src-${++n}.bin`);
  writeFileSync(path, bytes);
  return { path, bytes, id: sha(bytes) };
}

function rowFor(id: string, size: number, name = `${id.slice(0, 16)}.jpg`): NewItem {
  return buildItemRow(
    {
      sha256: id,
      type: 'photo',
      ext: 'jpg',
      size,
      monitor: 'Ana',
      originalName: name,
      mtimeMs: Date.parse('2026-12-04T08:00:00Z'),
      importedAt: '2026-12-04T10:00:00.000Z',
      cardId: 'idf:card-1',
      probe: { facts: {}, warnings: [] },
      timeZone: 'UTC',
    },
    originalRelPath('Ana', '2026-12-04', name),
  );
}

async function library(): Promise<{ drive: Drive; cat: Catalog }> {
  const drive = await initDrive(join(dir, `drive-${++n}`), { label: 'A', now: new Date() });
  return { drive, cat: await openCatalog(drive.layout.catalog) };
}

const tmpFiles = (drive: Drive): string[] => readdirSync(drive.layout.tmpDir);

describe('hashing', () => {
  it('hashFile and copyHashed give the SHA-256 of the bytes, on workers and on the main thread', async () => {
    for (const size of [0, 1, 2 * 1024 * 1024 - 1, 2 * 1024 * 1024, 9 * 1024 * 1024 + 7]) {
      const s = source(size);
      assert.equal(await hashFile(s.path), s.id, `pool, ${size} bytes`);
      assert.deepEqual(await hashFileWithSize(s.path, { pool: new HashPool(0) }), { sha256: s.id, size });
      const tmp = join(dir, `tmp-${n}`);
      mkdirSync(tmp);
      const c = await copyHashed(s.path, tmp, { ext: 'bin' });
      assert.equal(c.sha256, s.id);
      assert.equal(c.bytes, size);
      assert.ok(readFileSync(c.tmpPath).equals(s.bytes));
    }
  });

  it('many files hashed at once each get their own digest', async () => {
    const files = Array.from({ length: 12 }, (_, i) => source(300_000 + i * 100_000));
    const pool = new HashPool(3);
    const got = await Promise.all(files.map((f) => hashFile(f.path, { pool })));
    assert.deepEqual(
      got,
      files.map((f) => f.id),
    );
  });

  it('an aborted copy rejects and leaves nothing in tmp', async () => {
    const { drive, cat } = await library();
    try {
      const s = source(12 * 1024 * 1024);
      const intake = new Intake({ cat, layout: drive.layout });
      const ac = new AbortController();
      const staging = intake.stage(s.path, {
        ext: 'bin',
        signal: ac.signal,
        onBytes: () => ac.abort(),
      });
      await assert.rejects(staging, { name: 'AbortError' });
      assert.deepEqual(tmpFiles(drive), []);
    } finally {
      await cat.close();
    }
  });
});

describe('the intake pipeline', () => {
  it('the row is pending while the bytes are made durable and placed, stored after the commit', async () => {
    const { drive, cat } = await library();
    try {
      const s = source(3 * 1024 * 1024);
      const row = rowFor(s.id, s.bytes.length);
      const seen: string[] = [];
      const intake = new Intake({
        cat,
        layout: drive.layout,
        trace: (e) => seen.push(e.step),
      });
      const staged = await intake.stage(s.path, { ext: 'jpg' });
      assert.equal(await getItem(cat, s.id), undefined, 'no row before admit');
      const states: string[] = [];
      await intake.admit(staged, {
        row,
        whilePending: async (p) => {
          states.push((await getItem(cat, p.row.id))?.state ?? 'none');
          assert.ok(existsSync(join(drive.layout.root, row.path)), 'the original is in place');
          // A companion copied while the item is pending lands beside it.
          const c = source(1000);
          const cs = await intake.stage(c.path, { ext: 'wav' });
          assert.equal(await p.place(cs, join(drive.layout.root, `${row.path}.wav`)), 'placed');
        },
        commit: () => markStored(cat, row.id),
      });
      assert.deepEqual(states, ['pending']);
      assert.equal((await getItem(cat, s.id))?.state, 'stored');
      assert.ok(readFileSync(join(drive.layout.root, row.path)).equals(s.bytes));
      assert.ok(existsSync(join(drive.layout.root, `${row.path}.wav`)));
      assert.deepEqual(tmpFiles(drive), []);
      assert.deepEqual(seen.slice(0, 4), ['staged', 'pending', 'durable', 'placed']);
      assert.equal(seen.at(-1), 'committed');
    } finally {
      await cat.close();
    }
  });

  /** Admit one item whose plan fails in `how`; the library must be as before. */
  async function failing(
    how: (s: ReturnType<typeof source>) => {
      row?: NewItem;
      whilePending?: () => Promise<void>;
      commit?: () => Promise<void>;
    },
    expected: RegExp | { code: string } | { name: string },
  ): Promise<void> {
    const { drive, cat } = await library();
    try {
      const s = source(5 * 1024 * 1024);
      const intake = new Intake({ cat, layout: drive.layout });
      const staged = await intake.stage(s.path, { ext: 'jpg' });
      const plan = how(s);
      const row = plan.row ?? rowFor(s.id, s.bytes.length);
      await assert.rejects(
        intake.admit(staged, {
          row,
          whilePending: plan.whilePending,
          commit: plan.commit ?? (() => markStored(cat, row.id)),
        }),
        expected,
      );
      assert.deepEqual(await listItems(cat), [], 'no row left');
      assert.deepEqual(tmpFiles(drive), [], 'no tmp file left');
      assert.equal(existsSync(join(drive.layout.root, row.path)), false, 'nothing placed');
    } finally {
      await cat.close();
    }
  }

  it('rolls back on a hash mismatch: the row id is not the hash of the bytes', async () => {
    await failing(() => ({ row: rowFor(sha(Buffer.from('other bytes')), 11) }), { code: 'CONTENT_MISMATCH' });
  });

  it('rolls back when the commit fails (the catalogue drive is full)', async () => {
    await failing(
      () => ({
        commit: async () => {
          throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        },
      }),
      /disk is full/,
    );
  });

  it('rolls back when the run is aborted while the item is pending', async () => {
    await failing(
      () => ({
        whilePending: async () => {
          const ac = new AbortController();
          ac.abort();
          ac.signal.throwIfAborted();
        },
      }),
      { name: 'AbortError' },
    );
  });

  it('never overwrites other bytes at the target: PLACE_CONFLICT, the file there untouched', async () => {
    const { drive, cat } = await library();
    try {
      const s = source(100_000);
      const row = rowFor(s.id, s.bytes.length);
      const target = join(drive.layout.root, row.path);
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(target, 'somebody else');
      const intake = new Intake({ cat, layout: drive.layout });
      await assert.rejects(
        intake.admit(await intake.stage(s.path, { ext: 'jpg' }), {
          row,
          commit: () => markStored(cat, row.id),
        }),
        { code: 'PLACE_CONFLICT' },
      );
      assert.equal(readFileSync(target, 'utf8'), 'somebody else');
      assert.deepEqual(await listItems(cat), []);
      assert.deepEqual(tmpFiles(drive), []);
      // The same bytes already there are adopted, not a conflict.
      writeFileSync(target, s.bytes);
      await intake.admit(await intake.stage(s.path, { ext: 'jpg' }), {
        row,
        commit: () => markStored(cat, row.id),
      });
      assert.equal((await getItem(cat, s.id))?.state, 'stored');
    } finally {
      await cat.close();
    }
  });

  it('several items at once: each is durable before it is placed, its folder fsynced after, then committed', async () => {
    const { drive, cat } = await library();
    try {
      const events: IntakeEvent[] = [];
      const intake = new Intake({ cat, layout: drive.layout, trace: (e) => events.push(e) });
      const files = Array.from({ length: 6 }, (_, i) => source(1_000_000 + i));
      const staged = await Promise.all(files.map((f) => intake.stage(f.path, { ext: 'jpg' })));
      const rows = files.map((f) => rowFor(f.id, f.bytes.length));
      await Promise.all(
        staged.map((s, i) => intake.admit(s, { row: rows[i]!, commit: () => markStored(cat, rows[i]!.id) })),
      );
      const folder = join(drive.layout.root, 'library', 'Ana', '2026-12-04');
      const at = (pred: (e: IntakeEvent) => boolean): number => events.findIndex(pred);
      for (const [i, r] of rows.entries()) {
        const durable = at((e) => e.step === 'durable' && e.tmpPath === staged[i]!.tmpPath);
        const placed = at((e) => e.step === 'placed' && e.id === r.id);
        const committed = at((e) => e.step === 'committed' && e.id === r.id);
        const fsyncAfterPlace = events.findIndex(
          (e, k) => k > placed && e.step === 'dir-fsync' && e.dir === folder,
        );
        assert.ok(durable >= 0 && durable < placed, `${i}: durable before placed`);
        assert.ok(
          fsyncAfterPlace > placed && fsyncAfterPlace < committed,
          `${i}: folder fsynced between place and commit`,
        );
      }
      const fsyncs = events.filter((e) => e.step === 'dir-fsync').length;
      assert.ok(fsyncs >= 1 && fsyncs <= rows.length, `${fsyncs} folder fsyncs for ${rows.length} items`);
      assert.equal((await listItems(cat)).filter((r) => r.state === 'stored').length, rows.length);
      assert.deepEqual(tmpFiles(drive), []);
    } finally {
      await cat.close();
    }
  });

  it('what a killed run leaves (pending row, placed file, tmp copy) is rolled back by reconcile', async () => {
    const { drive, cat } = await library();
    try {
      const s = source(200_000);
      const row = rowFor(s.id, s.bytes.length);
      await insertPendingItem(cat, row);
      mkdirSync(join(drive.layout.root, row.path, '..'), { recursive: true });
      writeFileSync(join(drive.layout.root, row.path), s.bytes);
      writeFileSync(join(drive.layout.tmpDir, 'x.part.jpg'), 'half');
      const r = await reconcileLibrary(cat, drive.layout);
      assert.deepEqual(r, { rolledBack: 1, tmpRemoved: 1 });
      assert.deepEqual(await listItems(cat), []);
      assert.equal(existsSync(join(drive.layout.root, row.path)), false);
    } finally {
      await cat.close();
    }
  });

  it('a full drive while copying: DRIVE_FULL, no tmp file and no row', async (t) => {
    if (!(await canMount())) return t.skip(CANNOT_MOUNT_MESSAGE);
    const { drive, cat } = await library();
    try {
      await mountTmpfs(drive.layout.tmpDir, 1024 * 1024);
      const intake = new Intake({ cat, layout: drive.layout });
      const s = source(3 * 1024 * 1024);
      await assert.rejects(intake.stage(s.path, { ext: 'jpg' }), { code: 'DRIVE_FULL' });
      assert.deepEqual(tmpFiles(drive), []);
      assert.deepEqual(await listItems(cat), []);
    } finally {
      await cat.close();
    }
  });
});

describe('batched folder fsyncs', () => {
  it('requests while an fsync runs share the next one; none is covered by an fsync that began before it', async () => {
    const log: string[] = [];
    let release: (() => void) | undefined;
    const syncer = new DirSyncer(async (d) => {
      log.push(`start ${d}`);
      await new Promise<void>((r) => (release = r));
      log.push(`end ${d}`);
    });
    const first = syncer.sync('/a');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['start /a'], 'the first request starts an fsync');
    let secondDone = false;
    const later = [syncer.sync('/a'), syncer.sync('/a'), syncer.sync('/a')];
    void Promise.all(later).then(() => (secondDone = true));
    release!();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(secondDone, false, 'requests made during the first fsync wait for another');
    assert.deepEqual(log, ['start /a', 'end /a', 'start /a']);
    release!();
    await Promise.all(later);
    assert.equal(syncer.count, 2, 'three requests, one fsync');
    // Another folder is never held up by this one.
    const other = syncer.sync('/b');
    await new Promise((r) => setImmediate(r));
    release!();
    await other;
    assert.equal(syncer.count, 3);
  });
});
