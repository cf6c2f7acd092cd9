import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { s3Client } from '../../../src/adapters/s3.js';
import { isOutpostError, type ErrorCode } from '../../../src/core/errors.js';
import { S3ObjectStore, type S3StoreSettings } from '../../../src/hq/s3-store.js';
import { dropUploadHash, uploadHashAt } from '../../../src/library/catalog/upload-hashes.js';
import { outpost, startsAndServes } from '../../kit/cli.js';
import { originalMeta, randomBytesSeeded, sendFacts, sha256, startTestHq, tusUpload } from '../../kit/hq.js';
import { startTestSwift, type TestSwift } from '../../kit/swift.js';
import { objectStoreContract } from './object-store-contract.js';

/**
 * HQ's objects in S3, against a real S3 server (OpenStack Swift with s3api, started here): the
 * ObjectStore contract, then what is S3's own: content-addressed keys under a prefix, multipart
 * for large objects with nothing left half-made, and every way a store says no turned into an
 * error that says what to do.
 */
let swift: TestSwift;
let buckets = 0;

const settings = (bucket: string, extra: Partial<S3StoreSettings> = {}): S3StoreSettings => ({
  endpoint: swift.endpoint,
  region: swift.region,
  accessKeyId: swift.accessKeyId,
  secretAccessKey: swift.secretAccessKey,
  bucket,
  ...extra,
});

async function newBucket(): Promise<string> {
  const bucket = `outpost-test-${++buckets}`;
  await s3Client(settings(bucket)).send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

const rejectsWith = async (p: Promise<unknown>, code: ErrorCode, hint?: RegExp): Promise<void> => {
  await assert.rejects(p, (e) => {
    assert.ok(isOutpostError(e), String(e));
    assert.equal(e.code, code, `${e.message} ${String((e.cause as Error | undefined)?.name)}`);
    if (hint) assert.match(e.hint, hint);
    return true;
  });
};

before(async () => {
  swift = await startTestSwift();
});
after(async () => {
  await swift?.stop();
});

objectStoreContract('S3ObjectStore (OpenStack Swift s3api)', async () => ({
  store: new S3ObjectStore(settings(await newBucket(), { prefix: 'hq' })),
  cleanup: async () => undefined,
}));

describe('S3ObjectStore on a real S3 server', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-s3-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keys are <prefix>/objects/<h[0:2]>/<h>: the bucket alone is a content-addressed archive', async () => {
    const bucket = await newBucket();
    const store = new S3ObjectStore(settings(bucket, { prefix: 'programme-a/' }));
    const bytes = Buffer.from('a frame from a trail camera');
    const h = sha256(bytes);
    await writeFile(join(dir, 'one'), bytes);
    await store.putFile(h, join(dir, 'one'));
    const client = s3Client(settings(bucket));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    assert.deepEqual(
      listed.Contents?.map((o) => o.Key),
      [`programme-a/objects/${h.slice(0, 2)}/${h}`],
    );
    // Any S3 tool reads it back by that key.
    const got = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: `programme-a/objects/${h.slice(0, 2)}/${h}` }),
    );
    assert.equal(sha256(Buffer.from(await got.Body!.transformToByteArray())), h);
    // Another prefix in the same bucket is another store.
    assert.equal(await new S3ObjectStore(settings(bucket, { prefix: 'programme-b' })).has(h), false);
  });

  it('a large object goes up in parts, byte-exact, and leaves no multipart upload behind', async () => {
    const bucket = await newBucket();
    const store = new S3ObjectStore(settings(bucket, { partBytes: 5 * 1024 * 1024 }));
    const bytes = randomBytesSeeded(12 * 1024 * 1024 + 12_345, 7);
    const h = sha256(bytes);
    await writeFile(join(dir, 'big'), bytes);
    await store.putFile(h, join(dir, 'big'));
    assert.deepEqual(await store.stat(h), { size: bytes.length });
    const chunks: Buffer[] = [];
    for await (const c of await store.getStream(h)) chunks.push(c as Buffer);
    assert.equal(sha256(Buffer.concat(chunks)), h);
    const uploads = await s3Client(settings(bucket)).send(
      new ListMultipartUploadsCommand({ Bucket: bucket }),
    );
    assert.equal(uploads.Uploads?.length ?? 0, 0);
  });

  it('wrong credentials, a missing bucket and a store that is down each say what to do', async () => {
    const bucket = await newBucket();
    const h = sha256(Buffer.from('x'));
    await writeFile(join(dir, 'x'), 'x');
    await rejectsWith(
      new S3ObjectStore(settings(bucket, { secretAccessKey: 'not-the-key' })).putFile(h, join(dir, 'x')),
      'STORE_CREDENTIALS',
      /access key and secret/,
    );
    await rejectsWith(
      new S3ObjectStore(settings('no-such-bucket-here')).putFile(h, join(dir, 'x')),
      'STORE_BUCKET_MISSING',
      /Create the bucket/,
    );
    // A bucket over its quota: said as such, and nothing half-stored.
    const full = await newBucket();
    await swift.setQuota(full, 10_000);
    const big = randomBytesSeeded(20_000, 9);
    await writeFile(join(dir, 'big-for-quota'), big);
    const fullStore = new S3ObjectStore(settings(full));
    await rejectsWith(fullStore.putFile(sha256(big), join(dir, 'big-for-quota')), 'STORE_FULL', /quota/);
    assert.equal(await fullStore.has(sha256(big)), false);
    // A machine whose clock is two hours off signs requests the store refuses as too old: said
    // plainly; and the client then signs with the store's time, so the next put goes through.
    const skewed = s3Client(settings(bucket), { systemClockOffset: -2 * 3_600_000, maxAttempts: 1 });
    const offClock = new S3ObjectStore(settings(bucket), skewed);
    await rejectsWith(
      (async () => {
        for await (const _ of offClock.list()) break;
      })(),
      'STORE_CLOCK_SKEW',
      /set the clock/,
    );
    await offClock.putFile(h, join(dir, 'x'));
    assert.equal(await new S3ObjectStore(settings(bucket)).has(h), true);
    assert.equal(await new S3ObjectStore(settings(bucket)).delete(h), true);
    await swift.stopProxy();
    try {
      await rejectsWith(new S3ObjectStore(settings(bucket)).has(h), 'STORE_UNREACHABLE', /endpoint/);
    } finally {
      await swift.startProxy();
    }
    // Back up: the same store works again, nothing to reset.
    assert.equal(await new S3ObjectStore(settings(bucket)).has(h), false);
  });
});

