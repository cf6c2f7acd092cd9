/**
 * Tablets sync against HQ the same way as against a station (issue 18): HQ's app is same-origin
 * (its own cookie, no device token needed), on PostgreSQL. A device's edits are taken once, a
 * conflict is kept, a viewer may not push, and HQ writes no sidecar (it has no library drive).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../../../src/auth/users.js';
import { encodeHlc } from '../../../src/core/hlc.js';
import { testPostgresUrl } from '../../kit/catalogs.js';
import { sendFacts, sha256, startTestHq, tusUpload, type TestHq } from '../../kit/hq.js';

let hq: TestHq;
const editor: Record<string, string> = {};
const viewer: Record<string, string> = {};
const one = sha256('a photo the station sent');
const FAST = { N: 1024, r: 8, p: 1 };
// Asked at the top level: the kit registers the cluster's cleanup with the file's own hooks.
const database = testPostgresUrl();

async function login(name: string, role: 'editor' | 'viewer', into: Record<string, string>): Promise<void> {
  await addUser(hq.catalog, { name, role, password: 'correct horse battery', now: new Date(), scrypt: FAST });
  const res = await fetch(`${hq.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
    body: JSON.stringify({ name, password: 'correct horse battery' }),
  });
  assert.equal(res.status, 200, await res.text());
  into.cookie = /outpost_session=[^;]*/.exec(res.headers.get('set-cookie') ?? '')![0];
  into['x-outpost-csrf'] = '1';
}

async function call<T>(who: Record<string, string>, method: string, path: string, body?: unknown) {
  const res = await fetch(`${hq.url}${path}`, {
    method,
    headers: { ...who, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
}

before(async () => {
  hq = await startTestHq({ database: await database });
  const key = await hq.stationKey('alpha');
  await sendFacts(hq.url, key, [one]);
  const thumb = Buffer.from(`webp thumbnail of ${one}`);
  await tusUpload({
    baseUrl: hq.url,
    key,
    bytes: thumb,
    metadata: { item: one, rendition: 'thumb', sha256: sha256(thumb) },
  }).done;
  await login('ed', 'editor', editor);
  await login('vi', 'viewer', viewer);
});
after(async () => hq.close());

describe('a tablet syncing with HQ (PostgreSQL)', () => {
  it('takes a device’s edits once, keeps a conflict, refuses a viewer’s push', async () => {
    const manifest = await call<{ count: number; items: { id: string }[] }>(
      editor,
      'POST',
      '/api/takeaway/manifest',
      {
        ids: [one],
      },
    );
    assert.equal(manifest.status, 200, manifest.text);
    assert.deepEqual(
      manifest.body.items.map((i) => i.id),
      [one],
    );
    const now = Date.now();
    const ops = [
      {
        hlc: encodeHlc({ wall: now - 5000, counter: 0, node: 'tab-hq' }),
        item: one,
        field: 'rating',
        value: 3,
        base: null,
      },
      {
        hlc: encodeHlc({ wall: now - 4000, counter: 0, node: 'tab-hq' }),
        item: one,
        field: 'tags',
        value: ['lion'],
        base: [],
      },
    ];
    const first = await call<{ results: { outcome: string; duplicate: boolean }[] }>(
      editor,
      'POST',
      '/api/sync/ops',
      {
        device: 'tab-hq',
        ops,
      },
    );
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(
      first.body.results.map((r) => r.outcome),
      ['applied', 'applied'],
    );
    const again = await call<{ results: { duplicate: boolean }[] }>(editor, 'POST', '/api/sync/ops', {
      device: 'tab-hq',
      ops,
    });
    assert.ok(again.body.results.every((r) => r.duplicate));
    // An editor at HQ rates it 1; a second tablet that saw 3 earlier sets 5 with an older stamp.
    assert.equal((await call(editor, 'PATCH', `/api/items/${one}`, { rating: 1 })).status, 200);
    const late = await call<{
      results: { outcome: string; conflict?: { winner: string; otherValue: unknown } }[];
    }>(editor, 'POST', '/api/sync/ops', {
      device: 'tab-2',
      ops: [
        {
          hlc: encodeHlc({ wall: now - 3000, counter: 0, node: 'tab-2' }),
          item: one,
          field: 'rating',
          value: 5,
          base: 3,
        },
      ],
    });
    assert.equal(late.body.results[0]!.outcome, 'superseded');
    assert.equal(late.body.results[0]!.conflict?.winner, 'other');
    assert.equal(late.body.results[0]!.conflict?.otherValue, 1);
    const list = await call<{ conflicts: unknown[] }>(viewer, 'GET', '/api/sync/conflicts');
    assert.equal(list.body.conflicts.length, 1);
    const item = await call<{ attributes: { rating: number; tags: string[] } }>(
      viewer,
      'GET',
      `/api/items/${one}`,
    );
    assert.equal(item.body.attributes.rating, 1);
    assert.deepEqual(item.body.attributes.tags, ['lion']);
    const refused = await call<{ error: { code: string } }>(viewer, 'POST', '/api/sync/ops', {
      device: 'tab-vi',
      ops: [
        {
          hlc: encodeHlc({ wall: now, counter: 0, node: 'tab-vi' }),
          item: one,
          field: 'rating',
          value: 2,
          base: 1,
        },
      ],
    });
    assert.equal(refused.status, 403);
    const changes = await call<{ items: { id: string }[] }>(viewer, 'GET', '/api/sync/changes?since=0');
    assert.deepEqual(
      changes.body.items.map((i) => i.id),
      [one],
    );
  });
});
