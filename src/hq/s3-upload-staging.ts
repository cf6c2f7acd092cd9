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
  ListObjectsV2Command,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { ERRORS } from '@tus/utils';
import { isS3NotFound, s3ClientConfig, s3Error, type S3Settings } from '../adapters/s3.js';
import { Transform } from 'node:stream';
import { createSHA256 } from 'hash-wasm';
import { OutpostError } from '../core/errors.js';
import type { UploadHashBook, UploadStaging } from './object-store.js';
import { SHA256_RE, shaOfUploadId, UPLOAD_ID_RE } from './upload-metadata.js';

/** S3's largest single CopyObject; larger objects are copied in parts. */
const MAX_COPY = 5 * 1024 ** 3;
const COPY_PART = 1024 ** 3;
/** Old-style tus upload ids (hex) and their files: what may be deleted as an upload's leftovers. */
const UPLOAD_KEY = /^[0-9a-f]{32}(\.info|\.part)?$/;
/** S3 client calls whose `Key` names an upload's bytes (not its `.info` or `.part`). */
const BYTES_CALLS = new Set([
  'createMultipartUpload',
  'uploadPart',
  'listParts',
  'completeMultipartUpload',
  'abortMultipartUpload',
  'getObject',
]);

type MetadataValue = Parameters<S3Store['finishMultipartUpload']>[0];
type Part = Parameters<S3Store['finishMultipartUpload']>[1][number];

/**
 * @tus/s3-store, with two changes:
 *
 * - **Written at the content address.** An upload whose id carries its hash (`<sha256>-<random>`)
 *   is a multipart upload at `objects/<ab>/<sha256>` from its first part, so finishing it is
 *   completing that multipart upload: nothing is copied. Its `.info` and `.part` keep the tus id.
 *   The tus store never deletes an object at its address (termination aborts the upload only).
 * - **Hashed on the way in.** The SHA-256 state after each request's last stored byte is kept in
 *   the book (the catalogue), so the node that finishes an upload knows its hash without reading
 *   it back, and completes the upload only when the hash is the address: wrong bytes never take
 *   an object's place. A request that resumes from an offset the book has no state for (a node
 *   died and the offset went back) hashes nothing: the finish reads the object back then
 *   (`hash`), and deletes it when it is not what its address says.
 */
class HashingS3Store extends S3Store {
  /** Hash of each upload whose last byte went through this node's hash just now. */
  private readonly finals = new Map<string, string>();
  /**
   * What tus's `getUpload` just listed of an upload (its parts, whether it has a `.part`). tus
   * calls it under the upload's lock right before `write`, which would list the same again: the
   * write takes it from here, once, within a second. No other request can add parts meanwhile
   * (the lock), so it is the store's state, two S3 requests (one a listing) fewer per PATCH.
   */
  private readonly listed = new Map<string, { at: number; parts?: Part[]; incomplete?: boolean }>();
  /** Uploads this node is writing now. */
  private readonly writing = new Set<string>();

  private fresh(id: string): { at: number; parts?: Part[]; incomplete?: boolean } | undefined {
    const m = this.listed.get(id);
    if (m && Date.now() - m.at < 1000) return m;
    this.listed.delete(id);
    return undefined;
  }

  protected override async retrieveParts(id: string, partNumberMarker?: string): Promise<Part[]> {
    if (partNumberMarker === undefined && this.writing.has(id)) {
      const m = this.fresh(id);
      if (m?.parts) {
        const parts = m.parts;
        delete m.parts;
        return parts;
      }
    }
    const parts = await super.retrieveParts(id, partNumberMarker);
    if (partNumberMarker === undefined && !this.writing.has(id)) {
      if (this.listed.size > 1000) this.listed.clear(); // HEADs of uploads this node never writes
      this.listed.set(id, { ...this.listed.get(id), at: Date.now(), parts });
    }
    return parts;
  }

  protected override async getIncompletePartSize(id: string): Promise<number | undefined> {
    const size = await super.getIncompletePartSize(id);
    const m = this.listed.get(id);
    if (m && !this.writing.has(id)) m.incomplete = size !== undefined;
    return size;
  }

  protected override async getIncompletePart(id: string): Promise<Readable | undefined> {
    const m = this.writing.has(id) ? this.fresh(id) : undefined;
    if (m?.incomplete === false) {
      delete m.incomplete;
      return undefined;
    }
    return super.getIncompletePart(id);
  }

