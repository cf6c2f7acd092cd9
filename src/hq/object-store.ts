import type { Readable } from 'node:stream';
import type { DataStore } from '@tus/utils';
import { OutpostError } from '../core/errors.js';
import { SHA256_RE } from './upload-metadata.js';

/**
 * Content-addressed storage of verified bytes: the key is the SHA-256 of the bytes. HQ keeps
 * uploads here (local disk now; S3 and Azure Blob later). Every implementation must pass the one
 * contract suite in test/integration/hq/object-store-contract.ts.
 */
export interface ObjectStore {
  /**
   * Store the bytes of the file at `srcPath` under `sha256` (the caller has verified the hash).
   * Durable when it resolves; idempotent (an object already held is left as it is). The source
   * file is left in place, unchanged: the caller removes it.
   */
  putFile(sha256: string, srcPath: string): Promise<void>;
  has(sha256: string): Promise<boolean>;
  /** Size of an object, or undefined when it is not held. */
  stat(sha256: string): Promise<{ size: number } | undefined>;
  /**
   * The object's bytes, or the inclusive byte range `[start, end]` of them.
   * Rejects with OBJECT_NOT_FOUND when it is not held.
   */
  getStream(sha256: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Remove an object; false when it was not there. */
  delete(sha256: string): Promise<boolean>;
  /** Every object's hash, in no particular order. */
  list(): AsyncIterable<string>;
  /**
   * Where an object's bytes are as a local file, for tools that read files (ffmpeg), when the
   * store is a local disk; absent: fetch it with getStream.
   */
  localPath?(sha256: string): string;
  /**
   * Where tus uploads in progress live when they must be shared by several HQ nodes (S3: in the
   * bucket itself); absent: on the node's local disk (`<data>/uploads/`), one node only.
   */
  uploadStaging?(hashes?: UploadHashBook): UploadStaging;
}

/** Where the running SHA-256 of uploads is kept between requests (HQ: its catalogue). */
export interface UploadHashBook {
  /** The hash state after exactly `offset` bytes, when that is the state kept. */
  at(uploadId: string, offset: number): Promise<string | undefined>;
  save(uploadId: string, offset: number, state: string): Promise<void>;
  drop(uploadId: string): Promise<void>;
}

/** tus uploads kept in the object store, and how a finished one becomes an object. */
export interface UploadStaging {
  /** The tus data store (@tus/s3-store): every node reads and writes the same uploads. */
  datastore: DataStore;
  /** An upload's Upload-Metadata, without its offset (cheaper than `getUpload`); tus's 404 when absent. */
  metadataOf(uploadId: string): Promise<Record<string, string | null> | undefined>;
  /**
   * SHA-256 and size of a finished upload of `size` bytes: from the hash kept while it arrived,
   * else read back from the store.
   */
  hash(uploadId: string, size: number): Promise<{ sha256: string; size: number }>;
  /** Make a verified upload the object `sha256` (a copy inside the store) and remove the upload. */
  adopt(uploadId: string, sha256: string): Promise<void>;
  /** Remove an upload (finished or not) and everything it left. Idempotent. */
  discard(uploadId: string): Promise<void>;
  /** Remove uploads started before `beforeMs` and not finished; returns how many. */
  sweep(beforeMs: number): Promise<number>;
}

/** Keys are 64 lowercase hex and nothing else: they become file names and URL paths. */
export function checkObjectKey(sha256: string): void {
  if (!SHA256_RE.test(sha256))
    throw new OutpostError(
      'INVALID_INPUT',
      `not a SHA-256 object key: ${JSON.stringify(sha256.slice(0, 80))}`,
    );
}

export function objectNotFound(sha256: string): OutpostError {
  return new OutpostError('OBJECT_NOT_FOUND', `no object ${sha256.slice(0, 12)}… in the store`);
}
