import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ItemRecord } from '../../../src/server/schemas.js';
import { appFor, buildTestLibrary, call, type TestLibrary } from './library.js';

let lib: TestLibrary;
let app: FastifyInstance;
let dated: ItemRecord[];

interface ShiftOut {
  byMs: number;
  items: number;
  moving: number;
  undated: number;
  example: { before: string; after: string } | null;
  failed: unknown[];
}

before(async () => {
  lib = await buildTestLibrary();
  app = await appFor(lib);
  const all = (await call<{ items: ItemRecord[] }>(app, { url: '/api/items?limit=500&type=photo' })).body
    .items;
  dated = all.filter((i) => i.capturedAt && /^library\/[^/]+\/\d{4}-\d{2}-\d{2}\/\d{8}-\d{6}_/.test(i.path));
  assert.ok(dated.length >= 3, 'dated photos named by their capture time');
});
after(async () => {
  await app.close();
  await lib.close();
});

const item = async (id: string): Promise<ItemRecord> =>
  (await call<ItemRecord>(app, { url: `/api/items/${id}` })).body;
const shift = async (body: Record<string, unknown>): Promise<ShiftOut> => {
  const r = await call<ShiftOut>(app, { method: 'POST', url: '/api/items/shift-time', payload: body });
  assert.equal(r.status, 200, r.res.body);
  return r.body;
};
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('fix a wrong camera clock', () => {
  it('a dry run previews without changing anything', async () => {
    const [a] = dated;
    const out = await shift({ ids: [a!.id], by: '+1d2h', dryRun: true });
    assert.equal(out.byMs, 26 * 3_600_000);
    assert.equal(out.items, 1);
    assert.equal(out.moving, 1, 'its name is stamped with the capture time: it is renamed');
    assert.equal((await item(a!.id)).path, a!.path);
  });

  it('moves capture time, date folder, file name and sidecar; undo brings everything back', async () => {
    const [a, b] = dated;
    const out = await shift({ ids: [a!.id, b!.id], by: '+1d2h' });
    assert.equal(out.items, 2);
    assert.deepEqual(out.failed, []);
    const moved = await item(a!.id);
    const wantDay = new Date(Date.parse(`${a!.sortTime.slice(0, 19)}Z`) + 26 * 3_600_000)
      .toISOString()
      .slice(0, 10);
    assert.equal(
      moved.capturedAt!.slice(0, 19),
      new Date(Date.parse(`${a!.capturedAt!.slice(0, 19)}Z`) + 26 * 3_600_000).toISOString().slice(0, 19),
    );
    assert.equal(moved.path.split('/')[2], a!.path.split('/')[2], 'the download-day folder stays');
    assert.match(moved.path.split('/')[3]!, new RegExp(`^${wantDay.replace(/-/g, '')}-`), 'the name follows');
    const abs = join(lib.drive.layout.root, moved.path);
    assert.equal(sha(abs), a!.id, 'the same bytes at the new place');
    assert.ok(!existsSync(join(lib.drive.layout.root, a!.path)), 'nothing left at the old place');
    // The sidecar beside it says the corrected time (exiftool as the oracle).
    const created = execFileSync(
      'exiftool',
      ['-s3', '-d', '%Y-%m-%dT%H:%M:%S', '-XMP-xmp:CreateDate', `${abs}.xmp`],
      {
        encoding: 'utf8',
      },
    ).trim();
    assert.equal(created, moved.capturedAt!.slice(0, 19));
    // The date filter finds it on its new day only.
    const onDay = (
      await call<{ items: ItemRecord[] }>(app, { url: `/api/items?limit=500&from=${wantDay}&to=${wantDay}` })
    ).body.items.map((i) => i.id);
    assert.ok(onDay.includes(a!.id));
    // Undo: the opposite offset returns to the camera's own time, folder and name.
    await shift({ ids: [a!.id, b!.id], byMs: -out.byMs });
    const back = await item(a!.id);
    assert.equal(back.path, a!.path);
    assert.equal(back.capturedAt, a!.capturedAt);
    assert.equal(sha(join(lib.drive.layout.root, back.path)), a!.id);
  });

  it('an anchor ("this one was really taken at …") sets the offset for all', async () => {
    const [, , c] = dated;
    const camera = c!.capturedAt!.slice(0, 19);
    const truth = new Date(Date.parse(`${camera}Z`) - 90 * 60_000).toISOString().slice(0, 19);
    const out = await shift({ ids: [c!.id], anchor: { id: c!.id, trueTime: truth }, dryRun: true });
    assert.equal(out.byMs, -90 * 60_000);
    assert.equal(out.example?.after.slice(0, 19), truth);
  });

  it('refuses a bad offset with what to write instead', async () => {
    const r = await call<{ error: { code: string; hint: string } }>(app, {
      method: 'POST',
      url: '/api/items/shift-time',
      payload: { ids: [dated[0]!.id], by: 'tomorrow' },
    });
    assert.equal(r.status, 400);
    assert.match(r.body.error.hint, /\+1h30m/);
  });
});
