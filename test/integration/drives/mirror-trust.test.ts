import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeHlc } from '../../../src/core/hlc.js';
import { mirrorDrives } from '../../../src/drives/mirror.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { fsckLibrary } from '../../../src/library/fsck.js';
import { initDrive } from '../../../src/library/drive.js';
import { relocateItems } from '../../../src/library/relocate.js';
import { addRawItem } from '../../kit/uplink.js';
import { clockAt, deps, mirrorOpts } from './helpers.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

/**
 * Issue 10 §1: a partner drive's catalogue is data from elsewhere. Its ops are checked like edits
 * and its paths must stay inside library/: a crafted drive B cannot move drive A's originals into
 * .outpost/tmp or out of the drive, nor make the mirror read or write outside either library.
 */
const work = mkdtempSync(join(tmpdir(), 'outpost-mirror-trust-'));
after(() => rmSync(work, { recursive: true, force: true }));
const NOW = Date.parse('2024-07-01T00:00:00Z');

describe('mirror: a crafted partner drive', () => {
  it('its bad ops and out-of-library rows are refused with warnings; nothing leaves library/', async () => {
    const a = await initDrive(join(work, 'a'), { label: 'A', now: new Date(NOW) });
    const b = await initDrive(join(work, 'b'), { label: 'B', now: new Date(NOW) });
    const catA = await openCatalog(a.layout.catalog);
    const victim = await addRawItem(catA, a.layout.root, {
      size: 5000,
      type: 'photo',
      ext: 'jpg',
      monitor: 'Ana',
      seed: 'v',
    });
    await catA.close();

    const catB = await openCatalog(b.layout.catalog);
    const evil = await addRawItem(catB, b.layout.root, {
      size: 100,
      type: 'photo',
      ext: 'jpg',
      seed: 'evil',
    });
    // A row whose path leads out of B's library (and would be written out of A's).
    sqliteOf(catB)
      .prepare('update items set path = ? where id = ?')
      .run('library/../../outside.jpg', evil.id);
    const put = sqliteOf(catB).prepare(
      'insert into ops (hlc, origin, entity, entity_id, field, value) values (?, ?, ?, ?, ?, ?)',
    );
    let wall = NOW - 60_000;
    const stamp = (w = wall++) => encodeHlc({ wall: w, counter: 0, node: 'station-x' });
    put.run(stamp(), 'station-x', 'item', victim.id, 'monitor', JSON.stringify('../.outpost/tmp'));
    put.run(stamp(), 'station-x', 'item', victim.id, 'monitor', JSON.stringify('../../../../pwned'));
    put.run(stamp(), 'station-x', 'item', victim.id, 'rating', JSON.stringify(99));
    put.run(stamp(), 'station-x', 'item', victim.id, 'tags', JSON.stringify([1, 2]));
    put.run(stamp(NOW + 51 * 365 * 86_400_000), 'station-x', 'item', victim.id, 'rating', JSON.stringify(2));
    put.run(stamp(), 'station-x', 'item', victim.id, 'event', JSON.stringify('FIELD-1'));
    await catB.close();

    const s = await mirrorDrives(a, b, mirrorOpts(), deps(clockAt('2024-07-01T00:00:00Z')));
    const codes = s.warnings.map((w) => w.code).sort();
    assert.deepEqual(codes, [
      'OP_CLOCK_AHEAD',
      'OP_INVALID',
      'OP_INVALID',
      'OP_INVALID',
      'OP_INVALID',
      'UNSAFE_PATH',
    ]);
    assert.equal(s.opsBtoA, 1, 'the one good op (an event) is merged');

    const catA2 = await openCatalog(a.layout.catalog);
    const row = sqliteOf(catA2)
      .prepare('select path, monitor, rating, event from items where id = ?')
      .get(victim.id);
    assert.deepEqual(
      { ...(row as object) },
      { path: victim.path, monitor: 'Ana', rating: null, event: 'FIELD-1' },
    );
    assert.equal(sqliteOf(catA2).prepare('select 1 from items where id = ?').get(evil.id), undefined);
    const relocated = await relocateItems(catA2, a.layout.root);
    assert.equal(relocated.moved, 0);
    assert.ok(existsSync(join(a.layout.root, victim.path)));
    assert.deepEqual(readdirSync(a.layout.tmpDir), []);
    assert.equal(existsSync(join(work, 'outside.jpg')), false);
    assert.equal(existsSync(join(work, 'pwned')), false);
    assert.deepEqual((await fsckLibrary(catA2, a.layout, { hash: true })).problems, []);
    await catA2.close();

    // fsck on the crafted drive names the row that leaves library/ and reads nothing there.
    const catB2 = await openCatalog(b.layout.catalog);
    const fsck = await fsckLibrary(catB2, b.layout, { hash: true });
    assert.ok(
      fsck.problems.some((p) => p.code === 'UNSAFE_PATH' && p.path === 'library/../../outside.jpg'),
      JSON.stringify(fsck.problems),
    );
    await catB2.close();
  });

  it('a monitor that is not a name (merged by older code) is never used as a path', async () => {
    const d = await initDrive(join(work, 'c'), { label: 'C', now: new Date(NOW) });
    const cat = await openCatalog(d.layout.catalog);
    const it1 = await addRawItem(cat, d.layout.root, {
      size: 300,
      type: 'photo',
      ext: 'jpg',
      monitor: 'Ana',
      seed: 'c',
    });
    sqliteOf(cat).prepare('update items set monitor = ? where id = ?').run('../.outpost/tmp', it1.id);
    const r = await relocateItems(cat, d.layout.root);
    assert.equal(r.moved, 0);
    assert.equal(r.failed.length, 1);
    assert.match(r.failed[0]!.message, /not a valid monitor name/);
    assert.ok(existsSync(join(d.layout.root, it1.path)));
    assert.deepEqual(readdirSync(d.layout.tmpDir), []);
    await cat.close();
  });
});
