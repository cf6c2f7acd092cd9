import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ItemRecord } from '../../../src/server/schemas.js';
import { appFor, buildTestLibrary, call, type ErrorJson, type TestLibrary } from './library.js';

let lib: TestLibrary;
let app: FastifyInstance;
let items: ItemRecord[];
const byName = (n: string): ItemRecord => {
  const it = items.find((i) => i.originalName === n);
  assert.ok(it, `fixture has ${n}`);
  return it;
};

before(async () => {
  lib = await buildTestLibrary();
  app = await appFor(lib);
  items = (await call<{ items: ItemRecord[] }>(app, { url: '/api/items?limit=500' })).body.items;
});
after(async () => {
  await app.close();
  await lib.close();
});

const isWebp = (b: Buffer): boolean =>
  b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP';
const isJpeg = (b: Buffer): boolean => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

describe('derivatives', () => {
  it('thumb is WebP, preview JPEG, with the item id as ETag and immutable caching', async () => {
    const canon = byName('Canon_40D.jpg');
    const thumb = await app.inject({ url: canon.links.thumb! });
    assert.equal(thumb.statusCode, 200);
    assert.equal(thumb.headers['content-type'], 'image/webp');
    assert.ok(isWebp(thumb.rawPayload), 'WebP bytes');
    assert.equal(thumb.headers.etag, `"${canon.id}"`);
    assert.match(String(thumb.headers['cache-control']), /immutable/);
    assert.equal(Number(thumb.headers['content-length']), thumb.rawPayload.length);
    assert.equal(thumb.headers['x-content-type-options'], 'nosniff');
    const preview = await app.inject({ url: `/api/items/${canon.id.slice(0, 8)}/preview` });
    assert.equal(preview.statusCode, 200);
    assert.equal(preview.headers['content-type'], 'image/jpeg');
    assert.ok(isJpeg(preview.rawPayload), 'JPEG bytes');
    const onDisk = readFileSync(
      join(lib.drive.layout.derivedDir, canon.id.slice(0, 2), `${canon.id}-preview.jpg`),
    );
    assert.ok(preview.rawPayload.equals(onDisk), 'the stored preview, byte for byte');
  });

  it('If-None-Match with the ETag gives 304 without a body', async () => {
    const canon = byName('Canon_40D.jpg');
    for (const inm of [`"${canon.id}"`, `W/"${canon.id}"`, `"x", "${canon.id}"`]) {
      const r = await app.inject({ url: canon.links.thumb!, headers: { 'if-none-match': inm } });
      assert.equal(r.statusCode, 304, inm);
      assert.equal(r.rawPayload.length, 0);
    }
    const other = await app.inject({ url: canon.links.thumb!, headers: { 'if-none-match': '"nope"' } });
    assert.equal(other.statusCode, 200);
  });

  it('a video has a poster (JPEG) and a WebP thumb', async () => {
    const mp4 = byName('MVI_0001.MP4');
    const poster = await app.inject({ url: `/api/items/${mp4.id}/poster` });
    assert.equal(poster.statusCode, 200);
    assert.ok(isJpeg(poster.rawPayload));
    assert.ok(isWebp((await app.inject({ url: `/api/items/${mp4.id}/thumb` })).rawPayload));
  });

  it('404 RENDITION_NOT_FOUND as JSON (and not cacheable) when a derivative does not exist', async () => {
    const wav = byName('REC_0001.WAV');
    for (const r of ['thumb', 'preview', 'poster']) {
      const { status, body, res } = await call<ErrorJson>(app, { url: `/api/items/${wav.id}/${r}` });
      assert.equal(status, 404, r);
      assert.equal(body.error.code, 'RENDITION_NOT_FOUND');
      assert.match(String(res.headers['content-type']), /application\/json/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers.etag, undefined);
    }
    const photo = byName('Canon_40D.jpg');
    const { status, body } = await call<ErrorJson>(app, { url: `/api/items/${photo.id}/poster` });
    assert.equal(status, 404);
    assert.equal(body.error.code, 'RENDITION_NOT_FOUND');
  });
});

