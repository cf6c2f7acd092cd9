import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../../../src/auth/users.js';
import { dbOf } from '../../../src/library/catalog/handle.js';
import { sendFacts, sha256, startTestHq, tusUpload, type TestHq } from '../../kit/hq.js';

/**
 * Editors at HQ edit attributes in the same web app as at a station, but HQ has no library
 * drive: its originals are objects in a store, the station keeps the sidecars. An edit at HQ is
 * an op in the catalogue (sent down to the station) and never a file in HQ's data directory.
 */
let hq: TestHq;
let session: Record<string, string>;
const one = sha256('an item the station sent');
const two = sha256('another item');
const FAST = { N: 1024, r: 8, p: 1 };

/** Every file and directory under HQ's data directory but the catalogue itself (it changes). */
function tree(): string[] {
  const root = hq.data.drive.layout.root;
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const rel = relative(root, p);
      if (/^\.outpost\/catalog\.sqlite/.test(rel)) continue;
      out.push(e.isDirectory() ? `${rel}/` : rel);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${hq.url}${path}`, {
    method,
    headers: { ...session, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

async function opsOf(id: string): Promise<{ field: string; value: string; origin: string }[]> {
  return dbOf(hq.catalog)
    .selectFrom('ops')
    .select(['field', 'value', 'origin'])
    .where('entity', '=', 'item')
    .where('entity_id', '=', id)
    .orderBy('seq')
    .execute();
}

before(async () => {
  hq = await startTestHq();
  const key = hq.key('alpha');
  await sendFacts(hq.url, key, [one, two]);
  // HQ lists an item once it holds one of its renditions: a thumbnail each.
  for (const id of [one, two]) {
    const thumb = Buffer.from(`webp thumbnail of ${id}`);
    await tusUpload({
      baseUrl: hq.url,
      key,
      bytes: thumb,
      metadata: { item: id, rendition: 'thumb', sha256: sha256(thumb) },
    }).done;
  }
  await addUser(hq.catalog, {
    name: 'ed',
    role: 'editor',
    password: 'correct horse battery',
    now: new Date(),
    scrypt: FAST,
  });
  const res = await fetch(`${hq.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
    body: JSON.stringify({ name: 'ed', password: 'correct horse battery' }),
  });
  assert.equal(res.status, 200, await res.text());
  const cookie = /outpost_session=[^;]*/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  assert.ok(cookie);
  session = { cookie, 'x-outpost-csrf': '1' };
});
after(async () => hq.close());

describe('attribute edits at HQ', () => {
  it('an edit records the op and writes no file under the data directory', async () => {
    const files = tree();
    const r = await call('PATCH', `/api/items/${one}`, { rating: 4, event: 'EV-HQ', tags: ['lion'] });
    assert.equal(r.status, 200, r.text);
    const ops = await opsOf(one);
    assert.deepEqual(
      ops.filter((o) => o.origin === 'hq-test').map((o) => [o.field, JSON.parse(o.value) as unknown]),
      [
        ['event', 'EV-HQ'],
        ['rating', 4],
        ['tags', ['lion']],
      ],
    );
    const item = JSON.parse((await call('GET', `/api/items/${one}`)).text) as {
      attributes: { rating: number; event: string };
    };
    assert.equal(item.attributes.rating, 4);
    assert.equal(item.attributes.event, 'EV-HQ');
    assert.deepEqual(tree(), files, 'no sidecar (nor its folder) under HQ data');
  });

  it('a batch edit and a geotag do not write files either', async () => {
    const files = tree();
    const batch = await call('POST', '/api/items/batch', { ids: [one, two], patch: { priority: true } });
    assert.equal(batch.status, 200, batch.text);
    const geo = await call('POST', '/api/geotag/apply', { assignments: [{ id: two, lat: -1.5, lon: 36.8 }] });
    assert.equal(geo.status, 200, geo.text);
    assert.ok((await opsOf(two)).some((o) => o.field === 'location' && o.origin === 'hq-test'));
    assert.ok((await opsOf(one)).some((o) => o.field === 'priority' && o.origin === 'hq-test'));
    assert.deepEqual(tree(), files);
  });
});
