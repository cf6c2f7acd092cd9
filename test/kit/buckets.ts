import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { azureContainer } from '../../src/adapters/azure-blob.js';
import { s3Client } from '../../src/adapters/s3.js';
import { silentLogger } from '../../src/adapters/logger.js';
import { sleep } from '../../src/adapters/sleep.js';
import type { Catalog } from '../../src/library/catalog/open.js';
import { UplinkRunner, type UplinkSettings, type UplinkStatus } from '../../src/uplink/runner.js';
import { AzureBackend } from '../../src/uplink/targets/azure-backend.js';
import type { BucketBackend } from '../../src/uplink/targets/bucket-backend.js';
import { BucketTarget } from '../../src/uplink/targets/bucket-target.js';
import { S3Backend } from '../../src/uplink/targets/s3-backend.js';
import type { TestAzurite } from './azurite.js';
import type { TestSwift } from './swift.js';

let made = 0;

/** A new, empty bucket on the test Swift, and S3 settings for it. */
export async function newS3Bucket(swift: TestSwift, prefix = 'outpost/') {
  const bucket = `station-${process.pid}-${++made}`;
  const settings = {
    endpoint: swift.endpoint,
    region: swift.region,
    accessKeyId: swift.accessKeyId,
    secretAccessKey: swift.secretAccessKey,
    bucket,
    prefix,
  };
  const admin = s3Client(settings);
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  admin.destroy();
  return settings;
}

/** A new, empty container on the test Azurite, and settings for it. */
export async function newAzureContainer(azurite: TestAzurite, prefix = 'outpost/') {
  const container = `station-${process.pid}-${++made}`;
  const settings = { connectionString: azurite.connectionString, container, prefix };
  await azureContainer(settings).create();
  return settings;
}

export async function s3Target(swift: TestSwift, stallTimeoutMs = 10_000) {
  const s = await newS3Bucket(swift);
  const backend = new S3Backend(s, { stallTimeoutMs });
  return { settings: s, backend, target: new BucketTarget(backend, s.prefix) };
}

export async function azureTarget(azurite: TestAzurite, stallTimeoutMs = 10_000) {
  const s = await newAzureContainer(azurite);
  const backend = new AzureBackend(s, { stallTimeoutMs });
  return { settings: s, backend, target: new BucketTarget(backend, s.prefix) };
}

/** The station's uplink runner against a bucket backend, with test settings (fast polls and backoff). */
export function bucketRunner(
  lib: { catalog: Catalog; drive: { layout: { root: string } } },
  backend: BucketBackend,
  o: { node: string; onStatus?: (s: UplinkStatus) => void; settings?: Partial<UplinkSettings> },
): { runner: UplinkRunner; target: BucketTarget } {
  const target = new BucketTarget(backend, 'outpost/');
  const runner = new UplinkRunner(
    {
      catalog: lib.catalog,
      driveRoot: lib.drive.layout.root,
      target,
      now: () => Date.now(),
      sleep,
      log: silentLogger,
      ...(o.onStatus ? { onStatus: o.onStatus } : {}),
    },
    { node: o.node, pollMs: 100, maxBackoffMs: 300, ...o.settings },
  );
  return { runner, target };
}
