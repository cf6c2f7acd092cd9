import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ItemRecord } from '../../../src/server/schemas.js';
import { ZIP_LINK_TTL_MS } from '../../../src/server/routes/export-zip.js';
import { appFor, buildTestLibrary, call, type ErrorJson, type TestLibrary } from './library.js';

let lib: TestLibrary;
let app: FastifyInstance;
let items: ItemRecord[];
let nowMs = Date.parse('2024-06-01T12:00:00Z');
const tmp = mkdtempSync(join(tmpdir(), 'outpost-zip-test-'));

before(async () => {
  lib = await buildTestLibrary();
  app = await appFor(lib, { clock: { now: () => new Date(nowMs) } });
  items = (await call<{ items: ItemRecord[] }>(app, { url: '/api/items?limit=500&type=photo' })).body.items;
});
after(async () => {
  await app.close();
  await lib.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Prepare and download a zip; the archive is checked and listed by Info-ZIP's unzip (the oracle). */
async function downloadZip(
  ids: string[],
  content?: 'originals' | 'previews',
): Promise<{ file: string; names: string[]; headers: Record<string, unknown> }> {
  const prep = await call<{ href: string; items: number }>(app, {
    method: 'POST',
    url: '/api/export/zip',
    payload: { ids, ...(content ? { content } : {}) },
  });
  assert.equal(prep.status, 200, prep.res.body);
  const res = await app.inject({ url: prep.body.href });
  assert.equal(res.statusCode, 200, res.body.slice(0, 300));
  const file = join(tmp, `${Math.random().toString(36).slice(2)}.zip`);
  writeFileSync(file, res.rawPayload);
  execFileSync('unzip', ['-tq', file]);
  const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
  return { file, names, headers: res.headers };
}

const entry = (file: string, name: string): Buffer =>
  execFileSync('unzip', ['-p', file, name], { maxBuffer: 256 * 1024 * 1024 });

describe('zip export', () => {
  it('holds the originals byte for byte in MONITOR/DATE folders, their sidecars and the CSV', async () => {
    const pick = items.slice(0, 3);
    // An edit writes the first one's XMP sidecar: it must travel with the original.
    const edit = await call(app, {
      method: 'PATCH',
      url: `/api/items/${pick[0]!.id}`,
      payload: { rating: 4 },
    });
    assert.equal(edit.status, 200);
    const z = await downloadZip(pick.map((i) => i.id));
    assert.equal(z.headers['content-type'], 'application/zip');
    assert.match(String(z.headers['content-disposition']), /attachment; filename="outpost-3-originals\.zip"/);
    assert.equal(Number(z.headers['content-length']), readFileSync(z.file).length, 'length known up front');
    for (const it of pick) {
      const name = it.path.replace(/^library\//, '');
      assert.ok(z.names.includes(name), `${name} in ${z.names.join(', ')}`);
      const sha = createHash('sha256').update(entry(z.file, name)).digest('hex');
      assert.equal(sha, it.id, `${name}: the original's bytes`);
    }
    const xmp = z.names.filter((n) => n.endsWith('.xmp'));
    assert.equal(xmp.length, 1, z.names.join(', '));
    assert.match(entry(z.file, xmp[0]!).toString('utf8'), /xmp:Rating[^0-9]*4/);
    const csv = entry(z.file, 'outpost-export.csv').toString('utf8').trim().split(/\r?\n/);
    assert.equal(csv.length, 4, 'a header and three rows');
    assert.ok(pick.every((it) => csv.some((l) => l.includes(it.id))));
  });

  it('holds the previews instead when asked (small JPEGs)', async () => {
    const pick = items.filter((i) => i.links.preview).slice(0, 2);
    const z = await downloadZip(
      pick.map((i) => i.id),
      'previews',
    );
    for (const it of pick) {
      const name = it.path.replace(/^library\//, '').replace(/\.[^./]*$/, '.jpg');
      const onDisk = readFileSync(
        join(lib.drive.layout.derivedDir, it.id.slice(0, 2), `${it.id}-preview.jpg`),
      );
      assert.ok(entry(z.file, name).equals(onDisk), name);
    }
    assert.ok(!z.names.some((n) => n.endsWith('.xmp')));
  });

  it('lists files the drive has lost in MISSING.txt and still gives a valid zip', async () => {
    const [gone, kept] = items.slice(3, 5);
    const abs = join(lib.drive.layout.root, gone!.path);
    renameSync(abs, `${abs}.away`);
    try {
      const z = await downloadZip([gone!.id, kept!.id]);
      assert.ok(z.names.includes('MISSING.txt'));
      assert.ok(
        entry(z.file, 'MISSING.txt')
          .toString('utf8')
          .includes(gone!.path.replace(/^library\//, '')),
      );
      assert.ok(z.names.includes(kept!.path.replace(/^library\//, '')));
    } finally {
      renameSync(`${abs}.away`, abs);
    }
  });

  it('links expire after 15 minutes; unknown links say so too', async () => {
    const prep = await call<{ href: string }>(app, {
      method: 'POST',
      url: '/api/export/zip',
      payload: { ids: [items[0]!.id] },
    });
    nowMs += ZIP_LINK_TTL_MS + 1000;
    const late = await call<ErrorJson>(app, { url: prep.body.href });
    assert.equal(late.status, 410);
    assert.equal(late.body.error.code, 'EXPORT_EXPIRED');
    assert.match(late.body.error.hint, /export the selection again/);
    const unknown = await call<ErrorJson>(app, { url: '/api/export/zip/AAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal(unknown.status, 410);
  });

  it('refuses a selection of nothing that exists, and bad ids', async () => {
    const none = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/export/zip',
      payload: { ids: ['0'.repeat(64)] },
    });
    assert.equal(none.status, 404);
    const bad = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/export/zip',
      payload: { ids: ['../etc/passwd'] },
    });
    assert.equal(bad.status, 400);
  });
});
