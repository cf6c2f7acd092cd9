import { createHash } from 'node:crypto';
import type { Op } from '../../core/ops.js';
import {
  UploadFailure,
  type BodySource,
  type ChunkResult,
  type ItemFacts,
  type NewUpload,
  type ObjectRef,
  type SyncResult,
  type UploadFailureKind,
  type UploadTarget,
} from './target.js';

interface MemUpload {
  upload: NewUpload;
  parts: Buffer[];
  offset: number;
}

const objectKey = (o: ObjectRef): string => `${o.item}/${o.rendition}/${o.sha256}`;

/**
 * A target in memory: the same contract as HQ over tus (test/integration/uplink/target.contract
 * test proves it), no sockets and no clock, so runner tests can drive it with a fake clock.
 * `failNext` injects the failures a real link produces.
 */
export class MemoryTarget implements UploadTarget {
  readonly name: string;
  /** Verified objects, by item/rendition/sha256. */
  readonly objects = new Map<string, Buffer>();
  readonly items = new Map<string, ItemFacts>();
  readonly ops: Op[] = [];
  /** Every call, in order (method names): lets tests see what the runner asked. */
  readonly calls: string[] = [];
  private readonly uploads = new Map<string, MemUpload>();
  private readonly faults: { method: string; kind: UploadFailureKind }[] = [];
  private nextId = 1;

  constructor(name = 'memory') {
    this.name = name;
  }

  /** The next call of `method` fails with `kind` (queued: several can be set up). */
  failNext(
    method: 'have' | 'create' | 'offset' | 'append' | 'sync' | 'pullOps',
    kind: UploadFailureKind,
  ): void {
    this.faults.push({ method, kind });
  }

  private enter(method: string): void {
    this.calls.push(method);
    const i = this.faults.findIndex((f) => f.method === method);
    if (i >= 0) {
      const [f] = this.faults.splice(i, 1);
      throw new UploadFailure(f!.kind, `${method}: injected ${f!.kind}`);
    }
  }

  have(objects: ObjectRef[]): Promise<boolean[]> {
    this.enter('have');
    return Promise.resolve(objects.map((o) => this.objects.has(objectKey(o))));
  }

  async create(upload: NewUpload, body: BodySource): Promise<{ url: string } & ChunkResult> {
    this.enter('create');
    if (!Number.isSafeInteger(upload.size) || upload.size < 0)
      throw new UploadFailure('rejected', `create: bad size ${upload.size}`);
    const url = `memory://uploads/${this.nextId++}`;
    this.uploads.set(url, { upload, parts: [], offset: 0 });
    const r = await this.write(url, 0, body);
    return { url, ...r };
  }

  offset(url: string): Promise<number> {
    this.enter('offset');
    const u = this.uploads.get(url);
    if (!u) return Promise.reject(new UploadFailure('gone', `offset: no upload ${url}`));
    return Promise.resolve(u.offset);
  }

  append(url: string, offset: number, body: BodySource): Promise<ChunkResult> {
    this.enter('append');
    return this.write(url, offset, body);
  }

  private async write(url: string, offset: number, body: BodySource): Promise<ChunkResult> {
    const u = this.uploads.get(url);
    if (!u) throw new UploadFailure('gone', `append: no upload ${url}`);
    if (offset !== u.offset)
      throw new UploadFailure('conflict', `append: offset ${offset}, have ${u.offset}`);
    let sent = 0;
    for await (const slice of body) {
      sent += slice.length;
      const room = u.upload.size - u.offset;
      // Bytes past the declared size are refused whole, as tus servers do.
      if (slice.length > room) throw new UploadFailure('rejected', 'append: more bytes than the upload size');
      u.parts.push(Buffer.from(slice));
      u.offset += slice.length;
    }
    if (u.offset === u.upload.size) {
      this.uploads.delete(url);
      const bytes = Buffer.concat(u.parts);
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (sha !== u.upload.sha256)
        throw new UploadFailure('checksum', `upload ${url}: bytes hash to ${sha}, not ${u.upload.sha256}`);
      this.objects.set(objectKey(u.upload), bytes);
    }
    return { offset: u.offset, sent, drainMs: 0 };
  }

  sync(body: { items: ItemFacts[]; ops: Op[] }): Promise<SyncResult> {
    this.enter('sync');
    for (const it of body.items) this.items.set(it.id, it);
    this.ops.push(...body.ops);
    return Promise.resolve({ cursor: this.ops.length });
  }

  pullOps(since: number): Promise<{ ops: Op[]; cursor: number }> {
    this.enter('pullOps');
    const ops = this.ops.slice(since, since + 1000);
    return Promise.resolve({ ops, cursor: since + ops.length });
  }
}
