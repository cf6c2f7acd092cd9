import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ItemRecord } from '../../../src/server/schemas.js';
import { appFor, buildTestLibrary, call, type TestLibrary } from './library.js';

interface Album {
  event: string;
  count: number;
  coverId: string | null;
}

let lib: TestLibrary;
let app: FastifyInstance;
before(async () => {
  lib = await buildTestLibrary();
  app = await appFor(lib);
});
after(async () => {
  await app.close();
  await lib.close();
});

const albums = async (): Promise<Album[]> =>
  (await call<{ events: Album[] }>(app, { url: '/api/event-albums' })).body.events;
const item = async (id: string): Promise<ItemRecord> =>
  (await call<ItemRecord>(app, { url: `/api/items/${id}` })).body;

describe('events as albums: list, rename/merge, undo', () => {
  it('merges one event into another as ops (sidecars follow) and undoes it', async () => {
    const page = await call<{ items: ItemRecord[] }>(app, { url: '/api/items?type=photo&sort=asc&limit=5' });
    const [a, b, c] = page.body.items;
    assert.ok(a && b && c);
    for (const [ids, event] of [
      [[a.id, b.id], 'RIO-1'],
      [[c.id], 'RIO-2'],
    ] as const) {
      const r = await call(app, {
        method: 'POST',
        url: '/api/items/batch',
        payload: { ids, patch: { event } },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const list = await albums();
    assert.equal(list.find((e) => e.event === 'RIO-1')?.count, 2);
    assert.equal(list.find((e) => e.event === 'RIO-2')?.count, 1);

    const bad = await call<{ message?: string }>(app, {
      method: 'POST',
      url: '/api/events/rename',
      payload: { from: 'RIO-1', to: 'RIO\n2' },
    });
    assert.equal(bad.status, 400, 'an event code with a newline is rejected');
    assert.match(JSON.stringify(bad.body), /one line/);

    const r = await call<{ updated: number; merged: boolean; changes: unknown[] }>(app, {
      method: 'POST',
      url: '/api/events/rename',
      payload: { from: 'RIO-1', to: 'RIO-2' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.updated, 2);
    assert.equal(r.body.merged, true);
    const merged = await albums();
    assert.equal(
      merged.find((e) => e.event === 'RIO-1'),
      undefined,
    );
    assert.equal(merged.find((e) => e.event === 'RIO-2')?.count, 3);
    const now = await item(a.id);
    assert.equal(now.attributes.event, 'RIO-2');
    assert.match(readFileSync(join(lib.drive.layout.root, `${now.path}.xmp`), 'utf8'), /RIO-2/);

    const undo = await call<{ restored: number }>(app, {
      method: 'POST',
      url: '/api/items/undo',
      payload: { changes: r.body.changes },
    });
    assert.equal(undo.status, 200, JSON.stringify(undo.body));
    assert.equal(undo.body.restored, 2);
    const back = await albums();
    assert.equal(back.find((e) => e.event === 'RIO-1')?.count, 2);
    assert.equal(back.find((e) => e.event === 'RIO-2')?.count, 1);
  });
});

/** A small RFC 4180 reader (quoted fields, doubled quotes, line breaks inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (q) {
      if (ch === '"' && text[i + 1] === '"') {
        f += '"';
        i++;
      } else if (ch === '"') q = false;
      else f += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      row.push(f);
      f = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(f);
      rows.push(row);
      row = [];
      f = '';
      i++;
    } else f += ch;
  }
  return rows;
}

describe('export: CSV of the selection', () => {
  it('quotes a comma, a quote and a line break in notes, starts with a BOM, joins tags with ;', async () => {
    const page = await call<{ items: ItemRecord[] }>(app, { url: '/api/items?type=photo&sort=asc&limit=2' });
    const [a, b] = page.body.items;
    assert.ok(a && b);
    const notes = 'Jaguar, "grande"\nsegunda línea';
    await call(app, {
      method: 'PATCH',
      url: `/api/items/${a.id}`,
      payload: { notes, tags: ['ñandú', 'río'] },
    });
    const res = await app.inject({ method: 'POST', url: '/api/export/csv', payload: { ids: [a.id, b.id] } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.headers['content-type'] as string, /text\/csv/);
    assert.ok(res.body.startsWith('\uFEFF'), 'UTF-8 BOM');
    const rows = parseCsv(res.body.slice(1));
    const header = rows[0]!;
    assert.equal(rows.length, 3);
    const ra = rows.find((r) => r[header.indexOf('sha256')] === a.id)!;
    assert.equal(ra[header.indexOf('notes')], notes);
    assert.equal(ra[header.indexOf('tags')], 'ñandú;río');
    assert.equal(ra.length, header.length);
  });
});
