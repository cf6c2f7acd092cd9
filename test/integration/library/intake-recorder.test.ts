/**
 * The library intake's path for the recorder: a finished file already on the library drive (a
 * segment or motion clip in `.outpost/rec/`) goes through the same Intake.admit as a card's files
 * (pending row → fsync → no-clobber place → folder fsync → commit or roll back), linked in place
 * (never copied), and a killed run is taken back by the same reconcileLibrary. Real files, a real
 * catalogue, a real SIGKILL.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { getItem, insertPendingItem, markStored } from '../../../src/library/catalog/items.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { commitRecording } from '../../../src/library/catalog/recordings.js';
import type { NewItem } from '../../../src/library/catalog/schema.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import {
  Intake,
  reconcileLibrary,
  rollbackItem,
  type IntakeEvent,
} from '../../../src/library/intake/index.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { originalRelPath } from '../../../src/library/layout.js';
import { finishUnfinished } from '../../../src/recorder/segment-item.js';
import { makeTempDir } from '../../kit/mounts.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let dir: string;
let n = 0;

before(async () => {
  dir = await makeTempDir('outpost-intake-rec-');
});

async function library(): Promise<{ drive: Drive; cat: Catalog }> {
  const drive = await initDrive(join(dir, `drive-${++n}`), { label: 'A', now: new Date() });
  return { drive, cat: await openCatalog(drive.layout.catalog) };
}

/** A finished segment in the drive's recording folder, as ffmpeg leaves it (not fsynced). */
function segment(drive: Drive, size = 300_000): { path: string; bytes: Buffer; id: string; ino: number } {
  const bytes = randomBytes(size);
  const folder = join(drive.layout.outpostDir, 'rec', 'gate');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `seg-${++n}.mp4`);
  writeFileSync(path, bytes);
  return { path, bytes, id: sha(bytes), ino: statSync(path).ino };
}

function rowFor(id: string, size: number): NewItem {
  const name = `gate_${id.slice(0, 12)}.mp4`;
  return buildItemRow(
    {
      sha256: id,
      type: 'video',
      ext: 'mp4',
      size,
      monitor: 'gate',
      originalName: name,
      mtimeMs: Date.parse('2026-12-04T08:00:00Z'),
      importedAt: '2026-12-04T10:00:00.000Z',
      cardId: 'cam:gate',
      probe: { facts: {}, warnings: [] },
      timeZone: 'UTC',
    },
    originalRelPath('gate', '2026-12-04', name),
  );
}

