import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tus from 'tus-js-client';
import { objectOf } from '../../../src/library/catalog/objects.js';
import { revokeStationKey } from '../../../src/hq/keys.js';
import { LocalDiskStore } from '../../../src/hq/local-disk-store.js';
import {
  originalMeta,
  randomBytesSeeded,
  sendFacts,
  sha256,
  startTestHq,
  tusUpload,
  type TestHq,
} from '../../kit/hq.js';

/**
 * tus uploads against a real HQ on loopback, driven by the real tus-js-client: complete, resumed,
 * terminated, refused (keys, owners, checksums, sizes).
 */
let hq: TestHq;
const MAX = 8 * 1024 * 1024;

before(async () => {
  hq = await startTestHq({ maxUploadSize: MAX });
});
after(async () => hq.close());

const uploadsLeft = async (): Promise<string[]> => readdir(hq.data.uploadsDir);

async function tusFetch(
  method: string,
  url: string,
  key: string,
  headers: Record<string, string> = {},
  body?: Buffer,
) {
  return fetch(new URL(url, hq.url), {
    method,
    headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${key}`, ...headers },
    ...(body ? { body } : {}),
  });
}

async function createUpload(key: string, bytes: Buffer): Promise<string> {
  const meta = originalMeta(bytes);
  const res = await tusFetch('POST', '/hq/v1/uploads/', key, {
    'upload-length': String(bytes.length),
    'upload-metadata': Object.entries(meta)
      .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
      .join(','),
  });
  assert.equal(res.status, 201, await res.text());
  const loc = res.headers.get('location');
  // Relative, and the id is the hash the bytes must have, then 16 random bytes.
  assert.ok(loc && /^\/hq\/v1\/uploads\/[0-9a-f]{64}-[0-9a-f]{32}$/.test(loc), `relative Location: ${loc}`);
  assert.ok(loc.startsWith(`/hq/v1/uploads/${meta.sha256}-`), loc);
  return loc;
}

describe('tus uploads', () => {
  it('a complete upload is verified, stored by its hash and noted in the catalogue', async () => {
    const bytes = randomBytesSeeded(3_000_000, 11);
    const h = sha256(bytes);
    const run = tusUpload({
      baseUrl: hq.url,
      key: hq.key('alpha'),
      bytes,
      metadata: originalMeta(bytes),
      // One PATCH of 3 MB: far above the JSON body limit (1 MiB), which must not apply to tus.
      chunkSize: Infinity,
    });
    await run.done;
    assert.deepEqual(await hq.store.stat(h), { size: bytes.length });
    assert.deepEqual(await objectOf(hq.catalog, h, 'original'), { sha256: h, size: bytes.length });
    // The finished upload is gone from uploads/ (its bytes live in the store now).
    assert.deepEqual(await uploadsLeft(), []);
    const head = await tusFetch('HEAD', run.upload.url!, hq.key('alpha'));
    assert.equal(head.status, 404);
  });

  it('creation-with-upload in one request works too', async () => {
    const bytes = Buffer.from('tiny thumbnail bytes');
    const item = sha256('the item this thumb belongs to');
    await sendFacts(hq.url, hq.key('alpha'), [item]);
    const run = tusUpload({
      baseUrl: hq.url,
      key: hq.key('alpha'),
      bytes,
      metadata: { item, rendition: 'thumb', sha256: sha256(bytes) },
    });
    // tus-js-client sends the body with POST only when asked to:
    run.upload.options.uploadDataDuringCreation = true;
    await run.done;
    assert.deepEqual(await objectOf(hq.catalog, item, 'thumb'), {
      sha256: sha256(bytes),
      size: bytes.length,
    });
  });

  it('an aborted upload resumes from the offset HQ reports', async () => {
    const bytes = randomBytesSeeded(1_000_000, 12);
    const chunk = 128 * 1024;
    let stopAt = 0;
    const first = tusUpload({
      baseUrl: hq.url,
      key: hq.key('alpha'),
      bytes,
      metadata: originalMeta(bytes),
      chunkSize: chunk,
      onChunk: (accepted, upload) => {
        if (accepted >= 3 * chunk && !stopAt) {
          stopAt = accepted;
          void upload.abort();
        }
      },
    });
    await Promise.race([first.done, new Promise((r) => setTimeout(r, 1500))]);
    assert.ok(first.upload.url, 'upload created');
    const head = await tusFetch('HEAD', first.upload.url, hq.key('alpha'));
    assert.equal(head.status, 200);
    const offset = Number(head.headers.get('upload-offset'));
    assert.equal(offset, stopAt, 'HQ kept every acknowledged byte');
    assert.ok(offset > 0 && offset < bytes.length);
    assert.equal(head.headers.get('upload-length'), String(bytes.length));

    let sent = 0;
    const second = tusUpload({
      baseUrl: hq.url,
      key: hq.key('alpha'),
      bytes,
      metadata: originalMeta(bytes),
      chunkSize: chunk,
      uploadUrl: new URL(first.upload.url, hq.url).href,
      onChunk: (accepted) => (sent = accepted),
    });
    await second.done;
    assert.equal(sent, bytes.length);
    assert.ok(await hq.store.has(sha256(bytes)));
  });

  it('termination deletes an incomplete upload', async () => {
    const bytes = randomBytesSeeded(50_000, 13);
    const url = await createUpload(hq.key('alpha'), bytes);
    const patch = await tusFetch(
      'PATCH',
      url,
      hq.key('alpha'),
      { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      bytes.subarray(0, 1000),
    );
    assert.equal(patch.status, 204);
    await tus.Upload.terminate(new URL(url, hq.url).href, {
      headers: { authorization: `Bearer ${hq.key('alpha')}` },
      retryDelays: null,
    });
    assert.equal((await tusFetch('HEAD', url, hq.key('alpha'))).status, 404);
    assert.deepEqual(await uploadsLeft(), []);
  });

  it("another station's upload does not exist for it: HEAD, PATCH, DELETE → 404", async () => {
    const bytes = randomBytesSeeded(10_000, 14);
    const url = await createUpload(hq.key('alpha'), bytes);
    const other = hq.key('bravo');
    assert.equal((await tusFetch('HEAD', url, other)).status, 404);
    const patch = await tusFetch(
      'PATCH',
      url,
      other,
      { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      bytes,
    );
    assert.equal(patch.status, 404);
    assert.equal((await tusFetch('DELETE', url, other)).status, 404);
    // The owner still has it, untouched.
    const head = await tusFetch('HEAD', url, hq.key('alpha'));
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('upload-offset'), '0');
    assert.equal((await tusFetch('DELETE', url, hq.key('alpha'))).status, 204);
  });

  it('no key, a malformed, unknown or revoked key → 401 on uploads and the JSON endpoints', async () => {
    const bytes = Buffer.from('x');
    const keyOfCharlie = hq.key('charlie');
    await revokeStationKey(hq.catalog, 'charlie', new Date());
    const forged = `op1_alpha_${'A'.repeat(43)}`;
    for (const auth of [
      undefined,
      'Bearer nonsense',
      `Bearer ${forged}`,
      `Bearer ${keyOfCharlie}`,
      `Basic ${hq.key('alpha')}`,
    ]) {
      const headers: Record<string, string> = { 'tus-resumable': '1.0.0', 'upload-length': '1' };
      if (auth) headers.authorization = auth;
      const res = await fetch(`${hq.url}/hq/v1/uploads/`, { method: 'POST', headers });
      assert.equal(res.status, 401, String(auth));
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'UNAUTHENTICATED');
      const have = await fetch(`${hq.url}/hq/v1/have`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ objects: [] }),
      });
      assert.equal(have.status, 401);
    }
    void bytes;
  });

  it('a checksum mismatch answers 460 CHECKSUM_MISMATCH, deletes the upload and stores nothing', async () => {
    const bytes = randomBytesSeeded(200_000, 15);
    const claimed = sha256('something else entirely');
    let status = 0;
    let body = '';
    const run = tusUpload({
      baseUrl: hq.url,
      key: hq.key('alpha'),
      bytes,
      metadata: { item: claimed, rendition: 'original', sha256: claimed },
      chunkSize: 64 * 1024,
    });
    await assert.rejects(run.done, (e: tus.DetailedError) => {
      status = e.originalResponse?.getStatus() ?? 0;
      body = e.originalResponse?.getBody() ?? '';
      return true;
    });
    assert.equal(status, 460);
    assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'CHECKSUM_MISMATCH');
    assert.equal(await hq.store.has(claimed), false);
    assert.equal(await hq.store.has(sha256(bytes)), false);
    assert.equal(await objectOf(hq.catalog, claimed, 'original'), undefined);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await uploadsLeft(), []);
  });

  it('bad metadata → 400 naming the problems; too large → 413; deferred length → 400', async () => {
    const key = hq.key('alpha');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const h = sha256('a');
    const cases: [Record<string, string>, number][] = [
      [
        {
          'upload-length': '10',
          'upload-metadata': `item ${b64('nothex')},rendition ${b64('thumb')},sha256 ${b64(h)}`,
        },
        400,
      ],
      [
        {
          'upload-length': '10',
          'upload-metadata': `item ${b64(h)},rendition ${b64('raw')},sha256 ${b64(h)}`,
        },
        400,
      ],
      [
        {
          'upload-length': '10',
          'upload-metadata': `item ${b64(h)},rendition ${b64('original')},sha256 ${b64(sha256('b'))}`,
        },
        400,
      ],
      [
        {
          'upload-length': '10',
          'upload-metadata': `item ${b64(h)},rendition ${b64('thumb')},sha256 ${b64(h)},station ${b64('bravo')}`,
        },
        400,
      ],
      [{ 'upload-length': '10' }, 400],
      [
        {
          'upload-length': String(MAX + 1),
          'upload-metadata': `item ${b64(h)},rendition ${b64('thumb')},sha256 ${b64(h)}`,
        },
        413,
      ],
      [
        {
          'upload-defer-length': '1',
          'upload-metadata': `item ${b64(h)},rendition ${b64('thumb')},sha256 ${b64(h)}`,
        },
        400,
      ],
    ];
    for (const [headers, want] of cases) {
      const res = await tusFetch('POST', '/hq/v1/uploads/', key, headers);
      const text = await res.text();
      assert.equal(res.status, want, `${JSON.stringify(headers)} → ${text}`);
      assert.ok(text.startsWith('{"error":'), text);
    }
    assert.deepEqual(await uploadsLeft(), []);
  });
});

describe('a finished upload whose storing failed', () => {
  it('is verified and stored by the next HEAD, so offset = length never means "unverified"', async () => {
    // A store that fails its first put (a full disk, say), then recovers.
    let failures = 1;
    const dir = await mkdtemp(join(tmpdir(), 'outpost-flaky-store-'));
    const real = await new LocalDiskStore(dir).init();
    const flaky = Object.assign(Object.create(real) as LocalDiskStore, {
      putFile: async (h: string, p: string) => {
        if (failures-- > 0) throw Object.assign(new Error('no space left'), { code: 'ENOSPC' });
        return real.putFile(h, p);
      },
    });
    const local = await startTestHq({ store: flaky });
    try {
      const bytes = randomBytesSeeded(100_000, 16);
      const run = tusUpload({
        baseUrl: local.url,
        key: local.key('alpha'),
        bytes,
        metadata: originalMeta(bytes),
      });
      await assert.rejects(run.done, (e: tus.DetailedError) => e.originalResponse?.getStatus() === 500);
      assert.equal(await real.has(sha256(bytes)), false);
      const head = await fetch(new URL(run.upload.url!, local.url), {
        method: 'HEAD',
        headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${local.key('alpha')}` },
      });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('upload-offset'), String(bytes.length));
      assert.equal(await real.has(sha256(bytes)), true, 'stored by the HEAD');
      assert.ok(await objectOf(local.catalog, sha256(bytes), 'original'));
    } finally {
      await local.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
