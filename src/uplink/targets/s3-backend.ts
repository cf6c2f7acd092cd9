import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isS3NotFound, s3Client, s3Error, s3Status, type S3Settings } from '../../adapters/s3.js';
import { OutpostError } from '../../core/errors.js';
import type { BucketBackend, StoredPart } from './bucket-backend.js';

const MiB = 1024 * 1024;

/** An ETag that is a plain MD5 (a part's, a single put's); undefined for anything else. */
const md5Of = (etag: string | undefined): string | undefined => {
  const t = (etag ?? '').replace(/"/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(t) ? t : undefined;
};

/**
 * A station's bucket on S3 (AWS or any S3-compatible store). Parts are 5 MiB at least (S3's
 * minimum for every part but the last) and 64 MiB at most; the store's ETag of each part is the
 * MD5 of what it received, and ListParts says which parts it holds.
 */
export class S3Backend implements BucketBackend {
  readonly kind = 's3';
  readonly where: string;
  readonly parts = { minBytes: 5 * MiB, maxBytes: 64 * MiB };
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  /** The store honours `If-None-Match: *` on PUT (AWS does; Swift's s3api does not): asked once. */
  private conditionalPuts: boolean | undefined;
  /** The client's signing offset at start (tests give a skewed one): drift from it is reported. */
  private readonly startOffsetMs: number;

  constructor(
    settings: S3Settings & { prefix: string },
    opts: { stallTimeoutMs?: number; client?: S3Client } = {},
  ) {
    this.bucket = settings.bucket;
    this.prefix = settings.prefix;
    this.where = `s3://${settings.bucket}/${settings.prefix}`;
    const client =
      opts.client ??
      s3Client(settings, {
        // No byte either way for this long: the request is given up (the uplink resumes it).
        requestHandler: { requestTimeout: opts.stallTimeoutMs ?? 60_000, connectionTimeout: 15_000 },
        // No "Expect: 100-continue" before each part: a round trip per part on a slow, far link
        // (and 6 s when a store or proxy never answers it) for a body that is almost never refused.
        expectContinueHeader: false,
      });
    this.client = client;
    this.startOffsetMs = client.config.systemClockOffset ?? 0;
  }

  close(): void {
    this.client.destroy();
  }

  /**
   * The AWS SDK learns the store's time from a refused request (RequestTimeTooSkewed) and signs
   * with that offset from then on, so uploads work with a wrong clock; the user is still told.
   */
  warning(): string | undefined {
    const offset = this.client.config.systemClockOffset ?? 0;
    const drift = offset - this.startOffsetMs;
    if (Math.abs(drift) < 5 * 60_000) return undefined;
    const min = Math.round(Math.abs(drift) / 60_000);
    return `STORE_CLOCK_SKEW: the store says this station's clock is ${drift > 0 ? 'behind' : 'ahead'} by about ${min >= 120 ? `${Math.round(min / 60)} h` : `${min} min`}; uploads go on (requests are signed with the store's time), but set the clock right (timedatectl, or a GPS or NTP source): file dates and edits use it.`;
  }

  private fail(e: unknown, what: string): never {
    if (e instanceof S3ServiceException && e.name === 'NoSuchUpload')
      throw new OutpostError('STORE_UPLOAD_GONE', `${what}: the store no longer knows the upload`, {
        cause: e,
      });
    throw s3Error(e, what, this.bucket);
  }

  /** A bare 403 (a HEAD has no body to say why): a GET names the reason (clock or key). */
  private async explain403(e: unknown, what: string, signal?: AbortSignal): Promise<never> {
    if (s3Status(e) === 403)
      await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, MaxKeys: 1 }), { abortSignal: signal })
        .catch((why: unknown) => this.fail(why, what));
    this.fail(e, what);
  }

  async head(key: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: signal,
      });
      return h.Metadata?.sha256 ?? '';
    } catch (e) {
      if (isS3NotFound(e)) return undefined;
      return this.explain403(e, `looking up ${key}`, signal);
    }
  }

  async getText(key: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: signal,
      });
      return await r.Body!.transformToString('utf8');
    } catch (e) {
      if (isS3NotFound(e)) return undefined;
      this.fail(e, `reading ${key}`);
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<{ key: string; size: number }> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(ContinuationToken ? { ContinuationToken } : {}),
          }),
          { abortSignal: signal },
        )
        .catch((e: unknown) => this.fail(e, `listing ${prefix}`));
      for (const o of page.Contents ?? []) if (o.Key) yield { key: o.Key, size: o.Size ?? 0 };
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async getStream(key: string, signal?: AbortSignal): Promise<Readable | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: signal,
      });
      return r.Body as Readable;
    } catch (e) {
      if (isS3NotFound(e)) return undefined;
      this.fail(e, `reading ${key}`);
    }
  }

  async putText(key: string, text: string, contentType: string, signal?: AbortSignal): Promise<void> {
    await this.client
      .send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: contentType }), {
        abortSignal: signal,
      })
      .catch((e: unknown) => this.fail(e, `writing ${key}`));
  }

  async putStream(
    key: string,
    body: Readable,
    length: number,
    meta: Record<string, string>,
    ifAbsent: boolean,
    signal?: AbortSignal,
  ): Promise<{ md5: string | undefined } | 'exists'> {
    // Stores without conditional PUTs (OpenStack Swift's s3api answers 501): ask first instead.
    const conditional = ifAbsent && (await this.hasConditionalPuts(signal));
    if (ifAbsent && !conditional && (await this.head(key, signal)) !== undefined) return 'exists';
    try {
      const r = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: length,
          ContentType: 'application/octet-stream',
          Metadata: meta,
          ...(conditional ? { IfNoneMatch: '*' } : {}),
        }),
        { abortSignal: signal },
      );
      return { md5: md5Of(r.ETag) };
    } catch (e) {
      if (s3Status(e) === 412) return 'exists';
      this.fail(e, `writing ${key}`);
    }
  }

  /** One empty conditional PUT of a marker object, once per process: 501 means not supported. */
  private async hasConditionalPuts(signal?: AbortSignal): Promise<boolean> {
    if (this.conditionalPuts !== undefined) return this.conditionalPuts;
    const Key = `${this.prefix}.outpost-bucket`;
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key, Body: 'outpost\n', IfNoneMatch: '*' }),
        { abortSignal: signal },
      );
      this.conditionalPuts = true;
    } catch (e) {
      const status = s3Status(e);
      if (status === 412) this.conditionalPuts = true;
      else if (status === 501) this.conditionalPuts = false;
      else this.fail(e, 'checking the bucket');
    }
    return this.conditionalPuts!;
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal })
      .catch((e: unknown) => this.fail(e, `deleting ${key}`));
  }

  async begin(key: string, meta: Record<string, string>, signal?: AbortSignal): Promise<string> {
    const r = await this.client
      .send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          ContentType: 'application/octet-stream',
          Metadata: meta,
        }),
        { abortSignal: signal },
      )
      .catch((e: unknown) => this.fail(e, `starting an upload of ${key}`));
    if (!r.UploadId)
      throw new OutpostError('STORE_FAILED', `starting an upload of ${key}: no upload id in the answer`);
    return r.UploadId;
  }

  async putPart(
    key: string,
    uploadId: string,
    index: number,
    body: Readable,
    length: number,
    signal?: AbortSignal,
  ): Promise<{ md5: string | undefined }> {
    const r = await this.client
      .send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: index + 1,
          Body: body,
          ContentLength: length,
        }),
        { abortSignal: signal },
      )
      .catch((e: unknown) => this.fail(e, `part ${index + 1} of ${key}`));
    return { md5: md5Of(r.ETag) };
  }

  async listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<StoredPart[]> {
    const out: StoredPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const r = await this.client
        .send(
          new ListPartsCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker ? { PartNumberMarker: marker } : {}),
          }),
          { abortSignal: signal },
        )
        .catch((e: unknown) => this.fail(e, `listing the parts of ${key}`));
      for (const p of r.Parts ?? [])
        if (p.PartNumber) out.push({ index: p.PartNumber - 1, size: p.Size ?? 0, md5: md5Of(p.ETag) });
      if (!r.IsTruncated || !r.NextPartNumberMarker) return out;
      marker = String(r.NextPartNumberMarker);
    }
  }

  async complete(
    key: string,
    uploadId: string,
    parts: { index: number; md5: string }[],
    _meta: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.client
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.index + 1, ETag: `"${p.md5}"` })) },
        }),
        { abortSignal: signal },
      )
      .catch((e: unknown) => this.fail(e, `completing the upload of ${key}`));
  }

  async abort(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    await this.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }), {
        abortSignal: signal,
      })
      .catch((e: unknown) => {
        // S3 answers an abort of an unknown upload with NoSuchUpload (404): it is gone either way.
        if (!(e instanceof S3ServiceException && (e.name === 'NoSuchUpload' || s3Status(e) === 404)))
          this.fail(e, `aborting the upload of ${key}`);
      });
  }

  async unfinished(
    signal?: AbortSignal,
  ): Promise<{ key: string; uploadId: string; startedAt?: Date | undefined }[]> {
    const out: { key: string; uploadId: string; startedAt?: Date | undefined }[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      const r = await this.client
        .send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix,
            ...(KeyMarker ? { KeyMarker } : {}),
            ...(UploadIdMarker ? { UploadIdMarker } : {}),
          }),
          { abortSignal: signal },
        )
        .catch((e: unknown) => this.fail(e, 'listing unfinished uploads'));
      for (const u of r.Uploads ?? [])
        if (u.Key && u.UploadId) out.push({ key: u.Key, uploadId: u.UploadId, startedAt: u.Initiated });
      if (!r.IsTruncated) return out;
      KeyMarker = r.NextKeyMarker;
      UploadIdMarker = r.NextUploadIdMarker;
    }
  }
}
