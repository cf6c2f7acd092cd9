import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { azureContainer, azureError, azureStatus, type AzureSettings } from '../../adapters/azure-blob.js';
import { OutpostError } from '../../core/errors.js';
import type { BucketBackend, StoredPart } from './bucket-backend.js';

const MiB = 1024 * 1024;

const hex = (b: Uint8Array | undefined): string | undefined =>
  b ? Buffer.from(b).toString('hex') : undefined;

/**
 * Block ids come from the upload's nonce and the block's index (Azure wants every id of a blob
 * the same length): `<nonce>-<index>` in base64. The nonce keeps two stations that upload the
 * same blob at once from committing each other's blocks.
 */
const blockId = (nonce: string, index: number): string =>
  Buffer.from(`${nonce}-${String(index).padStart(6, '0')}`).toString('base64');

function indexOf(nonce: string, id: string): number | undefined {
  const m = /^([0-9a-f]{16})-(\d{6})$/.exec(Buffer.from(id, 'base64').toString('latin1'));
  return m && m[1] === nonce ? Number(m[2]) : undefined;
}

const notFound = (e: unknown): boolean =>
  azureStatus(e) === 404 && (e as { code?: string }).code !== 'ContainerNotFound';

/**
 * A station's bucket on Azure Blob Storage: block blobs, blocks of 1–64 MiB staged under ids from
 * the block index, `getBlockList('uncommitted')` on resume, `commitBlockList` at the end. Put
 * Block and Put Blob answer the MD5 of what arrived.
 */
export class AzureBackend implements BucketBackend {
  readonly kind = 'azure';
  readonly where: string;
  readonly parts = { minBytes: 1 * MiB, maxBytes: 64 * MiB };
  private readonly container: ContainerClient;
  private readonly name: string;
  private readonly prefix: string;

  constructor(settings: AzureSettings & { prefix: string }, opts: { stallTimeoutMs?: number } = {}) {
    this.name = settings.container;
    this.prefix = settings.prefix;
    this.where = `azure://${settings.container}/${settings.prefix}`;
    // A body is a stream read once: no retries inside the client (the uplink backs off and resumes).
    this.container = azureContainer(settings, {
      retryOptions: { maxTries: 1, tryTimeoutInMs: opts.stallTimeoutMs ?? 60_000 },
    });
  }

  close(): void {
    // The client keeps no sockets of its own to close.
  }

  private fail(e: unknown, what: string): never {
    throw azureError(e, what, this.name);
  }

