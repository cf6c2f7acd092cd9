/**
 * The two-drive mirror on real drives made by real ingest: edits and deletions on both while
 * apart, then a mirror; both catalogues and both file trees must be the same afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { mirrorDrives } from '../../../src/drives/mirror.js';
import { applyAttributes } from '../../../src/library/attributes.js';
import { addSidecarsToRewrite } from '../../../src/library/catalog/changes.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { commitRelocation } from '../../../src/library/catalog/relocations.js';
import { recordLocalOps } from '../../../src/library/catalog/ops.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { parseXmp } from '../../../src/library/sidecar/xmp.js';
import { OutpostError } from '../../../src/core/errors.js';
import { json, outpost } from '../../kit/cli.js';
import { auditLibrary } from '../../kit/library-audit.js';
import {
  CANNOT_MOUNT_MESSAGE,
  canMount,
  makeTempDir,
  mountTmpfs,
  registerMountCleanup,
} from '../../kit/mounts.js';
import {
  catalogueState,
  clockAt,
  deps,
  ingestInto,
  makePhotoCard,
  mirrorOpts,
  treeHashes,
} from './helpers.js';

registerMountCleanup();

interface Pair {
  a: Drive;
  b: Drive;
  /** Items only A has, only B has, and both have. */
  onlyA: string[];
  onlyB: string[];
  shared: string[];
  cardA: string;
  cardB: string;
}

/** A: photos 0..6 (+ memo) as Ana; B: photos 4..10 as Ana. Photos 4, 5 (and the memo photo 5) on both. */
async function makePair(work: string): Promise<Pair> {
  const a = await initDrive(join(work, 'A'), { label: 'A', now: new Date('2024-06-01T00:00:00Z') });
  const b = await initDrive(join(work, 'B'), { label: 'B', now: new Date('2024-06-01T00:00:00Z') });
  const cardA = join(work, 'cardA');
  const cardB = join(work, 'cardB');
  const ha = makePhotoCard(cardA, 0, 6, true);
  const hb = makePhotoCard(cardB, 4, 10);
  const clock = clockAt('2024-06-01T10:00:00Z');
  await ingestInto(a, cardA, 'Ana', clock, 'station-test');
  await ingestInto(b, cardB, 'Ana', clock, 'station-test');
  return {
    a,
    b,
    onlyA: ha.filter((h) => !hb.includes(h)),
    onlyB: hb.filter((h) => !ha.includes(h)),
    shared: ha.filter((h) => hb.includes(h)),
    cardA,
    cardB,
  };
}

async function assertIdentical(a: Drive, b: Drive): Promise<void> {
  const [sa, sb] = [await catalogueState(a.layout.root), await catalogueState(b.layout.root)];
  assert.deepEqual(sb.items, sa.items, 'item rows (facts, paths and attribute values) differ');
  assert.deepEqual(sb.companions, sa.companions, 'companion rows differ');
  assert.equal(sb.ops, sa.ops, 'op logs differ in size');
  assert.deepEqual(treeHashes(b.layout.root), treeHashes(a.layout.root), 'file trees differ');
  for (const d of [a, b]) {
    const audit = await auditLibrary(d.layout.root);
    assert.deepEqual(audit.stray, [], `stray files on ${d.marker.label}`);
    assert.deepEqual(audit.misnamed, [], `misnamed originals on ${d.marker.label}`);
    assert.deepEqual(audit.tmp, [], `tmp leftovers on ${d.marker.label}`);
  }
}

