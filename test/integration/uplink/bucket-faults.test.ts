import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { s3Client } from '../../../src/adapters/s3.js';
import { sleep } from '../../../src/adapters/sleep.js';
import { originalKey } from '../../../src/core/bucket-layout.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';
import type { UplinkStatus } from '../../../src/uplink/runner.js';
import { AzureBackend } from '../../../src/uplink/targets/azure-backend.js';
import type { BucketBackend } from '../../../src/uplink/targets/bucket-backend.js';
import { S3Backend } from '../../../src/uplink/targets/s3-backend.js';
import { startTestAzurite, type TestAzurite } from '../../kit/azurite.js';
import { bucketRunner, newAzureContainer, newS3Bucket } from '../../kit/buckets.js';
import { json, outpost, spawnOutpost } from '../../kit/cli.js';
import { mbit, startFlakyProxy } from '../../kit/flaky-proxy.js';
import { startTestSwift, type TestSwift } from '../../kit/swift.js';
import { addRawItem } from '../../kit/uplink.js';
import { emptyLibrary, NODE } from '../server/library.js';

type Lib = Awaited<ReturnType<typeof emptyLibrary>>;
const MiB = 1024 * 1024;

async function runOnce(
  lib: Lib,
  backend: BucketBackend,
): Promise<{ final: UplinkStatus; seen: UplinkStatus[] }> {
  const seen: UplinkStatus[] = [];
  const { runner } = bucketRunner(lib, backend, {
    node: NODE,
    onStatus: (s) => seen.push(s),
    settings: { maxBackoffMs: 200 },
  });
  const final = await runner.run(new AbortController().signal, { once: true });
  return { final, seen };
}

const doneCount = (lib: Lib): number =>
  (
    sqliteOf(lib.catalog)
      .prepare("select count(*) as n from uplink_transfers where state = 'done'")
      .get() as { n: number }
  ).n;

function s3Config(
  dir: string,
  s: { endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string },
): string {
  const file = join(dir, `uplink-${s.bucket}.yaml`);
  writeFileSync(
    file,
    [
      `node: ${NODE}`,
      'log: { level: warn }',
      'uplink:',
      '  stallTimeoutSeconds: 5',
      '  target:',
      '    kind: s3',
      `    endpoint: ${s.endpoint}`,
      `    region: ${s.region}`,
      `    bucket: ${s.bucket}`,
      '    prefix: outpost/',
      `    accessKeyId: "${s.accessKeyId}"`,
      `    secretAccessKey: "${s.secretAccessKey}"`,
      '',
    ].join('\n'),
  );
  return file;
}

