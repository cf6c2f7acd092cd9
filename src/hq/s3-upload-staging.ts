import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { isS3NotFound, s3ClientConfig, s3Error, type S3Settings } from '../adapters/s3.js';
import { Transform } from 'node:stream';
import { createSHA256 } from 'hash-wasm';
import type { UploadHashBook, UploadStaging } from './object-store.js';

/** S3's largest single CopyObject; larger objects are copied in parts. */
const MAX_COPY = 5 * 1024 ** 3;
const COPY_PART = 1024 ** 3;
/** tus upload ids (hex): what may be deleted as an upload's leftovers. */
const UPLOAD_KEY = /^[0-9a-f]{32}(\.info|\.part)?$/;

/**
 * @tus/s3-store, hashing each request's bytes on their way in: the SHA-256 state after the last
 * stored byte is kept in the book (the catalogue), so the node that finishes an upload knows its
 * hash without reading it back. A request that resumes from an offset the book has no state for
 * (a node died and the offset went back) hashes nothing: the finish reads the object back then.
 */
class HashingS3Store extends S3Store {
  constructor(
    private readonly book: UploadHashBook | undefined,
    options: ConstructorParameters<typeof S3Store>[0],
  ) {
    super(options);
  }

  override async write(src: Readable, id: string, offset: number): Promise<number> {
    const book = this.book;
    const kept = book && (offset === 0 ? '' : await book.at(id, offset));
    if (!book || kept === undefined) {
      await book?.drop(id);
      return super.write(src, id, offset);
    }
    const h = await createSHA256();
    h.init();
    if (kept) h.load(Buffer.from(kept, 'base64'));
    let seen = 0;
    const hashed = src.pipe(
      new Transform({
        transform(chunk: Buffer, _e, done) {
          h.update(chunk);
          seen += chunk.length;
          done(null, chunk);
        },
      }),
    );
    src.on('error', (e) => hashed.destroy(e));
    const next = await super.write(hashed, id, offset);
    // Every byte that went through the hash is stored: keep the state for the next request.
    if (next === offset + seen) await book.save(id, next, Buffer.from(h.save()).toString('base64'));
    else await book.drop(id);
    return next;
  }
}

/**
 * tus uploads in progress in the S3 bucket itself (@tus/s3-store: a multipart upload per tus
 * upload, `<id>.info` with its metadata, `<id>.part` for bytes short of a part), so any HQ node
 * behind a load balancer can take the next PATCH of an upload another node began. A finished
 * upload's SHA-256 comes from the hash state kept request by request (HashingS3Store); read back
 * once only where that state was lost (HQ and its store share a data-centre link: that read costs
 * seconds, where a station's link would cost hours). Then it is copied inside the store to its
 * content address; nothing is uploaded twice.
 */
export function s3UploadStaging(
  settings: S3Settings,
  client: S3Client,
  objectKey: (sha256: string) => string,
  hashes?: UploadHashBook,
): UploadStaging {
  const bucket = settings.bucket;
  const fail = (e: unknown, what: string): never => {
    throw s3Error(e, what, bucket);
  };
  const datastore = new HashingS3Store(hashes, {
    partSize: 8 * 1024 * 1024,
    // Object tags drive @tus/s3-store's expiry; Swift's s3api has none: swept here instead.
    useTags: false,
    s3ClientConfig: { bucket, ...s3ClientConfig(settings) },
  });
  const del = async (Key: string): Promise<void> => {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key })).catch((e: unknown) => {
      if (!isS3NotFound(e)) fail(e, `removing ${Key}`);
    });
  };
  const discard = async (id: string): Promise<void> => {
    if (!UPLOAD_KEY.test(id)) return;
    await del(id);
    await del(`${id}.part`);
    await del(`${id}.info`);
  };

  async function copyInParts(id: string, Key: string, size: number): Promise<void> {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    try {
      const Parts: { ETag: string; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < size; start += COPY_PART, n++) {
        const end = Math.min(size, start + COPY_PART) - 1;
        const r = await client.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key,
            UploadId,
            PartNumber: n,
            CopySource: `${bucket}/${id}`,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        Parts.push({ ETag: r.CopyPartResult!.ETag!, PartNumber: n });
      }
      await client.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts } }),
      );
    } catch (e) {
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }))
        .catch(() => undefined);
      throw e;
    }
  }

  return {
    datastore,
    async hash(id, expectedSize) {
      const kept = await hashes?.at(id, expectedSize);
      if (kept) {
        const h = await createSHA256();
        h.init();
        h.load(Buffer.from(kept, 'base64'));
        return { sha256: h.digest('hex'), size: expectedSize };
      }
      const h = createHash('sha256');
      let size = 0;
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: id }));
        for await (const c of r.Body as Readable) {
          h.update(c as Buffer);
          size += (c as Buffer).length;
        }
      } catch (e) {
        fail(e, `reading upload ${id}`);
      }
      return { sha256: h.digest('hex'), size };
    },
    async adopt(id, sha256) {
      const Key = objectKey(sha256);
      const held = await client
        .send(new HeadObjectCommand({ Bucket: bucket, Key }))
        .then(() => true)
        .catch((e: unknown) => (isS3NotFound(e) ? false : fail(e, `looking up ${Key}`)));
      if (!held) {
        const head = await client
          .send(new HeadObjectCommand({ Bucket: bucket, Key: id }))
          .catch((e: unknown) => fail(e, `looking up upload ${id}`));
        const size = head.ContentLength ?? 0;
        try {
          if (size > MAX_COPY) await copyInParts(id, Key, size);
          else
            await client.send(
              new CopyObjectCommand({
                Bucket: bucket,
                Key,
                CopySource: `${bucket}/${id}`,
                ContentType: 'application/octet-stream',
                MetadataDirective: 'REPLACE',
              }),
            );
        } catch (e) {
          fail(e, `copying upload ${id} to ${Key}`);
        }
      }
      await discard(id);
    },
    discard: async (id) => {
      await discard(id);
      await hashes?.drop(id);
    },
    async sweep(beforeMs) {
      let n = 0;
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      for (;;) {
        const page = await client
          .send(
            new ListMultipartUploadsCommand({
              Bucket: bucket,
              ...(KeyMarker ? { KeyMarker } : {}),
              ...(UploadIdMarker ? { UploadIdMarker } : {}),
            }),
          )
          .catch((e: unknown) => fail(e, 'listing unfinished uploads'));
        for (const u of page.Uploads ?? []) {
          if (!u.Key || !UPLOAD_KEY.test(u.Key) || (u.Initiated?.getTime() ?? Infinity) >= beforeMs) continue;
          await client
            .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }))
            .catch(() => undefined);
          await discard(u.Key);
          n++;
        }
        if (!page.IsTruncated) return n;
        KeyMarker = page.NextKeyMarker;
        UploadIdMarker = page.NextUploadIdMarker;
      }
    },
  };
}
