import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { finishOffloads } from '../../../src/uplink/offload.js';
import { startTestHq, type TestHq } from '../../kit/hq.js';
import { addRawItem, testRunner } from '../../kit/uplink.js';
import { emptyLibrary, NODE } from '../server/library.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

describe('delete after confirmed upload', { timeout: 60_000 }, () => {
  let lib: Awaited<ReturnType<typeof emptyLibrary>>;
  let hq: TestHq;
  before(async () => {
    lib = await emptyLibrary();
    hq = await startTestHq();
  });
  after(async () => {
    await hq?.close();
    await lib?.close();
  });

  const state = (id: string): string =>
    (sqliteOf(lib.catalog).prepare('select state from items where id = ?').get(id) as { state: string })
      .state;

  it('removes a recording only once HQ holds its verified bytes; card media stays', async () => {
    const rec = await addRawItem(lib.catalog, lib.drive.layout.root, {
      size: 300_000,
      type: 'video',
      ext: 'mp4',
    });
    sqliteOf(lib.catalog).prepare("update items set card_id = 'cam:hatcam1' where id = ?").run(rec.id);
    const card = await addRawItem(lib.catalog, lib.drive.layout.root, {
      size: 200_000,
      type: 'photo',
      ext: 'jpg',
    });

    // HQ refuses the station (wrong key): nothing confirmed, nothing removed.
    const bad = testRunner(
      lib.catalog,
      lib.drive.layout.root,
      { url: hq.url, key: `op1_${NODE}_${'B'.repeat(43)}` },
      {
        node: NODE,
        deleteAfterUpload: 'recordings',
      },
    );
    await bad.runner.run(new AbortController().signal, { once: true });
    bad.target.close();
    assert.ok(existsSync(join(lib.drive.layout.root, rec.path)), 'kept while HQ has not confirmed');
    assert.equal(state(rec.id), 'stored');

    const { runner, target } = testRunner(
      lib.catalog,
      lib.drive.layout.root,
      { url: hq.url, key: hq.key(NODE) },
      {
        node: NODE,
        deleteAfterUpload: 'recordings',
      },
    );
    const s = await runner.run(new AbortController().signal, { once: true });
    target.close();
    assert.equal(s.pendingBytes, 0);
    assert.deepEqual(readFileSync(join(hq.data.objectsDir, rec.id.slice(0, 2), rec.id)), rec.bytes);
    assert.equal(existsSync(join(lib.drive.layout.root, rec.path)), false, 'the recording left the station');
    assert.equal(state(rec.id), 'offloaded');
    assert.ok(existsSync(join(lib.drive.layout.root, card.path)), 'card media stays (policy: recordings)');
    assert.equal(state(card.id), 'stored');
  });

  it('a run killed between marking and removing is finished at the next start', async () => {
    const rec = await addRawItem(lib.catalog, lib.drive.layout.root, {
      size: 1000,
      type: 'video',
      ext: 'mp4',
      seed: 'x',
    });
    sqliteOf(lib.catalog).prepare("update items set state = 'offloaded' where id = ?").run(rec.id);
    assert.ok(existsSync(join(lib.drive.layout.root, rec.path)));
    assert.equal(await finishOffloads(lib.catalog, lib.drive.layout.root), 1);
    assert.equal(existsSync(join(lib.drive.layout.root, rec.path)), false);
  });
});