  async head(key: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const p = await this.container.getBlockBlobClient(key).getProperties({ abortSignal: signal });
      return p.metadata?.sha256 ?? '';
    } catch (e) {
      if (notFound(e)) return undefined;
      this.fail(e, `looking up ${key}`);
    }
  }

  async getText(key: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const b = await this.container
        .getBlockBlobClient(key)
        .downloadToBuffer(0, undefined, { abortSignal: signal });
      return b.toString('utf8');
    } catch (e) {
      if (notFound(e)) return undefined;
      this.fail(e, `reading ${key}`);
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<{ key: string; size: number }> {
    try {
      for await (const b of this.container.listBlobsFlat({ prefix, abortSignal: signal }))
        yield { key: b.name, size: b.properties.contentLength ?? 0 };
    } catch (e) {
      this.fail(e, `listing ${prefix}`);
    }
  }

  async getStream(key: string, signal?: AbortSignal): Promise<Readable | undefined> {
    try {
      const r = await this.container.getBlockBlobClient(key).download(0, undefined, { abortSignal: signal });
      return r.readableStreamBody as Readable;
    } catch (e) {
      if (notFound(e)) return undefined;
      this.fail(e, `reading ${key}`);
    }
  }

  async putText(key: string, text: string, contentType: string, signal?: AbortSignal): Promise<void> {
    const body = Buffer.from(text, 'utf8');
    await this.container
      .getBlockBlobClient(key)
      .upload(body, body.length, { blobHTTPHeaders: { blobContentType: contentType }, abortSignal: signal })
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
    try {
      const r = await this.container.getBlockBlobClient(key).upload(() => body, length, {
        blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
        metadata: meta,
        ...(ifAbsent ? { conditions: { ifNoneMatch: '*' } } : {}),
        abortSignal: signal,
      });
      return { md5: hex(r.contentMD5) };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (azureStatus(e) === 412 || code === 'BlobAlreadyExists') return 'exists';
      this.fail(e, `writing ${key}`);
    }
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    await this.container
      .getBlockBlobClient(key)
      .deleteIfExists({ abortSignal: signal })
      .catch((e: unknown) => this.fail(e, `deleting ${key}`));
  }

  begin(_key: string, _meta: Record<string, string>): Promise<string> {
    // Nothing to ask the store: the upload is the blocks staged under this nonce.
    return Promise.resolve(randomBytes(8).toString('hex'));
  }

  async putPart(
    key: string,
    uploadId: string,
    index: number,
    body: Readable,
    length: number,
    signal?: AbortSignal,
  ): Promise<{ md5: string | undefined }> {
    const r = await this.container
      .getBlockBlobClient(key)
      .stageBlock(blockId(uploadId, index), () => body, length, { abortSignal: signal })
      .catch((e: unknown) => this.fail(e, `block ${index} of ${key}`));
    return { md5: hex(r.contentMD5) };
  }

  async listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<StoredPart[]> {
    let list;
    try {
      list = await this.container
        .getBlockBlobClient(key)
        .getBlockList('uncommitted', { abortSignal: signal });
    } catch (e) {
      // A blob with no block at all is "not found": the upload has nothing yet (or was dropped).
      if (notFound(e)) return [];
      this.fail(e, `listing the blocks of ${key}`);
    }
    const out: StoredPart[] = [];
    for (const b of list.uncommittedBlocks ?? []) {
      const index = indexOf(uploadId, b.name);
      if (index !== undefined) out.push({ index, size: b.size });
    }
    return out;
  }

  async complete(
    key: string,
    uploadId: string,
    parts: { index: number; md5: string }[],
    meta: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void> {
    const b = this.container.getBlockBlobClient(key);
    await b
      .commitBlockList(
        parts.map((p) => blockId(uploadId, p.index)),
        {
          blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
          metadata: meta,
          abortSignal: signal,
        },
      )
      .catch((e: unknown) => {
        if ((e as { code?: string }).code === 'InvalidBlockList')
          throw new OutpostError(
            'STORE_UPLOAD_GONE',
            `completing ${key}: the store no longer holds its blocks`,
            {
              cause: e,
            },
          );
        this.fail(e, `completing ${key}`);
      });
  }

  /**
   * Uncommitted blocks cannot be deleted one by one: when no blob exists under the key, an empty
   * commit makes one (dropping every uncommitted block) and it is deleted. A committed blob there
   * is left alone (its uncommitted blocks expire within a week, as Azure does).
   */
  async abort(key: string, _uploadId: string, signal?: AbortSignal): Promise<void> {
    const b = this.container.getBlockBlobClient(key);
    if ((await this.head(key, signal)) !== undefined) return;
    if ((await b.getBlockList('uncommitted', { abortSignal: signal }).catch(() => undefined)) === undefined)
      return;
    await b
      .commitBlockList([], { abortSignal: signal })
      .catch((e: unknown) => this.fail(e, `dropping ${key}`));
    await this.delete(key, signal);
  }

  async unfinished(
    signal?: AbortSignal,
  ): Promise<{ key: string; uploadId: string; startedAt?: Date | undefined }[]> {
    const committed = new Set<string>();
    const all: string[] = [];
    try {
      for await (const b of this.container.listBlobsFlat({ prefix: this.prefix, abortSignal: signal }))
        committed.add(b.name);
      for await (const b of this.container.listBlobsFlat({
        prefix: this.prefix,
        includeUncommitedBlobs: true,
        abortSignal: signal,
      }))
        all.push(b.name);
    } catch (e) {
      this.fail(e, 'listing unfinished uploads');
    }
    return all.filter((n) => !committed.has(n)).map((key) => ({ key, uploadId: 'blocks' }));
  }
}
