import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { UplinkJournal } from '../../../src/library/catalog/uplink-journal.js';
import { derivedRelPath } from '../../../src/library/layout.js';
import type { ItemRecord } from '../../../src/server/schemas.js';
import { appFor, buildTestLibrary, call, type TestLibrary } from './library.js';

let lib: TestLibrary;
let app: FastifyInstance;
let photos: ItemRecord[];

before(async () => {
  lib = await buildTestLibrary();
  app = await appFor(lib);
  photos = (
    await call<{ items: ItemRecord[] }>(app, { url: '/api/items?limit=500&type=photo' })
  ).body.items.filter((i) => i.links.thumb);
  assert.ok(photos.length >= 6);
});
after(async () => {
  await app.close();
  await lib.close();
});

const ids = async (query = ''): Promise<string[]> =>
  (await call<{ items: ItemRecord[] }>(app, { url: `/api/items?limit=500${query}` })).body.items.map(
    (i) => i.id,
  );
const reject = async (id: string, rejected: boolean): Promise<ItemRecord> => {
  const r = await call<ItemRecord>(app, { method: 'PATCH', url: `/api/items/${id}`, payload: { rejected } });
  assert.equal(r.status, 200, r.res.body);
  return r.body;
};
interface DeleteOut {
  items: number;
  onlyCopyCount: number;
  filesRemoved: number;
  keptOnlyCopy: number;
  notRejected: string[];
}
const del = async (body: Record<string, unknown>): Promise<DeleteOut> => {
  const r = await call<DeleteOut>(app, { method: 'POST', url: '/api/items/delete', payload: body });
  assert.equal(r.status, 200, r.res.body);
  return r.body;
};
const onDrive = (it: ItemRecord): string => join(lib.drive.layout.root, it.path);

describe('reject', () => {
  it('hides a rejected item from the gallery; the filter shows it; the stars stay', async () => {
    const [a] = photos;
    await call(app, { method: 'PATCH', url: `/api/items/${a!.id}`, payload: { rating: 2 } });
    const rec = await reject(a!.id, true);
    assert.equal(rec.attributes.rejected, true);
    assert.equal(rec.attributes.rating, 2);
    assert.ok(!(await ids()).includes(a!.id), 'hidden by default');
    assert.deepEqual(await ids('&rejected=only'), [a!.id]);
    assert.ok((await ids('&rejected=include')).includes(a!.id));
    // The sidecar says -1, as Lightroom and darktable read a reject (exiftool as the oracle).
    const xmp = `${onDrive(a!)}.xmp`;
    assert.equal(
      execFileSync('exiftool', ['-s3', '-XMP-xmp:Rating', xmp], { encoding: 'utf8' }).trim(),
      '-1',
    );
    const back = await reject(a!.id, false);
    assert.equal(back.attributes.rejected, undefined);
    assert.equal(back.attributes.rating, 2, 'un-rejecting brings the stars back');
    assert.equal(execFileSync('exiftool', ['-s3', '-XMP-xmp:Rating', xmp], { encoding: 'utf8' }).trim(), '2');
    assert.ok((await ids()).includes(a!.id));
  });

  it('rejects in bulk through the batch route', async () => {
    const pick = photos.slice(1, 3).map((p) => p.id);
    const r = await call<{ updated: number }>(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids: pick, patch: { rejected: true } },
    });
    assert.equal(r.status, 200, r.res.body);
    assert.deepEqual(new Set(await ids('&rejected=only')), new Set(pick));
    await call(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids: pick, patch: { rejected: false } },
    });
    assert.deepEqual(await ids('&rejected=only'), []);
  });
});

describe('delete', () => {
  it('deletes only rejected items; an only copy is hidden but kept unless that risk is confirmed', async () => {
    const [, , , a, b] = photos;
    await reject(a!.id, true);
    const dry = await del({ ids: [a!.id, b!.id], dryRun: true });
    assert.deepEqual(dry, {
      items: 1,
      onlyCopyCount: 1,
      filesRemoved: 0,
      keptOnlyCopy: 1,
      notRejected: [b!.id],
      dryRun: true,
    });
    assert.ok((await ids('&rejected=only')).includes(a!.id), 'a dry run changes nothing');
    const out = await del({ ids: [a!.id, b!.id] });
    assert.equal(out.items, 1);
    assert.equal(out.keptOnlyCopy, 1);
    assert.equal((await call(app, { url: `/api/items/${a!.id}` })).status, 404, 'gone from the API');
    assert.ok(!(await ids('&rejected=include')).includes(a!.id));
    assert.ok(existsSync(onDrive(a!)), 'the only copy stays on the drive');
    assert.ok(existsSync(onDrive(b!)), 'a photo that was not rejected is untouched');
    assert.ok((await ids()).includes(b!.id));
  });

  it('removes the files of a rejected item uploaded to HQ, and of an only copy once confirmed', async () => {
    const [, , , , , c, d] = photos;
    // HQ confirmed c's original (the uplink journal says so).
    const journal = new UplinkJournal(lib.catalog, 'hq');
    journal.enqueueNew(new Date().toISOString());
    journal.done(c!.id, 'original', new Date().toISOString());
    await reject(c!.id, true);
    await reject(d!.id, true);
    const first = await del({ ids: [c!.id, d!.id] });
    assert.deepEqual(
      [first.items, first.onlyCopyCount, first.filesRemoved, first.keptOnlyCopy],
      [2, 1, 1, 1],
    );
    assert.ok(!existsSync(onDrive(c!)), 'safe at HQ: removed here');
    assert.ok(!existsSync(join(lib.drive.layout.root, derivedRelPath(c!.id, 'thumb'))), 'thumbnail too');
    assert.ok(existsSync(onDrive(d!)), 'the only copy is kept');
  });

  it('refuses bad input', async () => {
    const bad = await call(app, { method: 'POST', url: '/api/items/delete', payload: { ids: ['x'] } });
    assert.equal(bad.status, 400);
  });
});
