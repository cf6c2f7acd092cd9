import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { azureContainer, azureError, azureStatus, type AzureSettings } from '../adapters/azure-blob.js';
import { OutpostError } from '../core/errors.js';
import { checkObjectKey, objectNotFound, type ObjectStore } from './object-store.js';
import { SHA256_RE } from './upload-metadata.js';

export type AzureStoreSettings = AzureSettings & {
  /** Blob names start with this (`outpost/`): one container can hold other things too. */
  prefix?: string | undefined;
};

const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();

async function readRange(fh: FileHandle, start: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, start + got);
    if (bytesRead === 0) throw new Error(`the file ended at ${start + got} of ${start + length} bytes`);
    got += bytesRead;
  }
  return buf;
}

/** Blocks of large objects (Azure commits a block list: readers never see a partial blob). */
const BLOCK_BYTES = 8 * 1024 * 1024;

/**
 * HQ's objects in an Azure Blob container: `<prefix>objects/<h[0:2]>/<h>`, the same content
 * address as on local disk and in S3. A put is one Put Blob, or staged blocks and one commit of
 * the block list for large objects, so a blob is whole or absent; the MD5 of every request's bytes
 * is checked (by Azure for blocks, here for a single put), and the size after the commit.
 */
export class AzureBlobStore implements ObjectStore {
  private readonly container: ContainerClient;
  private readonly name: string;
  private readonly prefix: string;

  constructor(settings: AzureStoreSettings, container: ContainerClient = azureContainer(settings)) {
    this.container = container;
    this.name = settings.container;
    const p = settings.prefix ?? '';
    this.prefix = p === '' || p.endsWith('/') ? p : `${p}/`;
  }

  private blob(sha256: string) {
    checkObjectKey(sha256);
    return this.container.getBlockBlobClient(`${this.prefix}objects/${sha256.slice(0, 2)}/${sha256}`);
  }

  private fail(e: unknown, what: string): never {
    throw azureError(e, what, this.name);
  }

  /** The container exists and takes these credentials (else STORE_BUCKET_MISSING, STORE_CREDENTIALS…). */
  async check(): Promise<void> {
    await this.container
      .getProperties()
      .catch((e: unknown) => this.fail(e, `checking container ${this.name}`));
  }

  async putFile(sha256: string, srcPath: string): Promise<void> {
    const b = this.blob(sha256);
    if (await this.has(sha256)) return;
    const what = `storing ${sha256.slice(0, 12)}…`;
    const { size } = await stat(srcPath);
    const headers = { blobHTTPHeaders: { blobContentType: 'application/octet-stream' } };
    const fh = await open(srcPath, 'r');
    try {
      // Each block carries the MD5 of its bytes, which Azure checks (Md5Mismatch); a single Put Blob
      // answers the MD5 of what arrived, checked here. One block in memory at a time.
      if (size <= BLOCK_BYTES) {
        const body = await readRange(fh, 0, size);
        const r = await b.upload(body, size, headers).catch((e: unknown) => this.fail(e, what));
        // Put Blob answers the MD5 of what arrived.
        if (r.contentMD5 && !Buffer.from(r.contentMD5).equals(md5(body))) {
          await b.deleteIfExists().catch(() => undefined);
          throw new OutpostError(
            'CHECKSUM_MISMATCH',
            `${what}: the store received other bytes than were sent`,
          );
        }
      } else {
        const ids: string[] = [];
        for (let start = 0, n = 0; start < size; start += BLOCK_BYTES, n++) {
          const body = await readRange(fh, start, Math.min(BLOCK_BYTES, size - start));
          // Block ids: the same length for every block of a blob (Azure's rule), from the index.
          const id = Buffer.from(`block-${String(n).padStart(8, '0')}`).toString('base64');
          await b
            .stageBlock(id, body, body.length, { transactionalContentMD5: md5(body) })
            .catch((e: unknown) => this.fail(e, `${what}, block ${n}`));
          ids.push(id);
        }
        // Uncommitted blocks never become a blob; Azure drops them after a week if this fails.
        await b.commitBlockList(ids, headers).catch((e: unknown) => this.fail(e, what));
      }
    } finally {
      await fh.close();
    }
    const held = await this.stat(sha256);
    if (held?.size !== size)
      throw new OutpostError(
        'CHECKSUM_MISMATCH',
        `${what}: the store holds ${held?.size ?? 'no'} bytes of ${size}`,
      );
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    try {
      const p = await this.blob(sha256).getProperties();
      return { size: p.contentLength ?? 0 };
    } catch (e) {
      if (azureStatus(e) === 404 && (e as { code?: string }).code !== 'ContainerNotFound') return undefined;
      this.fail(e, `looking up ${sha256.slice(0, 12)}…`);
    }
  }

  async getStream(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const r = range
        ? await this.blob(sha256).download(range.start, range.end - range.start + 1)
        : await this.blob(sha256).download();
      return r.readableStreamBody as Readable;
    } catch (e) {
      if (azureStatus(e) === 404 && (e as { code?: string }).code === 'BlobNotFound')
        throw objectNotFound(sha256);
      this.fail(e, `reading ${sha256.slice(0, 12)}…`);
    }
  }

  async delete(sha256: string): Promise<boolean> {
    const r = await this.blob(sha256)
      .deleteIfExists()
      .catch((e: unknown) => this.fail(e, `deleting ${sha256.slice(0, 12)}…`));
    return r.succeeded;
  }

  async *list(): AsyncIterable<string> {
    try {
      for await (const b of this.container.listBlobsFlat({ prefix: `${this.prefix}objects/` })) {
        const name = b.name.slice(b.name.lastIndexOf('/') + 1);
        if (SHA256_RE.test(name)) yield name;
      }
    } catch (e) {
      this.fail(e, 'listing the objects');
    }
  }
}
