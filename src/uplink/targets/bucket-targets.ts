import type { AzureSettings } from '../../adapters/azure-blob.js';
import { normalPrefix } from '../../core/bucket-layout.js';
import type { BucketTargetConfig } from './target-name.js';
import { AzureBackend } from './azure-backend.js';
import { BucketTarget } from './bucket-target.js';
import { S3Backend } from './s3-backend.js';

/** A station's bucket target as configured: S3 or Azure behind the one BucketTarget. */
export function bucketTarget(c: BucketTargetConfig, stallTimeoutMs: number): BucketTarget {
  const prefix = normalPrefix(c.prefix);
  if (c.kind === 's3') return new BucketTarget(new S3Backend({ ...c, prefix }, { stallTimeoutMs }), prefix);
  const account: AzureSettings = c.connectionString
    ? { container: c.container, connectionString: c.connectionString }
    : { container: c.container, accountUrl: c.accountUrl!, sasToken: c.sasToken! };
  return new BucketTarget(new AzureBackend({ ...account, prefix }, { stallTimeoutMs }), prefix);
}