async function bytesOf(s: Readable | undefined): Promise<Buffer | undefined> {
  if (!s) return undefined;
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/**
 * What goes wrong with a bucket, as a station sees it: a clear error (in the status, the log and
 * `outpost uplink-status`), nothing marked sent, nothing lost, and it goes on once fixed; and a
 * station killed mid-part resumes from the store's part list.
 */
describe(
  'station → bucket: bad credentials, a missing bucket, a full quota, a kill',
  { timeout: 300_000 },
  () => {
    let swift: TestSwift;
    let azurite: TestAzurite;
    before(async () => {
      swift = await startTestSwift();
      azurite = await startTestAzurite();
    });
    after(async () => {
      await swift?.stop();
      await azurite?.stop();
    });

    it('wrong S3 credentials: auth-failed, STORE_CREDENTIALS with what to do, kept for uplink-status', async () => {
      const lib = await emptyLibrary();
      try {
        await addRawItem(lib.catalog, lib.drive.layout.root, { size: 50_000, type: 'photo', ext: 'jpg' });
        const s = await newS3Bucket(swift);
        const { final } = await runOnce(lib, new S3Backend({ ...s, secretAccessKey: 'wrong' }));
        assert.equal(final.state === 'stopped' ? 'auth-failed' : final.state, 'auth-failed');
        assert.match(final.lastError?.message ?? '', /STORE_CREDENTIALS/);
        assert.match(final.lastError?.message ?? '', /credentials/i);
        assert.equal(doneCount(lib), 0, 'nothing marked sent');
        const cfg = s3Config(join(lib.drive.layout.root, '..'), { ...s, secretAccessKey: 'wrong' });
        await lib.catalog.close();
        const st = await outpost(['uplink-status', '--library', lib.drive.layout.root, '--json', '-c', cfg]);
        assert.equal(st.code, 0, st.stderr);
        const j = json<{ target: string; lastError: { message: string } | null }>(st);
        assert.equal(j.target, `s3://${s.bucket}/outpost/`);
        assert.match(j.lastError?.message ?? '', /STORE_CREDENTIALS/);
        // Fixed credentials: it goes, and the kept error is cleared.
        const fixed = s3Config(join(lib.drive.layout.root, '..'), s);
        const r = await outpost([
          'uplink',
          '--once',
          '--library',
          lib.drive.layout.root,
          '--json',
          '-c',
          fixed,
        ]);
        assert.equal(r.code, 0, r.stderr + r.stdout);
        const st2 = json<{ lastError: unknown }>(
          await outpost(['uplink-status', '--library', lib.drive.layout.root, '--json', '-c', fixed]),
        );
        assert.equal(st2.lastError, null);
      } finally {
        await lib.close().catch(() => undefined);
      }
    });

    it('a bucket or container that does not exist: STORE_BUCKET_MISSING, nothing marked sent', async () => {
      const lib = await emptyLibrary();
      try {
        await addRawItem(lib.catalog, lib.drive.layout.root, { size: 40_000, type: 'photo', ext: 'jpg' });
        const s = await newS3Bucket(swift);
        const r1 = await runOnce(lib, new S3Backend({ ...s, bucket: 'no-such-bucket-here' }));
        assert.match(r1.final.lastError?.message ?? '', /STORE_BUCKET_MISSING/);
        const a = await newAzureContainer(azurite);
        const r2 = await runOnce(lib, new AzureBackend({ ...a, container: 'no-such-container' }));
        assert.match(r2.final.lastError?.message ?? '', /STORE_BUCKET_MISSING/);
        const r3 = await runOnce(
          lib,
          new AzureBackend({
            ...a,
            connectionString: a.connectionString.replace(
              /AccountKey=[^;]+/,
              `AccountKey=${Buffer.from('wrong key').toString('base64')}`,
            ),
          }),
        );
        assert.match(r3.final.lastError?.message ?? '', /STORE_CREDENTIALS/);
        assert.equal(doneCount(lib), 0);
      } finally {
        await lib.close();
      }
    });

    it('a station clock 2 h wrong: uploads go on (signed with the store’s time) and the status says the clock is wrong', async () => {
      const lib = await emptyLibrary();
      try {
        const photo = await addRawItem(lib.catalog, lib.drive.layout.root, {
          size: 60_000,
          type: 'photo',
          ext: 'jpg',
        });
        const s = await newS3Bucket(swift);
        const skewed = new S3Backend(s, { client: s3Client(s, { systemClockOffset: -2 * 3600_000 }) });
        const { runner } = bucketRunner(lib, skewed, { node: NODE, settings: { maxBackoffMs: 200 } });
        const abort = new AbortController();
        const running = runner.run(abort.signal);
        const end = Date.now() + 30_000;
        while (doneCount(lib) === 0 && Date.now() < end) await sleep(100);
        await sleep(300);
        abort.abort();
        const final = await running;
        assert.equal(doneCount(lib), 1, JSON.stringify(final.lastError));
        assert.match(final.lastError?.message ?? '', /STORE_CLOCK_SKEW/);
        assert.match(final.lastError?.message ?? '', /behind by about 2 h/);
        const direct = new S3Backend(s);
        assert.deepEqual(
          await bytesOf(await direct.getStream(originalKey('outpost/', photo.id))),
          photo.bytes,
        );
        direct.close();
      } finally {
        await lib.close();
      }
    });

    it('a full quota: STORE_FULL, retried, nothing lost; once raised, everything arrives', async () => {
      const lib = await emptyLibrary();
      try {
        const photo = await addRawItem(lib.catalog, lib.drive.layout.root, {
          size: 300_000,
          type: 'photo',
          ext: 'jpg',
        });
        const s = await newS3Bucket(swift);
        await swift.setQuota(s.bucket, 100_000);
        const r1 = await runOnce(lib, new S3Backend(s));
        assert.equal(r1.final.pendingBytes, photo.bytes.length);
        assert.ok(
          r1.seen.some((x) => x.state === 'hq-error'),
          'the status says the target has a problem',
        );
        assert.match(r1.final.lastError?.message ?? '', /STORE_FULL/);
        assert.equal(doneCount(lib), 0);
        await swift.setQuota(s.bucket, 100 * MiB);
        const direct = new S3Backend(s);
        const r2 = await runOnce(lib, direct);
        assert.equal(r2.final.pendingBytes, 0, JSON.stringify(r2.final.lastError));
        const got = await bytesOf(await direct.getStream(originalKey('outpost/', photo.id)));
        assert.deepEqual(got, photo.bytes);
        direct.close();
      } finally {
        await lib.close();
      }
    });

    it('`outpost uplink` killed (SIGKILL) mid-video: the next run resumes from the store’s parts, byte-exact, nothing unfinished', async () => {
      const lib = await emptyLibrary();
      const proxy = await startFlakyProxy({
        target: { host: '127.0.0.1', port: Number(new URL(swift.endpoint).port) },
        rateBitsPerSec: mbit(12),
      });
      try {
        const video = await addRawItem(lib.catalog, lib.drive.layout.root, {
          size: 16 * MiB + 777,
          type: 'video',
          ext: 'mp4',
        });
        const s = await newS3Bucket(swift);
        const cfg = s3Config(join(lib.drive.layout.root, '..'), {
          ...s,
          endpoint: `http://127.0.0.1:${proxy.port}`,
        });
        await lib.catalog.close();
        const child = spawnOutpost(['uplink', '--library', lib.drive.layout.root, '-c', cfg]);
        let stderr = '';
        child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
        const peek = new Database(lib.drive.layout.catalog, { readonly: true });
        const offset = (): number =>
          (
            peek
              .prepare("select offset from uplink_transfers where item = ? and rendition = 'original'")
              .get(video.id) as { offset: number } | undefined
          )?.offset ?? 0;
        const end = Date.now() + 90_000;
        while (offset() < 5 * MiB) {
          if (Date.now() > end || child.exitCode !== null) throw new Error(`no part confirmed: ${stderr}`);
          await sleep(100);
        }
        // Kill it in the middle of the next part.
        await sleep(1500);
        child.kill('SIGKILL');
        await new Promise((r) => child.once('close', r));
        const atKill = offset();
        peek.close();
        assert.ok(atKill > 0 && atKill < video.bytes.length, `killed mid-upload at ${atKill}`);
        const r = await outpost([
          'uplink',
          '--once',
          '--library',
          lib.drive.layout.root,
          '--json',
          '-c',
          cfg,
        ]);
        assert.equal(r.code, 0, r.stderr + r.stdout);
        const summary = json<{ pendingBytes: number; sentBytes: number }>(r);
        assert.equal(summary.pendingBytes, 0);
        // Only what the store did not hold was sent again: the rest of the video, not all of it.
        assert.ok(
          summary.sentBytes <= video.bytes.length - atKill + 64 * 1024,
          `sent ${summary.sentBytes} after a kill at ${atKill}`,
        );
        const direct = new S3Backend(s);
        const got = await bytesOf(await direct.getStream(originalKey('outpost/', video.id)));
        assert.equal(createHash('sha256').update(got!).digest('hex'), video.id);
        assert.deepEqual(await direct.unfinished(), [], 'no multipart upload left behind');
        direct.close();
      } finally {
        await proxy.close();
        await lib.close().catch(() => undefined);
      }
    });
  },
);
