import { z } from 'zod';

/** Object stores in the config: HQ's `hq.objects` and a station's `uplink.target`. */

/** S3 bucket names: 3–63 lower-case letters, digits, dots and hyphens. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Azure container names: 3–63 lower-case letters, digits and single hyphens. */
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

export const s3StoreSchema = z.strictObject({
  kind: z.literal('s3'),
  /** An S3-compatible store's URL; absent: AWS S3 in `region`. */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  region: z.string().min(1).default('us-east-1'),
  bucket: z.string().regex(BUCKET, 'an S3 bucket name: 3–63 lower-case letters, digits, dots and hyphens'),
  /** Keys start with this (`outpost/`): one bucket can hold other things too. */
  prefix: z.string().max(200).default(''),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
});

export const azureStoreSchema = z
  .strictObject({
    kind: z.literal('azure'),
    /** `DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…` (the portal's "Access keys"). */
    connectionString: z.string().min(1).optional(),
    /** Or the account's blob URL and a SAS token for the container. */
    accountUrl: z.url({ protocol: /^https?$/ }).optional(),
    sasToken: z.string().min(1).optional(),
    container: z
      .string()
      .regex(CONTAINER, 'an Azure container name: 3–63 lower-case letters, digits and single hyphens'),
    /** Blob names start with this (`outpost/`): one container can hold other things too. */
    prefix: z.string().max(200).default(''),
  })
  .superRefine((a, ctx) => {
    const withUrl = a.accountUrl !== undefined || a.sasToken !== undefined;
    if (a.connectionString !== undefined ? withUrl : !(a.accountUrl && a.sasToken))
      ctx.addIssue({
        code: 'custom',
        path: ['connectionString'],
        message: 'give either connectionString, or accountUrl and sasToken',
      });
  });
