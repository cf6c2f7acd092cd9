/** Storage budget on a real, small drive (tmpfs): oldest first, never what HQ has not confirmed. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { applyBudget, driveSpace, loadRecordings, planBudget } from '../../../src/recorder/budget.js';
import {
  CANNOT_MOUNT_MESSAGE,
  canMount,
  makeTempDir,
  mountTmpfs,
  registerMountCleanup,
} from '../../kit/mounts.js';
import { dbOf, sqliteOf } from '../../../src/library/catalog/handle.js';

registerMountCleanup();
const MB = 1024 * 1024;

async function addRecording(cat: Catalog, drive: Drive, n: number, uploaded: boolean): Promise<string> {
  const id = randomBytes(32).toString('hex');
  const local = `2026-05-01T10:00:${String(n).padStart(2, '0')}`;
  const rel = `library/gate/2026-05-01/${id.slice(0, 16)}.mp4`;
  await mkdir(join(drive.layout.root, 'library/gate/2026-05-01'), { recursive: true });
  await writeFile(join(drive.layout.root, rel), randomBytes(2 * MB));
  const row = buildItemRow(
    {
      sha256: id,
      type: 'video',
      ext: 'mp4',
      size: 2 * MB,
      monitor: 'gate',
      originalName: `${n}.mp4`,
      mtimeMs: 0,
      importedAt: local,
      cardId: 'cam:gate',
      probe: { facts: { capturedAt: { local, source: 'video' } }, warnings: [] },
      timeZone: 'UTC',
    },
    rel,
  );
  await dbOf(cat)
    .insertInto('items')
    .values({ ...row, state: 'stored' })
    .execute();
  if (uploaded)
    sqliteOf(cat)
      .prepare(
        "insert into uplink_transfers (target, item, rendition, state, created_at, updated_at) values ('hq', ?, 'original', 'done', ?, ?)",
      )
      .run(id, local, local);
  return id;
}

describe('recorder storage budget on a small drive', () => {
  let ok = false;
  before(async () => {
    ok = await canMount();
  });

  it('frees the floor oldest-first from uploaded recordings only, unless deleteUnsent', async () => {
    assert.ok(ok, CANNOT_MOUNT_MESSAGE);
    const mp = join(await makeTempDir('outpost-budget-'), 'drive');
    await mountTmpfs(mp, 32 * MB);
    const drive = await initDrive(mp, { now: new Date() });
    const cat = await openCatalog(drive.layout.catalog);
    try {
      // 12 recordings of 2 MB: odd ones are at HQ, even ones are not.
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await addRecording(cat, drive, i, i % 2 === 1));
      const space = await driveSpace(mp);
      const floor = space.freeBytes + 5 * MB;

      const plan = planBudget({
        items: loadRecordings(cat, 'gate'),
        ...space,
        minFreeBytes: floor,
        maxBytesPerCamera: {},
        deleteUnsent: false,
      });
      assert.deepEqual(
        plan.delete.map((d) => d.id),
        [ids[1], ids[3], ids[5]],
        'oldest uploaded first, just enough for the floor',
      );
      assert.equal(await applyBudget(cat, mp, plan), 3);
      assert.ok((await driveSpace(mp)).freeBytes >= floor);
      for (const i of [1, 3, 5]) {
        await assert.rejects(stat(join(mp, `library/gate/2026-05-01/${ids[i]!.slice(0, 16)}.mp4`)));
        const r = sqliteOf(cat).prepare('select state from items where id = ?').get(ids[i]) as {
          state: string;
        };
        assert.equal(r.state, 'offloaded');
      }
      for (const i of [0, 2, 4, 6])
        await stat(join(mp, `library/gate/2026-05-01/${ids[i]!.slice(0, 16)}.mp4`));

      // A cap below what is unsent: the uploaded rest goes, the unsent stays, with a warning.
      const capped = planBudget({
        items: loadRecordings(cat, 'gate'),
        ...(await driveSpace(mp)),
        minFreeBytes: 0,
        maxBytesPerCamera: { gate: 4 * MB },
        deleteUnsent: false,
      });
      assert.deepEqual(
        capped.delete.map((d) => d.id),
        [ids[7], ids[9], ids[11]],
      );
      assert.ok(capped.delete.every((d) => d.uploaded));
      assert.deepEqual(
        capped.warnings.map((w) => w.code),
        ['BACKLOG_NEAR_BUDGET', 'BUDGET_BLOCKED'],
      );
      await applyBudget(cat, mp, capped);

      // Only when the config allows it do unsent recordings go (oldest first).
      const allowed = planBudget({
        items: loadRecordings(cat, 'gate'),
        ...(await driveSpace(mp)),
        minFreeBytes: 0,
        maxBytesPerCamera: { gate: 4 * MB },
        deleteUnsent: true,
      });
      assert.deepEqual(
        allowed.delete.map((d) => d.id),
        [ids[0], ids[2], ids[4], ids[6]],
      );
      await applyBudget(cat, mp, allowed);
      assert.deepEqual(
        loadRecordings(cat, 'gate').map((r) => r.id),
        [ids[8], ids[10]],
      );
    } finally {
      await cat.close();
    }
  });
});