  constructor(
    private readonly book: UploadHashBook | undefined,
    private readonly bytesKey: (id: string) => string | undefined,
    private readonly forget: (id: string) => Promise<void>,
    options: ConstructorParameters<typeof S3Store>[0],
  ) {
    super(options);
    const real = this.client;
    const keyed = (input: { Key?: string }): { Key?: string } => {
      const at = input.Key === undefined ? undefined : bytesKey(input.Key);
      return at ? { ...input, Key: at } : input;
    };
    this.client = new Proxy(real, {
      get(target, prop, receiver) {
        const v: unknown = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        const f = v as (input: unknown, ...rest: unknown[]) => unknown;
        if (typeof prop === 'string' && BYTES_CALLS.has(prop))
          return (input: { Key?: string }, ...rest: unknown[]) => f.call(target, keyed(input), ...rest);
        if (prop === 'deleteObjects')
          return (input: { Delete?: { Objects?: { Key?: string }[] } }, ...rest: unknown[]) => {
            const Objects = (input.Delete?.Objects ?? []).filter((o) => !o.Key || !bytesKey(o.Key));
            return f.call(target, { ...input, Delete: { ...input.Delete, Objects } }, ...rest);
          };
        return f.bind(target);
      },
    });
  }

  /** An upload's metadata alone (its `.info`, cached): no listing of its parts. */
  async metadataOf(id: string): Promise<Record<string, string | null> | undefined> {
    try {
      return (await this.getMetadata(id)).file.metadata;
    } catch (e) {
      if (isS3NotFound(e)) throw ERRORS.FILE_NOT_FOUND;
      throw e;
    }
  }

  override async write(src: Readable, id: string, offset: number): Promise<number> {
    this.writing.add(id);
    try {
      return await this.writeHashed(src, id, offset);
    } finally {
      this.writing.delete(id);
      this.listed.delete(id);
    }
  }

  private async writeHashed(src: Readable, id: string, offset: number): Promise<number> {
    const book = this.book;
    const kept = book && (offset === 0 ? '' : await book.at(id, offset));
    if (!book || kept === undefined) {
      await book?.drop(id);
      return super.write(src, id, offset);
    }
    const h = await createSHA256();
    h.init();
    if (kept) h.load(Buffer.from(kept, 'base64'));
    const size = (await this.getMetadata(id)).file.size;
    let seen = 0;
    let state = '';
    const finals = this.finals;
    const hashed = src.pipe(
      new Transform({
        transform(chunk: Buffer, _e, done) {
          h.update(chunk);
          seen += chunk.length;
          done(null, chunk);
        },
        flush(done) {
          state = Buffer.from(h.save()).toString('base64');
          if (size !== undefined && offset + seen === size) finals.set(id, h.digest('hex'));
          done();
        },
      }),
    );
    src.on('error', (e) => hashed.destroy(e));
    try {
      const next = await super.write(hashed, id, offset);
      // Every byte that went through the hash is stored: keep the state for the next request.
      if (state && next === offset + seen) await book.save(id, next, state);
      else await book.drop(id);
      return next;
    } finally {
      finals.delete(id);
    }
  }

  protected override async finishMultipartUpload(
    metadata: MetadataValue,
    parts: Part[],
  ): Promise<string | undefined> {
    const id = metadata.file.id;
    const Key = this.bytesKey(id);
    if (!Key) return super.finishMultipartUpload(metadata, parts);
    const want = Key.slice(-64);
    const got = this.finals.get(id);
    const abort = (): Promise<unknown> =>
      this.client
        .abortMultipartUpload({ Bucket: this.bucket, Key: id, UploadId: metadata['upload-id'] })
        .catch(() => undefined);
    if (got !== undefined && got !== want) {
      await abort();
      await this.forget(id);
      throw new OutpostError('CHECKSUM_MISMATCH', `the bytes received hash to ${got}, not ${want}`, {
        details: { expected: want, received: got, size: metadata.file.size },
      });
    }
    if (got === undefined) {
      // Not hashed here: complete only where no object is yet (it is read back and checked then);
      // an object already there is not replaced by bytes nobody has hashed.
      const there = await this.client
        .headObject({ Bucket: this.bucket, Key })
        .then(() => true)
        .catch((e: unknown) => (isS3NotFound(e) ? false : Promise.reject(e)));
      if (there) {
        await abort();
        return undefined;
      }
    }
    return super.finishMultipartUpload(metadata, parts);
  }
}

