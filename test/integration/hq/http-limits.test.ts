import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import { buildHqApp, type HqApp } from '../../../src/hq/app.js';
import { openHqDataDir } from '../../../src/hq/data-dir.js';
import { addStationKey } from '../../../src/hq/keys.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import type { HttpLimits } from '../../../src/server/http-limits.js';
import { startServer } from '../../../src/server/server.js';
import { originalMeta, randomBytesSeeded, sha256 } from '../../kit/hq.js';

const LIMITS: HttpLimits = {
  maxConnectionsPerAddress: 16,
  bodyIdleTimeoutMs: 1000,
  bodyGraceMs: 1000,
  bodyMinBytesPerSecond: 1024,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * HQ receives tus uploads over slow links: a PATCH that keeps moving, however slowly, is never
 * cut off; one that stops is, after the idle timeout, and the station resumes from what arrived.
 */
describe('HQ: request-body limits and tus uploads (real server on loopback)', { timeout: 60_000 }, () => {
  let work: string;
  let catalog: Catalog;
  let hq: HqApp;
  let url: string;
  let port: number;
  let key: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-hq-limits-'));
    const data = await openHqDataDir(join(work, 'hq'), new Date());
    catalog = await openCatalog(data.drive.layout.catalog);
    hq = await buildHqApp({ data, catalog, clock: { now: () => new Date() }, log: silentLogger, node: 'hq' });
    ({ url, port } = await startServer(hq.app, { host: '127.0.0.1', port: 0, limits: LIMITS }));
    key = (await addStationKey(catalog, 'alpha', new Date())).key;
  });
  after(async () => {
    await hq?.app.close();
    await catalog?.close();
    await rm(work, { recursive: true, force: true });
  });

  const tus = (method: string, path: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(new URL(path, url), {
      method,
      headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${key}`, ...headers },
    });

  const create = async (bytes: Buffer): Promise<string> => {
    const res = await tus('POST', '/hq/v1/uploads/', {
      'upload-length': String(bytes.length),
      'upload-metadata': Object.entries(originalMeta(bytes))
        .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
        .join(','),
    });
    assert.equal(res.status, 201, await res.text());
    return res.headers.get('location')!;
  };

  /** A PATCH on a raw socket: the head now, the body as `feed` writes it; resolves with the answer. */
  const patch = async (
    path: string,
    offset: number,
    length: number,
    feed: (s: Socket) => Promise<void>,
    auth = true,
  ): Promise<{ answer: string; ms: number }> => {
    const s = connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    let answer = '';
    s.on('data', (b: Buffer) => (answer += b.toString('latin1')));
    s.on('error', () => undefined);
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    const t0 = Date.now();
    s.write(
      `PATCH ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n` +
        (auth ? `Authorization: Bearer ${key}\r\n` : '') +
        `Upload-Offset: ${offset}\r\nContent-Type: application/offset+octet-stream\r\n` +
        `Content-Length: ${length}\r\nConnection: close\r\n\r\n`,
    );
    await feed(s);
    await Promise.race([closed, sleep(10_000)]);
    s.destroy();
    return { answer, ms: Date.now() - t0 };
  };

  it('a PATCH at 500 bytes/s (under the minimum rate, never idle) completes the upload', async () => {
    const bytes = randomBytesSeeded(2000, 3);
    const loc = await create(bytes);
    const { answer, ms } = await patch(loc, 0, bytes.length, async (s) => {
      for (let i = 0; i < bytes.length; i += 100) {
        s.write(bytes.subarray(i, i + 100));
        await sleep(200);
      }
    });
    assert.ok(ms > LIMITS.bodyGraceMs * 3, `took ${ms} ms: longer than the grace period`);
    assert.match(answer, /^HTTP\/1\.1 204 /, answer.slice(0, 200));
    assert.deepEqual(await hq.store.stat(sha256(bytes)), { size: bytes.length });
  });

  it('a PATCH that stops is cut off after the idle timeout; the upload resumes from what arrived', async () => {
    const bytes = randomBytesSeeded(4000, 4);
    const loc = await create(bytes);
    const { answer, ms } = await patch(loc, 0, bytes.length, async (s) => {
      s.write(bytes.subarray(0, 1500));
    });
    assert.ok(
      ms >= LIMITS.bodyIdleTimeoutMs && ms < LIMITS.bodyIdleTimeoutMs + 2000,
      `cut off after ${ms} ms`,
    );
    assert.doesNotMatch(answer, /^HTTP\/1\.1 204/);
    // tus kept what arrived (it may take a moment to release the upload's lock).
    let offset = -1;
    for (let i = 0; i < 50 && offset !== 1500; i++) {
      const head = await tus('HEAD', loc);
      offset = Number(head.headers.get('upload-offset'));
      if (offset !== 1500) await sleep(100);
    }
    assert.equal(offset, 1500);
    const done = await fetch(new URL(loc, url), {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        authorization: `Bearer ${key}`,
        'upload-offset': '1500',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes.subarray(1500),
    });
    assert.equal(done.status, 204, await done.text());
    assert.deepEqual(await hq.store.stat(sha256(bytes)), { size: bytes.length });
  });

  it('without a station key the slow pace is not allowed: refused, then cut off', async () => {
    const { answer, ms } = await patch(
      `/hq/v1/uploads/${'0'.repeat(32)}`,
      0,
      5000,
      async (s) => {
        for (let i = 0; i < 40 && !s.destroyed; i++) {
          s.write(Buffer.alloc(10));
          await sleep(100);
        }
      },
      false,
    );
    assert.match(answer, /^HTTP\/1\.1 401 /);
    assert.ok(ms < LIMITS.bodyGraceMs + 2000, `held ${ms} ms`);
  });

  it('HQ answers carry the CSP, X-Frame-Options and Referrer-Policy', async () => {
    for (const path of ['/', '/api/items', '/hq/v1/ops']) {
      const res = await fetch(new URL(path, url));
      await res.arrayBuffer();
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(res.headers.get('referrer-policy'), 'same-origin', path);
    }
  });
});