async function fsckOk(d: Drive): Promise<void> {
  const r = await outpost(['fsck', '--library', d.layout.root, '--hash', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

describe('outpost mirror: two drives edited apart', () => {
  let work: string;
  before(async () => {
    work = await makeTempDir('outpost-mirror-');
  });

  it('copies what each lacks, merges edits (LWW) and deletions, and then costs nothing', async () => {
    const p = await makePair(join(work, 'edits'));
    // First pairing: both drives get everything.
    const first = await mirrorDrives(p.a, p.b, mirrorOpts(), deps());
    assert.equal(first.full, true);
    assert.equal(first.copiedAtoB, p.onlyA.length);
    assert.equal(first.copiedBtoA, p.onlyB.length);
    assert.ok(first.companions >= 2, 'WAV and XMP of the memo photo travel');
    await assertIdentical(p.a, p.b);

    // Apart: edits on both drives, the same item edited on both (B later), a deletion on A.
    const [x, y] = p.shared;
    const gone = p.onlyA[0]!;
    const catA = await openCatalog(p.a.layout.catalog);
    const catB = await openCatalog(p.b.layout.catalog);
    try {
      await applyAttributes(
        catA,
        p.a.layout.root,
        [x!],
        { rating: 5, tags: ['lion'], event: 'EV-A' },
        {
          node: 'station-a',
          nowMs: Date.parse('2024-06-02T10:00:00Z'),
        },
      );
      await applyAttributes(
        catB,
        p.b.layout.root,
        [x!],
        { rating: 2, notes: 'seen from the hide' },
        {
          node: 'station-b',
          nowMs: Date.parse('2024-06-02T11:00:00Z'),
        },
      );
      await applyAttributes(
        catB,
        p.b.layout.root,
        [y!, p.onlyB[0]!],
        { priority: true },
        {
          node: 'station-b',
          nowMs: Date.parse('2024-06-02T11:00:00Z'),
        },
      );
      await recordLocalOps(
        catA,
        [{ entity: 'item', id: gone, field: 'deleted', value: true }],
        'station-a',
        Date.parse('2024-06-02T12:00:00Z'),
      );
    } finally {
      await catA.close();
      await catB.close();
    }
    const goneRow = (await catalogueState(p.a.layout.root)).items.find((i) => i.id === gone)!;

    // One deletion of 10 items is above the 5 % default: refused, nothing changed.
    const beforeB = await catalogueState(p.b.layout.root);
    await assert.rejects(
      mirrorDrives(p.a, p.b, mirrorOpts(), deps()),
      (e: unknown) => e instanceof OutpostError && e.code === 'MIRROR_DELETE_GUARD',
    );
    assert.deepEqual(await catalogueState(p.b.layout.root), beforeB);

    const s = await mirrorDrives(p.a, p.b, mirrorOpts({ force: true }), deps());
    assert.equal(s.full, false);
    assert.equal(s.copiedAtoB + s.copiedBtoA, 0);
    assert.ok(s.opsAtoB > 0 && s.opsBtoA > 0, JSON.stringify(s));
    assert.equal(s.deleted, 2, 'the original is removed from both drives');
    await assertIdentical(p.a, p.b);

    const items = (await catalogueState(p.a.layout.root)).items;
    const rx = items.find((i) => i.id === x)!;
    assert.equal(rx.rating, 2, 'the later edit (B) wins the rating');
    assert.equal(rx.event, 'EV-A');
    assert.equal(rx.tags, '["lion"]');
    assert.equal(rx.notes, 'seen from the hide');
    assert.equal(items.find((i) => i.id === y)!.priority, 1);
    for (const d of [p.a, p.b]) {
      const xmp = parseXmp(readFileSync(join(d.layout.root, `${String(rx.path)}.xmp`), 'utf8'));
      assert.equal(xmp.rating, 2);
      assert.equal(xmp.event, 'EV-A');
      assert.deepEqual(xmp.tags, ['lion']);
      assert.ok(!existsSync(join(d.layout.root, String(goneRow.path))), 'deleted original still there');
      assert.equal(items.find((i) => i.id === gone)!.deleted, 1);
      await fsckOk(d);
    }

    // Nothing changed: the pass looks at nothing.
    const idle = await mirrorDrives(p.b, p.a, mirrorOpts(), deps());
    assert.deepEqual(
      [idle.examined, idle.opsAtoB, idle.opsBtoA, idle.copiedAtoB, idle.copiedBtoA, idle.deleted],
      [0, 0, 0, 0, 0, 0],
    );

    // Never resurrected: the card that held it, ingested into B again, does not bring it back.
    const again = await ingestInto(p.b, p.cardA, 'Ana', clockAt('2024-06-03T10:00:00Z'), 'station-test');
    assert.equal(again.copied, 0);
    const afterIngest = await mirrorDrives(p.a, p.b, mirrorOpts(), deps());
    assert.equal(afterIngest.copiedAtoB + afterIngest.copiedBtoA, 0);
    assert.ok(!existsSync(join(p.b.layout.root, String(goneRow.path))));
  });

  it('moves an item when a monitor op from the other drive says so', async () => {
    const p = await makePair(join(work, 'monitor'));
    await mirrorDrives(p.a, p.b, mirrorOpts(), deps());
    const id = p.shared[0]!;
    const cat = await openCatalog(p.b.layout.catalog);
    await recordLocalOps(
      cat,
      [{ entity: 'item', id, field: 'monitor', value: 'Cleo' }],
      'station-b',
      Date.parse('2024-06-05T00:00:00Z'),
    );
    await cat.close();
    const s = await mirrorDrives(p.a, p.b, mirrorOpts(), deps());
    assert.ok(s.relocated >= 1, JSON.stringify(s));
    await assertIdentical(p.a, p.b);
    const row = (await catalogueState(p.a.layout.root)).items.find((i) => i.id === id)!;
    assert.match(String(row.path), /^library\/Cleo\//);
  });

  it('the same photos ingested into each drive on different days end up at one path on both', async () => {
    const work2 = join(work, 'days');
    const a = await initDrive(join(work2, 'A'), { label: 'A', now: new Date('2024-06-01T00:00:00Z') });
    const b = await initDrive(join(work2, 'B'), { label: 'B', now: new Date('2024-06-01T00:00:00Z') });
    const card = join(work2, 'card');
    const ids = makePhotoCard(card, 0, 3);
    // Download dates differ (the folder is library/<monitor>/<download date>/).
    await ingestInto(a, card, 'Ana', clockAt('2024-06-01T10:00:00Z'), 'station-a');
    await ingestInto(b, card, 'Ana', clockAt('2024-06-03T10:00:00Z'), 'station-b');
    const pathOn = async (d: Drive, id: string): Promise<string> =>
      String((await catalogueState(d.layout.root)).items.find((i) => i.id === id)!.path);
    assert.notEqual(await pathOn(a, ids[0]!), await pathOn(b, ids[0]!), 'different folders before');
    const s = await mirrorDrives(a, b, mirrorOpts(), deps());
    assert.ok(s.relocated >= ids.length, JSON.stringify(s));
    for (const id of ids) {
      const p = await pathOn(a, id);
      assert.equal(await pathOn(b, id), p);
      assert.match(p, /^library\/Ana\/2024-06-01\//, 'the earlier download wins, on both drives');
    }
    await assertIdentical(a, b);
    const again = await mirrorDrives(a, b, mirrorOpts(), deps());
    assert.equal(again.relocated, 0);
  });

  it('a pass killed after rewriting a sidecar rewrites it again next time, to the same bytes', async () => {
    const p = await makePair(join(work, 'sidecar-again'));
    // The memo photo is on both drives: its card sidecar's rating (A) merges into B, so the
    // pass rewrites that sidecar on both drives, over A's file as the camera wrote it.
    const memo = (await catalogueState(p.a.layout.root)).companions.find((c) => c.ext === 'wav')!;
    const id = String(memo.item_id);
    const first = await mirrorDrives(p.a, p.b, mirrorOpts(), deps());
    assert.ok(first.sidecars >= 1, JSON.stringify(first));
    const once = treeHashes(p.a.layout.root);
    // A pass killed once the sidecars were written but before their list was cleared leaves the
    // list: the next pass rewrites them, now over the file the first rewrite left.
    const cat = await openCatalog(p.a.layout.catalog);
    try {
      addSidecarsToRewrite(cat, p.b.marker.id, [id]);
    } finally {
      await cat.close();
    }
    const again = await mirrorDrives(p.a, p.b, mirrorOpts(), deps());
    assert.equal(again.sidecars, 1);
    await assertIdentical(p.a, p.b);
    assert.deepEqual(treeHashes(p.a.layout.root), once, 'the sidecar differs from one rewritten once');
  });

  it('a pass killed between the last move and the removal of its old links: the next pass removes them', async () => {
    const work2 = join(work, 'move-unlinks');
    const a = await initDrive(join(work2, 'A'), { label: 'A', now: new Date('2024-06-01T00:00:00Z') });
    const b = await initDrive(join(work2, 'B'), { label: 'B', now: new Date('2024-06-01T00:00:00Z') });
    const card = join(work2, 'card');
    const [id] = makePhotoCard(card, 0, 1, true);
    await ingestInto(a, card, 'Ana', clockAt('2024-06-01T10:00:00Z'), 'station-a');
    await ingestInto(b, card, 'Ana', clockAt('2024-06-03T10:00:00Z'), 'station-b');
    const before = await catalogueState(b.layout.root);
    const oldPaths = [
      String(before.items.find((i) => i.id === id)!.path),
      ...before.companions.filter((c) => c.item_id === id).map((c) => String(c.path)),
    ];
    const s = await mirrorDrives(a, b, mirrorOpts(), deps());
    assert.equal(s.relocated, 1, JSON.stringify(s));
    // What a pass killed after the move's commit leaves: the catalogue at the new paths, the old
    // links still there and the note that names them. No move is left for the next pass to make.
    const after = await catalogueState(b.layout.root);
    const newPaths = [
      String(after.items.find((i) => i.id === id)!.path),
      ...after.companions.filter((c) => c.item_id === id).map((c) => String(c.path)),
    ];
    assert.equal(newPaths.length, oldPaths.length);
    for (const [i, from] of oldPaths.entries())
      linkSync(join(b.layout.root, newPaths[i]!), join(b.layout.root, from));
    const cat = await openCatalog(b.layout.catalog);
    try {
      commitRelocation(
        cat,
        id!,
        newPaths[0]!,
        oldPaths.map((from, i) => ({ from, to: newPaths[i]! })),
      );
    } finally {
      await cat.close();
    }
    const again = await mirrorDrives(a, b, mirrorOpts(), deps());
    assert.equal(again.relocated, 0);
    for (const p of oldPaths) assert.ok(!existsSync(join(b.layout.root, p)), `${p} is still there`);
    await assertIdentical(a, b);
  });

  it('refuses the same drive twice and a folder that is not a drive', async () => {
    const p = await makePair(join(work, 'same'));
    await assert.rejects(
      mirrorDrives(p.a, p.a, mirrorOpts(), deps()),
      (e: unknown) => e instanceof OutpostError && e.code === 'MIRROR_SAME_DRIVE',
    );
    const r = await outpost(['mirror', p.a.layout.root, join(p.a.layout.root, '..', 'cardA'), '--json']);
    assert.equal(r.code, 2);
    assert.equal(json<{ error: { code: string } }>(r).error.code, 'NOT_A_LIBRARY');
    // The marker gone after the drive was opened (unplugged, swapped): refused too.
    rmSync(p.b.marker ? join(p.b.layout.root, 'outpost-drive.json') : '', { force: true });
    await assert.rejects(
      mirrorDrives(p.a, p.b, mirrorOpts(), deps()),
      (e: unknown) => e instanceof OutpostError && e.code === 'NOT_A_LIBRARY',
    );
  });

  it('CLI: JSON summary with the agreed keys', async () => {
    const p = await makePair(join(work, 'cli'));
    const r = await outpost(['mirror', p.a.layout.root, p.b.layout.root, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = json(r);
    for (const k of ['copiedAtoB', 'copiedBtoA', 'opsAtoB', 'opsBtoA', 'deleted', 'bytes', 'seconds'])
      assert.equal(typeof s[k], 'number', k);
    assert.equal(s.copiedAtoB, p.onlyA.length);
    await assertIdentical(p.a, p.b);
  });

  it('a full drive: DRIVE_FULL, nothing half-written, and the next pass finishes once there is room', async (t) => {
    if (!(await canMount())) assert.fail(CANNOT_MOUNT_MESSAGE);
    const dir = join(work, 'full');
    const a = await initDrive(join(dir, 'A'), { label: 'A', now: new Date('2024-06-01T00:00:00Z') });
    makePhotoCard(join(dir, 'card'), 0, 26);
    await ingestInto(a, join(dir, 'card'), 'Ana', clockAt('2024-06-01T10:00:00Z'), 'station-test');
    const src = { a };
    const mp = join(dir, 'tiny');
    const tiny = await mountTmpfs(mp, 1.5 * 1024 * 1024);
    t.after(() => tiny.unmount().catch(() => undefined));
    const small = await initDrive(join(mp, 'drive'), {
      label: 'tiny',
      now: new Date('2024-06-01T00:00:00Z'),
    });
    await assert.rejects(
      mirrorDrives(src.a, small, mirrorOpts(), deps()),
      (e: unknown) => e instanceof OutpostError && e.code === 'DRIVE_FULL',
    );
    const audit = await auditLibrary(small.layout.root);
    assert.deepEqual(audit.misnamed, []);
    assert.deepEqual(audit.stray, []);
    assert.deepEqual(audit.tmp, []);
    const st = await catalogueState(small.layout.root);
    // A pending row may stay when the catalogue itself could not write (the next pass rolls it
    // back); every original present is whole (audit.misnamed) and catalogued.
    for (const [sha, paths] of audit.originals)
      assert.ok(
        st.items.some((i) => i.id === sha && paths.includes(String(i.path))),
        'uncatalogued original',
      );
    assert.ok(st.items.filter((i) => i.state === 'stored').length < 26, 'the drive really filled up');
    // Room again: the next pass finishes the job.
    execFileSync('mount', ['-o', 'remount,size=16m', mp]);
    const s = await mirrorDrives(src.a, small, mirrorOpts(), deps());
    assert.ok(s.copiedAtoB > 0);
    await assertIdentical(src.a, small);
  });
});
