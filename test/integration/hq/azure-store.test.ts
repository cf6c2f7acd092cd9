import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { azureContainer } from '../../../src/adapters/azure-blob.js';
import { isOutpostError, type ErrorCode } from '../../../src/core/errors.js';
import { AzureBlobStore, type AzureStoreSettings } from '../../../src/hq/azure-store.js';
import { outpost, startsAndServes } from '../../kit/cli.js';
import { originalMeta, randomBytesSeeded, sendFacts, sha256, startTestHq, tusUpload } from '../../kit/hq.js';
import { startTestAzurite, type TestAzurite } from '../../kit/azurite.js';
import { objectStoreContract } from './object-store-contract.js';

/**
 * HQ's objects in Azure Blob, against Azurite (Microsoft's emulator, started here): the
 * ObjectStore contract, then the container layout, block uploads of large objects, and every way
 * the store says no turned into an error that says what to do.
 */
let azurite: TestAzurite;
let containers = 0;

const settings = (container: string, extra: Partial<AzureStoreSettings> = {}): AzureStoreSettings =>
  ({ connectionString: azurite.connectionString, container, ...extra }) as AzureStoreSettings;

async function newContainer(): Promise<string> {
  const name = `outpost-test-${++containers}`;
  await azureContainer(settings(name)).create();
  return name;
}

const rejectsWith = async (p: Promise<unknown>, code: ErrorCode, hint?: RegExp): Promise<void> => {
  await assert.rejects(p, (e) => {
    assert.ok(isOutpostError(e), String(e));
    assert.equal(e.code, code, e.message);
    if (hint) assert.match(e.hint, hint);
    return true;
  });
};

before(async () => {
  azurite = await startTestAzurite();
});
after(async () => {
  await azurite?.stop();
});

objectStoreContract('AzureBlobStore (Azurite)', async () => ({
  store: new AzureBlobStore(settings(await newContainer(), { prefix: 'hq' })),
  cleanup: async () => undefined,
}));

describe('AzureBlobStore on Azurite', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-azure-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('blobs are <prefix>/objects/<h[0:2]>/<h>; a large object goes up in blocks, byte-exact', async () => {
    const container = await newContainer();
    const store = new AzureBlobStore(settings(container, { prefix: 'programme-a/' }));
    const bytes = randomBytesSeeded(20 * 1024 * 1024 + 777, 5);
    const h = sha256(bytes);
    await writeFile(join(dir, 'big'), bytes);
    await store.putFile(h, join(dir, 'big'));
    const names: string[] = [];
    for await (const b of azureContainer(settings(container)).listBlobsFlat()) names.push(b.name);
    assert.deepEqual(names, [`programme-a/objects/${h.slice(0, 2)}/${h}`]);
    // Any Azure tool reads it back by that name.
    const got = await azureContainer(settings(container)).getBlobClient(names[0]!).downloadToBuffer();
    assert.equal(sha256(got), h);
    assert.equal(await new AzureBlobStore(settings(container, { prefix: 'programme-b' })).has(h), false);
    // No uncommitted blocks left behind.
    const blocks = await azureContainer(settings(container))
      .getBlockBlobClient(names[0]!)
      .getBlockList('uncommitted');
    assert.equal(blocks.uncommittedBlocks?.length ?? 0, 0);
  });

  it('a wrong key, a missing container and a store that is down each say what to do', async () => {
    const container = await newContainer();
    const h = sha256(Buffer.from('x'));
    await writeFile(join(dir, 'x'), 'x');
    const wrongKey = azurite.connectionString.replace(
      /AccountKey=[^;]+/,
      `AccountKey=${Buffer.alloc(64, 7).toString('base64')}`,
    );
    await rejectsWith(
      new AzureBlobStore({ connectionString: wrongKey, container }).putFile(h, join(dir, 'x')),
      'STORE_CREDENTIALS',
      /connection string or SAS token/,
    );
    await rejectsWith(
      new AzureBlobStore(settings('no-such-container')).check(),
      'STORE_BUCKET_MISSING',
      /container/,
    );
    await azurite.stopServer();
    try {
      await rejectsWith(new AzureBlobStore(settings(container)).has(h), 'STORE_UNREACHABLE', /endpoint/);
    } finally {
      await azurite.startServer();
    }
    assert.equal(await new AzureBlobStore(settings(container)).has(h), false);
  });
});

describe('HQ with its objects in Azure Blob', () => {
  it('an upload from a station lands in the container under its content address', async () => {
    const container = await newContainer();
    const store = new AzureBlobStore(settings(container, { prefix: 'hq/' }));
    const hq = await startTestHq({ store });
    try {
      const key = hq.key('camp-2');
      const bytes = randomBytesSeeded(600_000, 4);
      const h = sha256(bytes);
      await sendFacts(hq.url, key, [h]);
      await tusUpload({ baseUrl: hq.url, key, bytes, metadata: originalMeta(bytes), chunkSize: 200_000 })
        .done;
      const got = await azureContainer(settings(container))
        .getBlobClient(`hq/objects/${h.slice(0, 2)}/${h}`)
        .downloadToBuffer();
      assert.equal(sha256(got), h);
    } finally {
      await hq.close();
    }
  });

  it('`outpost hq` checks the container at start: a missing one stops it; a present one serves', async () => {
    const container = await newContainer();
    const work = await mkdtemp(join(tmpdir(), 'outpost-hq-azure-'));
    const config = (c: string): string =>
      [
        'hq:',
        '  objects:',
        '    kind: azure',
        `    connectionString: "${azurite.connectionString}"`,
        `    container: ${c}`,
        '',
      ].join('\n');
    try {
      const cfg = join(work, 'config.yaml');
      const env = { OUTPOST_CONFIG: cfg };
      await writeFile(cfg, config('no-such-container'));
      const r = await outpost(['hq', '--data', join(work, 'hq'), '--port', '0'], { env, timeoutMs: 60_000 });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /\[STORE_BUCKET_MISSING\]/);
      assert.match(r.stderr, /Create the bucket \(S3\) or container \(Azure\)/);
      await writeFile(cfg, config(container));
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