describe('HQ with its objects in S3', () => {
  it('an upload from a station lands in the bucket under its content address, verified', async () => {
    const bucket = await newBucket();
    const store = new S3ObjectStore(settings(bucket, { prefix: 'hq/' }));
    const hq = await startTestHq({ store });
    try {
      const key = hq.key('camp-1');
      const bytes = randomBytesSeeded(700_000, 3);
      const h = sha256(bytes);
      await sendFacts(hq.url, key, [h]);
      await tusUpload({ baseUrl: hq.url, key, bytes, metadata: originalMeta(bytes), chunkSize: 256 * 1024 })
        .done;
      const got = await s3Client(settings(bucket)).send(
        new GetObjectCommand({ Bucket: bucket, Key: `hq/objects/${h.slice(0, 2)}/${h}` }),
      );
      assert.equal(sha256(Buffer.from(await got.Body!.transformToByteArray())), h);
      assert.equal(await store.has(h), true);
    } finally {
      await hq.close();
    }
  });

  it('an upload is written at its content address from its first part: completed there, nothing copied, nothing left', async () => {
    const bucket = await newBucket();
    const store = new S3ObjectStore(settings(bucket, { prefix: 'hq/' }));
    const hq = await startTestHq({ store });
    try {
      const key = hq.key('camp-1');
      // 9 MiB in 4 MiB requests: the first stays short of a part (kept as `.part`), then two parts.
      const bytes = randomBytesSeeded(9 * 1024 * 1024, 5);
      const h = sha256(bytes);
      await sendFacts(hq.url, key, [h]);
      await tusUpload({
        baseUrl: hq.url,
        key,
        bytes,
        metadata: originalMeta(bytes),
        chunkSize: 4 * 1024 * 1024,
      }).done;
      const client = s3Client(settings(bucket));
      const Key = `hq/objects/${h.slice(0, 2)}/${h}`;
      // The object is the multipart upload itself, completed from its two parts (Swift keeps it
      // as a large object of segments; a copy inside the store would be one plain object).
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
      assert.equal(head.ContentLength, bytes.length);
      assert.equal((await swift.swiftHeaders(bucket, Key))['x-static-large-object'], 'True');
      assert.equal(await store.has(h), true);
      // Nothing else in the bucket: no `.info`, no `.part`, no unfinished upload, no hash state.
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      assert.deepEqual(
        listed.Contents?.map((o) => o.Key),
        [Key],
      );
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      assert.equal(uploads.Uploads?.length ?? 0, 0);
    } finally {
      await hq.close();
    }
  });

  it('bytes that do not hash to their address are refused (460) and never take or leave an object there', async () => {
    const bucket = await newBucket();
    const store = new S3ObjectStore(settings(bucket, { prefix: 'hq/' }));
    const hq = await startTestHq({ store });
    const client = s3Client(settings(bucket));
    const keyOf = (h: string): string => `hq/objects/${h.slice(0, 2)}/${h}`;
    const damaged = (b: Buffer): Buffer => {
      const d = Buffer.from(b);
      d[d.length >> 1]! ^= 1;
      return d;
    };
    const leftovers = async (): Promise<string[]> => {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return [
        ...(listed.Contents ?? []).map((o) => o.Key!).filter((k) => !k.startsWith('hq/objects/')),
        ...(uploads.Uploads ?? []).map((u) => `multipart ${u.Key!}`),
      ];
    };
    try {
      const key = hq.key('camp-1');
      // 1. Nothing at the address yet: refused, and nothing is there after.
      const good = randomBytesSeeded(600_000, 21);
      const h = sha256(good);
      await sendFacts(hq.url, key, [h]);
      await assert.rejects(
        tusUpload({ baseUrl: hq.url, key, bytes: damaged(good), metadata: originalMeta(good) }).done,
        /460/,
      );
      assert.equal(await store.has(h), false);
      assert.deepEqual(await leftovers(), []);
      // 2. The object is there: damaged bytes for it are refused and the object is unchanged.
      await writeFile(join(hq.work, 'good'), good);
      await store.putFile(h, join(hq.work, 'good'));
      await assert.rejects(
        tusUpload({ baseUrl: hq.url, key, bytes: damaged(good), metadata: originalMeta(good) }).done,
        /460/,
      );
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(h) }));
      assert.equal(sha256(Buffer.from(await got.Body!.transformToByteArray())), h);
      assert.deepEqual(await leftovers(), []);
      // 3. The hash state lost mid-upload (a node died): completed unhashed, read back, found
      //    wrong, deleted from the address, refused.
      const good3 = randomBytesSeeded(600_000, 22);
      const h3 = sha256(good3);
      await sendFacts(hq.url, key, [h3]);
      const bad3 = damaged(good3);
      const headers = { authorization: `Bearer ${key}`, 'tus-resumable': '1.0.0' };
      const meta = Object.entries(originalMeta(good3))
        .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
        .join(',');
      const created = await fetch(`${hq.url}/hq/v1/uploads/`, {
        method: 'POST',
        headers: { ...headers, 'upload-length': String(bad3.length), 'upload-metadata': meta },
      });
      assert.equal(created.status, 201, await created.text());
      const url = new URL(created.headers.get('location')!, hq.url).href;
      const id = url.split('/').pop()!;
      assert.ok(id.startsWith(`${h3}-`), id);
      const patch = (from: number, to: number): Promise<Response> =>
        fetch(url, {
          method: 'PATCH',
          headers: {
            ...headers,
            'upload-offset': String(from),
            'content-type': 'application/offset+octet-stream',
          },
          body: bad3.subarray(from, to),
        });
      assert.equal((await patch(0, 300_000)).status, 204);
      assert.ok(await uploadHashAt(hq.catalog, id, 300_000), 'hash state kept after the first request');
      await dropUploadHash(hq.catalog, id);
      const last = await patch(300_000, bad3.length);
      const body = await last.text();
      assert.equal(last.status, 460, body);
      assert.match(body, /CHECKSUM_MISMATCH/);
      assert.equal(await store.has(h3), false, 'wrong bytes deleted from the address');
      assert.deepEqual(await leftovers(), []);
    } finally {
      await hq.close();
    }
  });

  it('`outpost hq` checks the bucket at start: a wrong one stops it with what to do; a right one serves', async () => {
    const bucket = await newBucket();
    const work = await mkdtemp(join(tmpdir(), 'outpost-hq-s3-'));
    const config = (b: string, secret = swift.secretAccessKey): string =>
      [
        'hq:',
        '  objects:',
        '    kind: s3',
        `    endpoint: ${swift.endpoint}`,
        `    bucket: ${b}`,
        `    accessKeyId: "${swift.accessKeyId}"`,
        `    secretAccessKey: "${secret}"`,
        '',
      ].join('\n');
    try {
      const cfg = join(work, 'config.yaml');
      const env = { OUTPOST_CONFIG: cfg };
      for (const [text, code, hint] of [
        [config('no-such-bucket-here'), 'STORE_BUCKET_MISSING', /Create the bucket/],
        [config(bucket, 'wrong-secret'), 'STORE_CREDENTIALS', /access key and secret/],
      ] as const) {
        await writeFile(cfg, text);
        const r = await outpost(['hq', '--data', join(work, 'hq'), '--port', '0'], {
          env,
          timeoutMs: 60_000,
        });
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, new RegExp(`\\[${code}\\]`));
        assert.match(r.stderr, hint);
      }
      await writeFile(cfg, config(bucket));
      await startsAndServes(
        ['hq', '--data', join(work, 'hq'), '--port', '0'],
        env,
        /outpost hq listening on/,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
