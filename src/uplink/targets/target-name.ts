import type { S3Settings } from '../../adapters/s3.js';
import { normalPrefix } from '../../core/bucket-layout.js';

/** `uplink.target` when it is a bucket (config/stores.ts, as parsed). */
export type BucketTargetConfig =
  | ({ kind: 's3'; prefix: string } & Omit<S3Settings, 'endpoint'> & { endpoint?: string | undefined })
  | {
      kind: 'azure';
      prefix: string;
      container: string;
      connectionString?: string | undefined;
      accountUrl?: string | undefined;
      sasToken?: string | undefined;
    };

export type UplinkTargetConfig = { kind: 'hq' } | BucketTargetConfig;

/**
 * The name the uplink journals transfers under (and shows as its target): `hq`, or the bucket's
 * `s3://bucket/prefix`, `azure://container/prefix` (the backends' `where`).
 */
export function uplinkTargetName(c: UplinkTargetConfig): string {
  if (c.kind === 'hq') return 'hq';
  return `${c.kind}://${c.kind === 's3' ? c.bucket : c.container}/${normalPrefix(c.prefix)}`;
}
