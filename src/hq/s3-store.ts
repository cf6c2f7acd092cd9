import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isS3NotFound, s3Client, s3Error, s3Status, type S3Settings } from '../adapters/s3.js';
import { OutpostError } from '../core/errors.js';
import {
  checkObjectKey,
  objectNotFound,
  type ObjectStore,
  type UploadHashBook,
  type UploadStaging,
} from './object-store.js';
import { s3UploadStaging } from './s3-upload-staging.js';
import { SHA256_RE } from './upload-metadata.js';

export interface S3StoreSettings extends S3Settings {
  /** Key prefix inside the bucket (`outpost/`), so one bucket can hold other things too. */
  prefix?: string | undefined;
  /** Objects larger than this go up in parts of this size (S3's minimum part is 5 MiB). */
  partBytes?: number | undefined;
}

const DEFAULT_PART = 64 * 1024 * 1024;
const MIN_PART = 5 * 1024 * 1024;

/**
 * A file's bytes (or a range of them) on their way to the store, MD5-hashed as they pass: a
 * PutObject's or UploadPart's ETag is the MD5 of what the store received (AWS and Swift alike, for
 * unencrypted objects), so comparing them proves the bytes arrived whole, at no extra read.
 */
function hashedRead(path: string, range?: { start: number; end: number }): { body: Readable; md5(): string } {
  const h = createHash('md5');
  const body = createReadStream(path, range).pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        h.update(chunk);
        done(null, chunk);
      },
    }),
  );
  return { body, md5: () => h.digest('hex') };
}

/** The store's ETag is the MD5 we sent (quotes stripped); anything else is a damaged transfer. */
function checkEtag(etag: string | undefined, md5: string, what: string): void {
  const got = (etag ?? '').replace(/"/g, '').toLowerCase();
  if (got !== md5)
    throw new OutpostError(
      'CHECKSUM_MISMATCH',
      `${what}: the store received other bytes than were sent (ETag ${got || 'none'}, MD5 ${md5})`,
    );
}

/**
 * HQ's objects in an S3 bucket (AWS, or any S3-compatible store: OpenStack Swift in the tests):
 * `<prefix>objects/<h[0:2]>/<h>`, the same content address as on local disk, so the bucket alone
 * is an archive any S3 tool can read. A put is one PutObject, or a multipart upload for large
 * objects (completed or aborted: none is left half-made); readers see a whole object or none.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partBytes: number;
  private staging: UploadStaging | undefined;

  constructor(
    private readonly settings: S3StoreSettings,
    client: S3Client = s3Client(settings),
  ) {
    this.client = client;
    this.bucket = settings.bucket;
    const p = settings.prefix ?? '';
    this.prefix = p === '' || p.endsWith('/') ? p : `${p}/`;
    this.partBytes = Math.max(MIN_PART, settings.partBytes ?? DEFAULT_PART);
  }

  /** tus uploads in the bucket (s3-upload-staging.ts): several HQ nodes share them. */
  uploadStaging(hashes?: UploadHashBook): UploadStaging {
    this.staging ??= s3UploadStaging(this.settings, this.client, (sha) => this.keyOf(sha), hashes);
    return this.staging;
  }

  private keyOf(sha256: string): string {
    checkObjectKey(sha256);
    return `${this.prefix}objects/${sha256.slice(0, 2)}/${sha256}`;
  }

  private fail(e: unknown, what: string): never {
    throw s3Error(e, what, this.bucket);
  }

  /**
   * A HEAD that failed with 403 has no body, so no reason: a wrong key and a wrong clock look the
   * same. Ask once with a GET (a one-key listing), whose error names the reason, and fail with it.
   * When the GET works, the SDK has meanwhile learnt the store's time from its answer (it signs
   * with that offset from then on): the HEAD is tried once more.
   */
  private async headOr403<T>(head: () => Promise<T>, what: string): Promise<T> {
    try {
      return await head();
    } catch (e) {
      if (s3Status(e) !== 403) throw e;
      await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, MaxKeys: 1 }))
        .catch((why: unknown) => this.fail(why, what));
      return head();
    }
  }

  /** The bucket exists and takes these credentials (else STORE_BUCKET_MISSING, STORE_CREDENTIALS…). */
  async check(): Promise<void> {
    try {
      await this.headOr403(
        () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })),
        `checking bucket ${this.bucket}`,
      );
    } catch (e) {
      // HeadBucket has no body: a missing bucket is a bare 404.
      if (s3Status(e) === 404)
        throw new OutpostError('STORE_BUCKET_MISSING', `bucket ${this.bucket} does not exist`, { cause: e });
      this.fail(e, `checking bucket ${this.bucket}`);
    }
  }

  async putFile(sha256: string, srcPath: string): Promise<void> {
    const Key = this.keyOf(sha256);
    if (await this.has(sha256)) return;
    const { size } = await stat(srcPath);
    const what = `storing ${sha256.slice(0, 12)}…`;
    if (size <= this.partBytes) {
      const src = hashedRead(srcPath);
      const r = await this.client
        .send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: src.body,
            ContentLength: size,
            ContentType: 'application/octet-stream',
          }),
        )
        .catch((e: unknown) => this.fail(e, what));
      const md5 = src.md5();
      if ((r.ETag ?? '').replace(/"/g, '') !== md5) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })).catch(() => undefined);
        checkEtag(r.ETag, md5, what);
      }
      return;
    }
    const created = await this.client
      .send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }))
      .catch((e: unknown) => this.fail(e, `starting a multipart upload of ${sha256.slice(0, 12)}…`));
    const UploadId = created.UploadId!;
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < size; start += this.partBytes, n++) {
        const end = Math.min(size, start + this.partBytes) - 1;
        const src = hashedRead(srcPath, { start, end });
        const r = await this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key,
            UploadId,
            PartNumber: n,
            Body: src.body,
            ContentLength: end - start + 1,
          }),
        );
        checkEtag(r.ETag, src.md5(), `${what}, part ${n}`);
        parts.push({ ETag: r.ETag!, PartNumber: n });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (e) {
      // No half-made upload left to pay for; the next put starts again.
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))
        .catch(() => undefined);
      this.fail(e, `${what} in parts`);
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    const Key = this.keyOf(sha256);
    try {
      const what = `looking up ${sha256.slice(0, 12)}…`;
      const h = await this.headOr403(
        () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key })),
        what,
      );
      return { size: h.ContentLength ?? 0 };
    } catch (e) {
      if (isS3NotFound(e)) return undefined;
      this.fail(e, `looking up ${sha256.slice(0, 12)}…`);
    }
  }

  async getStream(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    const Key = this.keyOf(sha256);
    try {
      const r = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return r.Body as Readable;
    } catch (e) {
      if (isS3NotFound(e)) throw objectNotFound(sha256);
      this.fail(e, `reading ${sha256.slice(0, 12)}…`);
    }
  }

  async delete(sha256: string): Promise<boolean> {
    const Key = this.keyOf(sha256);
    // S3 answers a delete of nothing with success: ask first, to say whether it was there.
    if (!(await this.has(sha256))) return false;
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key }))
      .catch((e: unknown) => this.fail(e, `deleting ${sha256.slice(0, 12)}…`));
    return true;
  }

  async *list(): AsyncIterable<string> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${this.prefix}objects/`,
            ...(ContinuationToken ? { ContinuationToken } : {}),
          }),
        )
        .catch((e: unknown) => this.fail(e, 'listing the objects'));
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(o.Key.lastIndexOf('/') + 1) ?? '';
        if (SHA256_RE.test(name)) yield name;
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }
}