/**
 * tus uploads in progress in the S3 bucket itself (@tus/s3-store: a multipart upload per tus
 * upload at the bytes' content address, `<id>.info` with its metadata, `<id>.part` for bytes short
 * of a part), so any HQ node behind a load balancer can take the next PATCH of an upload another
 * node began. A finished upload's SHA-256 comes from the hash state kept request by request
 * (HashingS3Store); read back once only where that state was lost (HQ and its store share a
 * data-centre link: that read costs seconds, where a station's link would cost hours). Adopting it
 * is then removing its `.info`: the bytes are at their address already. Uploads begun by an older
 * HQ (ids without the hash) are written at their id and copied inside the store.
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
  /** Where an upload's bytes are written: its address when its id says it; else at the id. */
  const bytesKey = (id: string): string | undefined => {
    const sha = shaOfUploadId(id);
    return sha && objectKey(sha);
  };
  const del = async (Key: string): Promise<void> => {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key })).catch((e: unknown) => {
      if (!isS3NotFound(e)) fail(e, `removing ${Key}`);
    });
  };
  /** An upload's own files; the bytes too for an old-style id (they are a copy by then). */
  const discard = async (id: string): Promise<void> => {
    if (!UPLOAD_ID_RE.test(id)) return;
    if (!bytesKey(id)) await del(id);
    await del(`${id}.part`);
    await del(`${id}.info`);
  };
  const forget = async (id: string): Promise<void> => {
    await discard(id);
    await hashes?.drop(id);
  };
  const datastore = new HashingS3Store(hashes, bytesKey, forget, {
    partSize: 8 * 1024 * 1024,
    // Object tags drive @tus/s3-store's expiry; Swift's s3api has none: swept here instead.
    useTags: false,
    s3ClientConfig: { bucket, ...s3ClientConfig(settings) },
  });
  /** Which object key a multipart upload at `Key` would make, if any (`objects/<ab>/<sha>`). */
  const shaAt = (Key: string): string | undefined => {
    const sha = Key.slice(-64);
    return SHA256_RE.test(sha) && objectKey(sha) === Key ? sha : undefined;
  };
  /** The tus upload (`<sha>-<random>`) whose multipart upload is `uploadId`, by its `.info`. */
  async function uploadOf(sha: string, uploadId: string): Promise<string | undefined> {
    const page = await client
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${sha}-`, Delimiter: '/' }))
      .catch((e: unknown) => fail(e, 'listing unfinished uploads'));
    for (const o of page.Contents ?? []) {
      const id = o.Key?.endsWith('.info') ? o.Key.slice(0, -5) : undefined;
      if (!id || !UPLOAD_ID_RE.test(id)) continue;
      const head = await client
        .send(new HeadObjectCommand({ Bucket: bucket, Key: o.Key }))
        .catch(() => undefined);
      if (head?.Metadata?.['upload-id'] === uploadId) return id;
    }
    return undefined;
  }

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
    metadataOf: (id) => datastore.metadataOf(id),
    async hash(id, expectedSize) {
      const kept = await hashes?.at(id, expectedSize);
      if (kept) {
        const h = await createSHA256();
        h.init();
        h.load(Buffer.from(kept, 'base64'));
        return { sha256: h.digest('hex'), size: expectedSize };
      }
      const Key = bytesKey(id) ?? id;
      const h = createHash('sha256');
      let size = 0;
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
        for await (const c of r.Body as Readable) {
          h.update(c as Buffer);
          size += (c as Buffer).length;
        }
      } catch (e) {
        fail(e, `reading upload ${id}`);
      }
      const sha256 = h.digest('hex');
      // Bytes at an address they do not hash to are no object: never left there to be served.
      if (Key !== id && sha256 !== shaOfUploadId(id)) await del(Key);
      return { sha256, size };
    },
    async adopt(id, sha256) {
      const Key = objectKey(sha256);
      if (bytesKey(id) === Key) {
        // Written here from the first part: the object is there once its upload completed.
        await client
          .send(new HeadObjectCommand({ Bucket: bucket, Key }))
          .catch((e: unknown) => fail(e, `looking up ${Key} (upload ${id} finished)`));
        await discard(id);
        return;
      }
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
    discard: forget,
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
          if (!u.Key || !u.UploadId || (u.Initiated?.getTime() ?? Infinity) >= beforeMs) continue;
          const sha = shaAt(u.Key);
          if (!sha && !UPLOAD_KEY.test(u.Key)) continue;
          await client
            .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }))
            .catch(() => undefined);
          const id = sha ? await uploadOf(sha, u.UploadId) : u.Key;
          if (id) await forget(id);
          n++;
        }
        if (!page.IsTruncated) return n;
        KeyMarker = page.NextKeyMarker;
        UploadIdMarker = page.NextUploadIdMarker;
      }
    },
  };
}
