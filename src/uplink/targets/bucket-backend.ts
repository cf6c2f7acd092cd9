import type { Readable } from 'node:stream';
import type { PartRules } from './target.js';

/** A stored part (S3 part, Azure uncommitted block) as the store lists it. */
export interface StoredPart {
  /** 0-based: S3 part number − 1, Azure block index. */
  index: number;
  size: number;
  /** MD5 (hex) the store computed of the part, when it says (S3's part ETag); undefined: not said. */
  md5?: string | undefined;
}

/**
 * What a bucket target needs of one object store (S3, Azure Blob): small whole objects, streamed
 * whole objects, and multipart uploads in the store's own terms. Every failure is an OutpostError
 * (STORE_* codes; `STORE_UPLOAD_GONE` for an upload the store no longer knows).
 */
export interface BucketBackend {
  readonly kind: 's3' | 'azure';
  /** For messages: `s3://bucket/prefix`, `azure://container/prefix`. */
  readonly where: string;
  readonly parts: PartRules;
  /** The object's `sha256` metadata when it exists (empty string when it has none); undefined: absent. */
  head(key: string, signal?: AbortSignal): Promise<string | undefined>;
  getText(key: string, signal?: AbortSignal): Promise<string | undefined>;
  putText(key: string, text: string, contentType: string, signal?: AbortSignal): Promise<void>;
  /**
   * One request with the whole object; `ifAbsent`: only when the key does not exist yet (answers
   * 'exists' then). Answers the MD5 (hex) the store computed of what it received, when it says.
   */
  putStream(
    key: string,
    body: Readable,
    length: number,
    meta: Record<string, string>,
    ifAbsent: boolean,
    signal?: AbortSignal,
  ): Promise<{ md5: string | undefined } | 'exists'>;
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /** Start a multipart upload to `key`: the store's upload id (Azure: the key itself). */
  begin(key: string, meta: Record<string, string>, signal?: AbortSignal): Promise<string>;
  putPart(
    key: string,
    uploadId: string,
    index: number,
    body: Readable,
    length: number,
    signal?: AbortSignal,
  ): Promise<{ md5: string | undefined }>;
  /** The parts the store holds for the upload, by index. */
  listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<StoredPart[]>;
  complete(
    key: string,
    uploadId: string,
    parts: { index: number; md5: string }[],
    meta: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void>;
  abort(key: string, uploadId: string, signal?: AbortSignal): Promise<void>;
  /** Keys under `prefix` (a full key prefix, the bucket prefix included), with their sizes. */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<{ key: string; size: number }>;
  /** An object's bytes; undefined when it does not exist. */
  getStream(key: string, signal?: AbortSignal): Promise<Readable | undefined>;
  /** Unfinished uploads under the prefix (for clean-up and the tests' "nothing left behind"). */
  unfinished(
    signal?: AbortSignal,
  ): Promise<{ key: string; uploadId: string; startedAt?: Date | undefined }[]>;
  /** A warning the store's client has (S3: the store found this clock wrong), if any. */
  warning?(): string | undefined;
  close(): void;
}
