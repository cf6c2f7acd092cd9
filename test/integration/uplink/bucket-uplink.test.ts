import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../../../src/adapters/sleep.js';
import { itemDocKey, originalKey, parseItemDoc } from '../../../src/core/bucket-layout.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';
import { recordLocalOps } from '../../../src/library/catalog/ops.js';
import { AzureBackend } from '../../../src/uplink/targets/azure-backend.js';
import type { BucketBackend } from '../../../src/uplink/targets/bucket-backend.js';
import { S3Backend } from '../../../src/uplink/targets/s3-backend.js';
import { startTestAzurite, type TestAzurite } from '../../kit/azurite.js';
import { bucketRunner, newAzureContainer, newS3Bucket } from '../../kit/buckets.js';
import { mbit, startFlakyProxy, type FlakyProxy } from '../../kit/flaky-proxy.js';
import { addRawItem } from '../../kit/uplink.js';
import { startTestSwift, type TestSwift } from '../../kit/swift.js';
import { emptyLibrary, NODE } from '../server/library.js';

type Lib = Awaited<ReturnType<typeof emptyLibrary>>;
const MiB = 1024 * 1024;

async function bytesOf(s: Readable | undefined): Promise<Buffer | undefined> {
  if (!s) return undefined;
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function waitFor(cond: () => boolean, ms: number, what: string, state?: () => unknown): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${state ? `: ${JSON.stringify(state())}` : ''}`);
    await sleep(50);
  }
}

const openTransfers = (lib: Lib): number =>
  (
    sqliteOf(lib.catalog)
      .prepare("select count(*) as n from uplink_transfers where state <> 'done'")
      .get() as {
      n: number;
    }
  ).n;

const runner = (lib: Lib, backend: BucketBackend) =>
  bucketRunner(lib, backend, { node: NODE, settings: { chunk: { targetSeconds: 1 } } });

interface Store {
  name: string;
  /** A backend for a new, empty bucket reached at `port` (the proxy's) or the store's own. */
  backend(viaPort?: number): Promise<{ backend: BucketBackend; direct: BucketBackend }>;
  port(): number;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

let swift: TestSwift | undefined;
let azurite: TestAzurite | undefined;

const stores: Store[] = [
  {
    name: 'S3 (Swift s3api)',
    async backend(viaPort) {
      swift ??= await startTestSwift();
      const s = await newS3Bucket(swift);
      const endpoint = viaPort ? `http://127.0.0.1:${viaPort}` : s.endpoint;
      return {
        backend: new S3Backend({ ...s, endpoint }, { stallTimeoutMs: 5000 }),
        direct: new S3Backend(s),
      };
    },
    port: () => Number(new URL(swift!.endpoint).port),
    restart: async () => {
      await swift!.stopProxy();
      await sleep(1500);
      await swift!.startProxy();
    },
    stop: async () => {
      await swift?.stop();
    },
  },
  {
    name: 'Azure (Azurite)',
    async backend(viaPort) {
      azurite ??= await startTestAzurite();
      const s = await newAzureContainer(azurite);
      const via = viaPort
        ? {
            ...s,
            connectionString: s.connectionString.replace(
              /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/,
              `BlobEndpoint=http://127.0.0.1:${viaPort}`,
            ),
          }
        : s;
      return { backend: new AzureBackend(via, { stallTimeoutMs: 5000 }), direct: new AzureBackend(s) };
    },
    port: () => Number(new URL(azurite!.blobEndpoint).port),
    restart: async () => {
      await azurite!.stopServer();
      await sleep(1500);
      await azurite!.startServer();
    },
    stop: async () => {
      await azurite?.stop();
    },
  },
];

