import assert from 'node:assert/strict';
import { brotliDecompressSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { addUser } from '../../../src/auth/users.js';
import { buildApp } from '../../../src/server/app.js';
import { defaultWebRoot } from '../../../src/server/routes/webapp.js';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { derivedRelPath } from '../../../src/library/layout.js';
import { markThumbnailMade } from '../../../src/library/catalog/items.js';
import { call, emptyLibrary, insertSyntheticItem, NODE } from './library.js';

/**
 * The first load over a slow link: text answers are compressed (media are not), and the gallery
 * page of a logged-in visitor carries its first page of items, so the app needs no round trip
 * to the API before it shows thumbnails.
 */
let lib: Awaited<ReturnType<typeof emptyLibrary>>;
let app: FastifyInstance;
let cookie: string;
const HOSTILE = '</script><script>alert(1)</script>';
const IDS = ['a1', 'b2', 'c3'].map((p) => `${p}${'7'.repeat(62)}`);

before(async () => {
  lib = await emptyLibrary();
  for (const [i, id] of IDS.entries())
    await insertSyntheticItem(lib.catalog, id, `2024-05-0${i + 1}T08:00:00`);
  // The oldest has no thumbnail (yet): nothing to preload for it.
  for (const id of IDS.slice(1)) {
    const file = join(lib.drive.layout.root, derivedRelPath(id, 'thumb'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'RIFF-not-really-webp');
    await markThumbnailMade(lib.catalog, id);
  }
  await addUser(lib.catalog, {
    name: 'eva',
    role: 'editor',
    password: 'first-load-password',
    now: lib.clock.now(),
  });
  app = await buildApp({
    catalog: lib.catalog,
    drive: lib.drive,
    files: { root: lib.drive.layout.root },
    node: NODE,
    clock: lib.clock,
  });
  const r = await call(app, {
    method: 'POST',
    url: '/api/auth/login',
    headers: { 'x-outpost-csrf': '1' },
    payload: { name: 'eva', password: 'first-load-password' },
  });
  assert.equal(r.status, 200);
  cookie = /outpost_session=[^;]+/.exec(String(r.res.headers['set-cookie']))![0];
  const edit = await call(app, {
    method: 'PATCH',
    url: `/api/items/${IDS[0]}`,
    headers: { 'x-outpost-csrf': '1', cookie },
    payload: { notes: HOSTILE },
  });
  assert.equal(edit.status, 200, JSON.stringify(edit.body));
});
after(async () => {
  await app.close();
  await lib.close();
});

describe('compression', () => {
  it('compresses JSON for a client that accepts brotli, and says so', async () => {
    const res = await app.inject({
      url: '/api/items?limit=200',
      headers: { cookie, 'accept-encoding': 'gzip, br' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-encoding'], 'br');
    const body = JSON.parse(brotliDecompressSync(res.rawPayload).toString('utf8')) as {
      items: { id: string }[];
    };
    assert.deepEqual(body.items.map((i) => i.id).sort(), [...IDS].sort());
  });

  it('leaves a client that asks for nothing alone', async () => {
    const res = await app.inject({ url: '/api/items', headers: { cookie } });
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal((JSON.parse(res.body) as { items: unknown[] }).items.length, 3);
  });
});

describe(
  'the gallery page carries its first data',
  { skip: !existsSync(join(defaultWebRoot(), 'index.html')) && 'web app not built (npm run build:web)' },
  () => {
    const boot = (
      html: string,
    ):
      | {
          me: { user: { name: string } };
          items?: {
            query: string;
            page: {
              items: { id: string; attributes: { notes: string | null }; links: { thumb: string | null } }[];
            };
          };
        }
      | undefined => {
      const m = /<script type="application\/json" id="outpost-boot">([^]*?)<\/script>/.exec(html);
      return m ? JSON.parse(m[1]!) : undefined;
    };

    it('a logged-in visitor gets who they are and the first page of items, never cached', async () => {
      const res = await app.inject({ url: '/', headers: { cookie } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(String(res.headers.vary), /cookie/i);
      const b = boot(res.body);
      assert.ok(b, 'a boot block in the page');
      assert.equal(b.me.user.name, 'eva');
      assert.deepEqual(b.items!.page.items.map((i) => i.id).sort(), [...IDS].sort());
      assert.equal(new URLSearchParams(b.items!.query).get('limit'), '100');
    });

    it('the first screen’s thumbnails are asked for by the page itself, newest first', async () => {
      const res = await app.inject({ url: '/', headers: { cookie } });
      const preloads = [...res.body.matchAll(/<link rel="preload" as="image" href="([^"]+)"[^>]*>/g)];
      assert.deepEqual(
        preloads.map((m) => m[1]),
        [IDS[2], IDS[1]].map((id) => `/api/items/${id}/thumb`),
      );
      assert.ok(preloads.every((m) => m[0]!.includes('fetchpriority="high"')));
      // Those are the thumbnails the gallery shows: the same addresses as in its first page.
      const thumbs = boot(res.body)!
        .items!.page.items.map((i) => i.links.thumb)
        .filter((u) => u !== null);
      assert.deepEqual(
        preloads.map((m) => m[1]),
        thumbs,
      );
      const served = await app.inject({ url: preloads[0]![1]!, headers: { cookie } });
      assert.equal(served.statusCode, 200, 'the thumbnail the API serves');
      const anon = await app.inject({ url: '/' });
      assert.ok(!anon.body.includes('rel="preload"'), 'nothing preloaded for a visitor not logged in');
    });

    it('the first page follows the filters in the address', async () => {
      const res = await app.inject({ url: '/?monitor=Nobody', headers: { cookie } });
      const b = boot(res.body)!;
      assert.equal(new URLSearchParams(b.items!.query).get('monitor'), 'Nobody');
      assert.deepEqual(b.items!.page.items, []);
    });

    it('text from the library cannot close the data block', async () => {
      const res = await app.inject({ url: '/', headers: { cookie } });
      assert.equal(
        res.body.split('</script>').length - 1,
        res.body.match(/<script/g)!.length,
        'no extra </script>',
      );
      assert.ok(!res.body.includes(HOSTILE));
      const item = boot(res.body)!.items!.page.items.find((i) => i.id === IDS[0])!;
      assert.equal(item.attributes.notes, HOSTILE, 'the notes arrive intact once parsed');
    });

    it('a visitor who is not logged in gets the plain page (the app shows the login form)', async () => {
      for (const headers of [{}, { cookie: 'outpost_session=not-a-session' }]) {
        const res = await app.inject({ url: '/', headers });
        assert.equal(res.statusCode, 200);
        assert.equal(boot(res.body), undefined);
        assert.ok(!res.body.includes(IDS[0]!));
      }
    });
  },
);