describe('originals', () => {
  const original = (it: ItemRecord): Buffer => readFileSync(join(lib.drive.layout.root, it.path));

  it('streams the original byte for byte with its content type', async () => {
    for (const [name, type] of [
      ['Canon_40D.jpg', 'image/jpeg'],
      ['MVI_0001.MP4', 'video/mp4'],
      ['MVI_0002.AVI', 'video/x-msvideo'],
      ['REC_0002.MP3', 'audio/mpeg'],
      ['REC_0001.WAV', 'audio/wav'],
    ] as const) {
      const it = byName(name);
      const r = await app.inject({ url: it.links.original });
      assert.equal(r.statusCode, 200, name);
      assert.equal(r.headers['content-type'], type, name);
      assert.equal(r.headers['accept-ranges'], 'bytes');
      assert.equal(r.headers.etag, `"${it.id}"`);
      assert.equal(Number(r.headers['content-length']), it.size);
      assert.ok(r.rawPayload.equals(original(it)), `${name} byte-exact`);
      assert.match(String(r.headers['content-disposition']), /^inline; filename="/);
    }
  });

  it('Range: first bytes, suffix, open-ended, clamped end; byte-exact 206 with Content-Range', async () => {
    const mp4 = byName('MVI_0001.MP4');
    const bytes = original(mp4);
    const size = bytes.length;
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=-100', size - 100, size - 1],
      ['bytes=1000-', 1000, size - 1],
      ['bytes=500-999999999', 500, size - 1],
      [`bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
      [`bytes=-${size + 50}`, 0, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await app.inject({ url: mp4.links.original, headers: { range } });
      assert.equal(r.statusCode, 206, range);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${size}`, range);
      assert.equal(Number(r.headers['content-length']), end - start + 1, range);
      assert.equal(r.headers['content-type'], 'video/mp4');
      assert.ok(r.rawPayload.equals(bytes.subarray(start, end + 1)), `${range} byte-exact`);
    }
  });

  it('416 with Content-Range bytes */size for a range outside the file', async () => {
    const it = byName('Canon_40D.jpg');
    for (const range of [`bytes=${it.size}-`, `bytes=${it.size + 10}-${it.size + 20}`, 'bytes=-0']) {
      const { status, body, res } = await call<ErrorJson>(app, {
        url: it.links.original,
        headers: { range },
      });
      assert.equal(status, 416, range);
      assert.equal(res.headers['content-range'], `bytes */${it.size}`);
      assert.equal(body.error.code, 'RANGE_NOT_SATISFIABLE');
    }
  });

  it('several ranges, an invalid header or a stale If-Range give the whole file (200)', async () => {
    const it = byName('Canon_40D.jpg');
    for (const headers of [
      { range: 'bytes=0-9,20-29' },
      { range: 'bytes=9-0' },
      { range: 'items=0-9' },
      { range: 'bytes=0-9', 'if-range': '"something-else"' },
    ]) {
      const r = await app.inject({ url: it.links.original, headers });
      assert.equal(r.statusCode, 200, JSON.stringify(headers));
      assert.equal(r.rawPayload.length, it.size);
    }
    const ok = await app.inject({
      url: it.links.original,
      headers: { range: 'bytes=0-9', 'if-range': `"${it.id}"` },
    });
    assert.equal(ok.statusCode, 206);
  });

  it('HEAD answers with the size without a body; ?download=true asks to save', async () => {
    const it = byName('MVI_0001.MP4');
    const head = await app.inject({ method: 'HEAD', url: it.links.original });
    assert.equal(head.statusCode, 200);
    assert.equal(Number(head.headers['content-length']), it.size);
    assert.equal(head.rawPayload.length, 0);
    const ranged = await app.inject({
      method: 'HEAD',
      url: it.links.original,
      headers: { range: 'bytes=0-9' },
    });
    assert.equal(ranged.statusCode, 206);
    assert.equal(ranged.headers['content-length'], '10');
    const dl = await app.inject({ url: `${it.links.original}?download=true` });
    assert.match(String(dl.headers['content-disposition']), /^attachment; filename=".+\.mp4"/);
    const bad = await call<ErrorJson>(app, { url: `${it.links.original}?download=maybe` });
    assert.equal(bad.status, 400);
  });
});

describe('hostile ids never reach the file system', () => {
  it('path-traversal-looking ids are 400 (or no route), always JSON, never a file', async () => {
    const urls = [
      '/api/items/..%2F..%2F..%2Fetc%2Fpasswd/original',
      '/api/items/%2e%2e%2f%2e%2e%2fetc%2fpasswd/thumb',
      '/api/items/..%5C..%5Cwindows/preview',
      '/api/items/abcdef%00/original',
      '/api/items/abcdef.jpg/original',
      '/api/items/abcdef%2F..%2F..%2Foutpost-drive.json/original',
      `/api/items/${'a'.repeat(65)}/original`,
      '/api/items/abc/original',
      '/api/items/%20abcdef/original',
      '/api/items/abcdef/original?path=../../etc/passwd',
    ];
    for (const url of urls) {
      const { status, body, res } = await call<ErrorJson>(app, { url });
      assert.equal(status, 400, `${url}: ${res.body.slice(0, 200)}`);
      assert.equal(body.error.code, 'INVALID_INPUT', url);
      assert.doesNotMatch(res.body, /root:|outpost-drive/, url);
    }
    for (const url of ['/api/items/../../etc/passwd', '/api/items/x/../../../etc/passwd/original']) {
      const { status, body, res } = await call<ErrorJson>(app, { url });
      assert.ok(status === 400 || status === 404, `${url} → ${status}`);
      assert.ok(body?.error?.code, `${url} answers JSON`);
      assert.doesNotMatch(res.body, /root:/);
    }
  });
});