describe('the intake path of the recorder (a file already on the drive)', () => {
  it('is admitted by a link: same inode, nothing in tmp, old name gone only after the commit', async () => {
    const { drive, cat } = await library();
    try {
      const s = segment(drive);
      const row = rowFor(s.id, s.bytes.length);
      const target = join(drive.layout.root, row.path);
      const seen: IntakeEvent[] = [];
      const intake = new Intake({ cat, layout: drive.layout, trace: (e) => seen.push(e) });
      const staged = await intake.stageOnDrive(s.path);
      assert.equal(staged.sha256, s.id);
      assert.equal(staged.bytes, s.bytes.length);
      await intake.admit(staged, {
        row,
        commit: async () => {
          // At the commit the segment is both in place and still under its old name (the journal).
          assert.equal((await getItem(cat, s.id))?.state, 'pending');
          assert.equal(statSync(target).ino, s.ino);
          assert.ok(existsSync(s.path), 'the segment stays until the commit');
          await commitRecording(cat, s.id);
        },
      });
      const steps = seen.map((e) => e.step);
      assert.deepEqual(steps, ['staged', 'pending', 'durable', 'placed', 'dir-fsync', 'committed']);
      assert.equal((await getItem(cat, s.id))?.state, 'stored');
      // Not one byte copied: the library file is the segment's inode, and tmp never saw it.
      assert.equal(statSync(target).ino, s.ino);
      assert.equal(statSync(target).nlink, 1);
      assert.ok(readFileSync(target).equals(s.bytes));
      assert.deepEqual(readdirSync(drive.layout.tmpDir), []);
      assert.equal(existsSync(s.path), false, 'the old name is removed after the commit');
    } finally {
      await cat.close();
    }
  });

  it('a failure between the pending row and the commit rolls back: no row, no library file, segment kept', async () => {
    const { drive, cat } = await library();
    try {
      const s = segment(drive);
      const row = rowFor(s.id, s.bytes.length);
      const seen: string[] = [];
      const intake = new Intake({ cat, layout: drive.layout, trace: (e) => seen.push(e.step) });
      await assert.rejects(
        intake.admit(await intake.stageOnDrive(s.path), {
          row,
          commit: () => {
            throw new Error('catalogue went away');
          },
        }),
        /catalogue went away/,
      );
      assert.deepEqual(seen.slice(-2), ['dir-fsync', 'rolled-back']);
      assert.equal(await getItem(cat, s.id), undefined);
      assert.equal(existsSync(join(drive.layout.root, row.path)), false);
      assert.ok(readFileSync(s.path).equals(s.bytes), 'the segment is still there to be placed again');
      assert.equal(statSync(s.path).ino, s.ino);
      // The next pass places it.
      const again = new Intake({ cat, layout: drive.layout });
      await again.admit(await again.stageOnDrive(s.path), { row, commit: () => commitRecording(cat, s.id) });
      assert.equal((await getItem(cat, s.id))?.state, 'stored');
      assert.equal(statSync(join(drive.layout.root, row.path)).ino, s.ino);
    } finally {
      await cat.close();
    }
  });

  it("a run killed before the commit: an ingest's reconcile leaves its row alone, the recorder's start commits it", async () => {
    const { drive, cat } = await library();
    try {
      const s = segment(drive);
      const row = rowFor(s.id, s.bytes.length);
      const src = (p: string): string => pathToFileURL(resolve(p)).href;
      const script = `
        import { openCatalog } from ${JSON.stringify(src('src/library/catalog/open.ts'))};
        import { Intake } from ${JSON.stringify(src('src/library/intake/index.ts'))};
        const cat = await openCatalog(${JSON.stringify(drive.layout.catalog)});
        const layout = ${JSON.stringify(drive.layout)};
        const intake = new Intake({ cat, layout });
        await intake.admit(await intake.stageOnDrive(${JSON.stringify(s.path)}), {
          row: ${JSON.stringify(row)},
          commit: () => process.kill(process.pid, 'SIGKILL'),
        });
      `;
      const file = join(dir, `killed-${n}.mts`);
      writeFileSync(file, script);
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.signal, 'SIGKILL', r.stderr);
      const target = join(drive.layout.root, row.path);
      assert.equal((await getItem(cat, s.id))?.state, 'pending', 'the killed run left its pending row');
      assert.equal(statSync(target).ino, s.ino, 'and its link');
      // An ingest or mirror starting now must not take it: the recorder may be placing it.
      assert.deepEqual(await reconcileLibrary(cat, drive.layout), { rolledBack: 0, tmpRemoved: 0 });
      assert.equal((await getItem(cat, s.id))?.state, 'pending');
      // The recorder's start: its bytes are in place, so it is committed.
      assert.deepEqual(await finishUnfinished(cat, drive.layout, 'gate'), { committed: 1, takenBack: 0 });
      assert.equal((await getItem(cat, s.id))?.state, 'stored');
      assert.ok(readFileSync(target).equals(s.bytes));
    } finally {
      await cat.close();
    }
  });

  it("the recorder's start takes back its camera's rows whose file is not in place (and only its camera's)", async () => {
    const { drive, cat } = await library();
    try {
      const mine = segment(drive);
      const mineRow = rowFor(mine.id, mine.bytes.length);
      const other = { ...rowFor(randomBytes(32).toString('hex'), 10), card_id: 'cam:yard' };
      // What a recorder killed between the row and the link leaves; and another camera's row.
      await insertPendingItem(cat, mineRow);
      await insertPendingItem(cat, other);
      const target = join(drive.layout.root, mineRow.path);
      assert.deepEqual(await finishUnfinished(cat, drive.layout, 'gate'), { committed: 0, takenBack: 1 });
      assert.equal(await getItem(cat, mine.id), undefined);
      assert.equal(existsSync(target), false);
      assert.ok(readFileSync(mine.path).equals(mine.bytes), 'the segment stays to be placed again');
      assert.equal((await getItem(cat, other.id))?.state, 'pending', "another camera's row is not ours");
      const intake = new Intake({ cat, layout: drive.layout });
      await intake.admit(await intake.stageOnDrive(mine.path), {
        row: mineRow,
        commit: () => commitRecording(cat, mine.id),
      });
      assert.equal((await getItem(cat, mine.id))?.state, 'stored');
    } finally {
      await cat.close();
    }
  });

  it('an ingest recovering the library while the recorder places a segment leaves it alone; it commits', async () => {
    const { drive, cat } = await library();
    try {
      const s = segment(drive);
      const row = rowFor(s.id, s.bytes.length);
      const intake = new Intake({ cat, layout: drive.layout });
      await intake.admit(await intake.stageOnDrive(s.path), {
        row,
        // An ingest starting beside the recorder recovers the library between place and commit.
        whilePending: async () => void (await reconcileLibrary(cat, drive.layout)),
        commit: () => commitRecording(cat, s.id),
      });
      assert.equal((await getItem(cat, s.id))?.state, 'stored');
      assert.ok(readFileSync(join(drive.layout.root, row.path)).equals(s.bytes));
      assert.equal(existsSync(s.path), false, 'the old name goes once committed');
    } finally {
      await cat.close();
    }
  });

  it('a drive without hard links: a recording killed after its rename is committed, never lost', async () => {
    const { drive, cat } = await library();
    try {
      const s = segment(drive);
      const row = rowFor(s.id, s.bytes.length);
      // What a killed run leaves on exFAT: the row pending, the file renamed to its place, no old name.
      await insertPendingItem(cat, row);
      const target = join(drive.layout.root, row.path);
      mkdirSync(join(target, '..'), { recursive: true });
      renameSync(s.path, target);
      assert.deepEqual(await reconcileLibrary(cat, drive.layout), { rolledBack: 0, tmpRemoved: 0 });
      assert.ok(existsSync(target), 'an ingest beside it did not remove the only copy');
      assert.deepEqual(await finishUnfinished(cat, drive.layout, 'gate'), { committed: 1, takenBack: 0 });
      assert.equal((await getItem(cat, s.id))?.state, 'stored');
      assert.ok(readFileSync(target).equals(s.bytes));
    } finally {
      await cat.close();
    }
  });

  it('rollbackItem leaves an item alone that was committed after it was read as pending', async () => {
    const { drive, cat } = await library();
    try {
      const s = segment(drive);
      const row = rowFor(s.id, s.bytes.length);
      const target = join(drive.layout.root, row.path);
      await insertPendingItem(cat, row);
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(target, s.bytes);
      const stale = await getItem(cat, s.id);
      assert.equal(stale?.state, 'pending');
      // The recorder commits between a reconcile's read of the pending rows and its rollback.
      await markStored(cat, s.id);
      await rollbackItem(cat, drive.layout, stale!);
      assert.equal((await getItem(cat, s.id))?.state, 'stored');
      assert.ok(readFileSync(target).equals(s.bytes), 'a committed item keeps its file');
    } finally {
      await cat.close();
    }
  });
});