for (const store of stores)
  describe(`station → ${store.name} straight, over a flaky link`, { timeout: 300_000 }, () => {
    let lib: Lib;
    let proxy: FlakyProxy;
    before(async () => {
      lib = await emptyLibrary();
    });
    after(async () => {
      await proxy?.close();
      await lib?.close();
      await store.stop();
    });

    it('cuts, a restart of the station and of the store: every object byte-exact, once, nothing left unfinished', async () => {
      const video = await addRawItem(lib.catalog, lib.drive.layout.root, {
        size: 13 * MiB + 12345,
        type: 'video',
        ext: 'mp4',
      });
      const photos = [];
      for (let i = 0; i < 3; i++)
        photos.push(
          await addRawItem(lib.catalog, lib.drive.layout.root, {
            size: 300_000 + i,
            type: 'photo',
            ext: 'jpg',
          }),
        );
      // The video is a camera segment: the bucket keeps a timeline entry for it.
      sqliteOf(lib.catalog)
        .prepare(
          "update items set card_id = 'cam:gate', captured_at = '2026-12-05T10:00:00.000Z', duration_s = 10 where id = ?",
        )
        .run(video.id);
      await recordLocalOps(
        lib.catalog,
        [{ entity: 'item', id: photos[0]!.id, field: 'rating', value: 5 }],
        NODE,
        Date.now(),
      );

      const { direct: probe } = await store.backend();
      probe.close();
      proxy = await startFlakyProxy({
        target: { host: '127.0.0.1', port: store.port() },
        rateBitsPerSec: mbit(8),
        latencyMs: 5,
      });
      const { backend, direct } = await store.backend(proxy.port);

      // 1. Run until the video has a part or two at the store, then "kill" the station: a new
      //    runner and target with nothing in memory, only the journal on the drive.
      const first = runner(lib, backend);
      const abort1 = new AbortController();
      const run1 = first.runner.run(abort1.signal);
      await waitFor(
        () => {
          const row = sqliteOf(lib.catalog)
            .prepare("select offset from uplink_transfers where item = ? and rendition = 'original'")
            .get(video.id) as { offset: number } | undefined;
          return (row?.offset ?? 0) >= 5 * MiB;
        },
        60_000,
        'a part of the video at the store',
        () => first.runner.status(),
      );
      abort1.abort();
      const s1 = await run1;

      // 2. Go on with three cuts and the store going away once, all while bytes are still to go
      //    (~15 s of this link); after the last, nothing more (a 5 MiB part needs 5.2 s of it:
      //    cuts that close forever would starve S3, whose parts are whole or nothing).
      const second = runner(lib, backend);
      const abort2 = new AbortController();
      const run2 = second.runner.run(abort2.signal);
      const stopCuts = proxy.scheduleCuts([1200, 5000, 9000]);
      await sleep(3500);
      await store.restart();
      try {
        await waitFor(
          () => openTransfers(lib) === 0,
          180_000,
          'everything at the store',
          () => ({
            uplink: second.runner.status(),
            proxy: proxy.stats(),
          }),
        );
      } finally {
        stopCuts();
        abort2.abort();
      }
      const s2 = await run2;
      first.target.close();
      second.target.close();

      // Every original byte-exact under its content address, read straight from the store.
      for (const x of [video, ...photos]) {
        const got = await bytesOf(await direct.getStream(originalKey('outpost/', x.id)));
        assert.ok(got, `${x.id} is in the bucket`);
        assert.equal(createHash('sha256').update(got).digest('hex'), x.id);
      }
      // Each object once: one key per original, no stray keys under objects/.
      const objectKeys: string[] = [];
      for await (const o of direct.list('outpost/objects/')) objectKeys.push(o.key);
      assert.deepEqual(
        objectKeys.sort(),
        [video, ...photos].map((x) => originalKey('outpost/', x.id)).sort(),
      );
      // Resumed, not restarted: the first runner's parts were not sent again in full.
      const total = video.bytes.length + photos.reduce((n, p) => n + p.bytes.length, 0);
      const sent = s1.sentBytes + s2.sentBytes;
      const cuts = proxy.stats().cuts;
      // Each cut, the store's restart and the station's restart lose at most the part on the wire.
      const part = Math.max(backend.parts.minBytes, 2 * MiB);
      assert.ok(sent <= total + (cuts + 2) * part + MiB, `sent ${sent} for ${total} over ${cuts} cuts`);
      if (process.env.DBG) console.log({ sent, total, cuts, s1: s1.sentBytes, resent: s2.resentBytes });
      assert.ok(
        proxy.stats().connectionsCut >= 2,
        `the link was cut mid-transfer (${JSON.stringify(proxy.stats())})`,
      );
      // The item's facts and the rating are in its JSON beside the bytes.
      const doc = parseItemDoc(
        (await bytesOf(await direct.getStream(itemDocKey('outpost/', photos[0]!.id))))!.toString('utf8'),
        photos[0]!.id,
      );
      assert.equal(doc?.attributes.rating?.value, 5);
      assert.equal(doc?.facts?.size, photos[0]!.bytes.length);
      // The camera segment is on its camera's timeline, by its start time.
      const timeline: string[] = [];
      for await (const o of direct.list('outpost/recordings/gate/2026-12-05/')) timeline.push(o.key);
      assert.deepEqual(timeline, [`outpost/recordings/gate/2026-12-05/20261205T100000000Z_${video.id}.json`]);
      // Nothing unfinished left to pay for.
      assert.deepEqual(await direct.unfinished(), []);
      // The local originals are untouched.
      for (const x of [video, ...photos])
        assert.deepEqual(readFileSync(join(lib.drive.layout.root, x.path)), x.bytes);
      direct.close();
    });
  });
