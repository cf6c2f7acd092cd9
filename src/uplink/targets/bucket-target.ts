import { isOutpostError } from '../../core/errors.js';
import {
  itemDocKey,
  mergeItemDoc,
  parseItemDoc,
  recordingEntry,
  recordingKey,
  renditionKey,
} from '../../core/bucket-layout.js';
import type { Op } from '../../core/ops.js';
import type { BucketBackend } from './bucket-backend.js';
import { partStream, resumeSha256, saveSha256, ShortBody } from './part-body.js';
import {
  UploadFailure,
  type BodySource,
  type ChunkResult,
  type ItemFacts,
  type NewUpload,
  type ObjectRef,
  type PartRules,
  type RequestShape,
  type SyncResult,
  type UploadTarget,
} from './target.js';

/** What the journal keeps of a multipart upload: the confirmed parts and the running SHA-256. */
interface UploadState {
  parts: { size: number; md5: string }[];
  /** hash-wasm SHA-256 state after the confirmed parts (absent: no part yet). */
  sha?: string;
}

/** The upload handle the runner journals: the key, the store's upload id, and what is uploaded. */
interface Handle {
  key: string;
  uploadId: string;
  size: number;
  sha256: string;
}

const PARALLEL = 8;

function formatUrl(kind: string, h: Handle): string {
  const q = new URLSearchParams({ upload: h.uploadId, size: String(h.size), sha256: h.sha256 });
  return `${kind}:${h.key}?${q.toString()}`;
}

function parseUrl(kind: string, url: string): Handle {
  const at = url.lastIndexOf('?');
  const head = `${kind}:`;
  if (!url.startsWith(head) || at < 0) throw new UploadFailure('gone', `not a ${kind} upload: ${url}`);
  const q = new URLSearchParams(url.slice(at + 1));
  const size = Number(q.get('size'));
  const uploadId = q.get('upload') ?? '';
  const sha256 = q.get('sha256') ?? '';
  if (!uploadId || !Number.isSafeInteger(size) || !/^[0-9a-f]{64}$/.test(sha256))
    throw new UploadFailure('gone', `not a ${kind} upload: ${url}`);
  return { key: url.slice(head.length, at), uploadId, size, sha256 };
}

function parseState(state: string | null | undefined): UploadState | undefined {
  if (!state) return undefined;
  try {
    const s = JSON.parse(state) as UploadState;
    if (!Array.isArray(s.parts)) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

/** A store failure → what the runner does about it (target.ts, UploadFailureKind). */
export function storeFailure(e: unknown, what: string): UploadFailure {
  if (e instanceof UploadFailure) return e;
  if (e instanceof ShortBody) return new UploadFailure('conflict', `${what}: ${e.message}`);
  if (isOutpostError(e)) {
    const msg = `${what}: ${e.code}: ${e.message}. ${e.hint}`;
    switch (e.code) {
      case 'STORE_UNREACHABLE':
        return new UploadFailure('offline', msg);
      case 'STORE_CREDENTIALS':
      case 'STORE_BUCKET_MISSING':
        return new UploadFailure('auth', msg);
      case 'STORE_CLOCK_SKEW':
        // The S3 client signs with the store's time from the next request on: try again soon
        // (warning() keeps telling the user the clock is wrong).
        return new UploadFailure('server', msg);
      case 'STORE_UPLOAD_GONE':
        return new UploadFailure('gone', msg);
      case 'CHECKSUM_MISMATCH':
        return new UploadFailure('conflict', msg);
      default:
        return new UploadFailure('server', msg);
    }
  }
  const err = e as Error | undefined;
  if (err?.name === 'AbortError') return new UploadFailure('offline', `${what}: aborted`);
  return new UploadFailure('server', `${what}: ${err?.message ?? String(e)}`);
}

/**
 * A body and its length: as announced (the runner), or, for callers that announce none (tools,
 * the contract tests), read whole into memory first (at most `max` bytes).
 */
async function withLength(
  body: BodySource,
  shape: RequestShape | undefined,
  max: number,
): Promise<{ body: BodySource; length: number }> {
  if (shape?.length !== undefined) return { body, length: shape.length };
  const parts: Buffer[] = [];
  let n = 0;
  for await (const b of body) {
    n += b.length;
    if (n > max)
      throw new UploadFailure('rejected', `a request body over ${max} bytes needs its length announced`);
    parts.push(b);
  }
  const bytes = Buffer.concat(parts);
  async function* one(): AsyncGenerator<Buffer> {
    if (bytes.length) yield bytes;
  }
  return { body: one(), length: bytes.length };
}

async function inParallel<T, R>(xs: readonly T[], fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await fn(xs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, xs.length) }, worker));
  return out;
}

/**
 * A station's uplink straight to an object store (S3 or Azure Blob, by its backend): originals
 * under their content address, thumbnails and previews beside them, and a JSON of each item's
 * facts and attributes, so the bucket alone is a usable archive (core/bucket-layout.ts).
 *
 * Large objects go up as parts (S3 multipart, Azure blocks) of whole, announced lengths; the part
 * list and the running SHA-256 are journalled after every part, and a resume lists what the store
 * holds (never trusting the journal alone). The SHA-256 is checked before the upload is
 * completed, so nothing that is not the claimed bytes ever appears under a content address.
 */
export class BucketTarget implements UploadTarget {
  readonly name: string;
  readonly parts: PartRules;
  readonly hasOpLog = false;
  /** States of uploads this process made, for callers that do not hand them back (tools, tests). */
  private readonly states = new Map<string, UploadState>();

  constructor(
    readonly store: BucketBackend,
    private readonly prefix: string,
  ) {
    this.name = store.where;
    this.parts = store.parts;
  }

  close(): void {
    this.store.close();
  }

  warning(): string | undefined {
    return this.store.warning?.();
  }

  private keyOf(o: ObjectRef): string {
    return renditionKey(this.prefix, o.item, o.rendition, o.sha256);
  }

  async have(objects: ObjectRef[], signal?: AbortSignal): Promise<boolean[]> {
    try {
      return await inParallel(objects, async (o) => {
        const sha = await this.store.head(this.keyOf(o), signal);
        if (sha === undefined) return false;
        // An original's key is its hash; a derivative's must carry the hash of these bytes.
        return o.rendition === 'original' ? sha === '' || sha === o.sha256 : sha === o.sha256;
      });
    } catch (e) {
      throw storeFailure(e, 'have');
    }
  }

  async create(
    u: NewUpload,
    body: BodySource,
    signal?: AbortSignal,
    shape?: RequestShape,
  ): Promise<{ url: string } & ChunkResult> {
    const key = this.keyOf(u);
    let length: number;
    ({ body, length } = await withLength(body, shape, Math.max(u.size, this.parts.maxBytes)));
    if (length === u.size && u.size <= this.parts.maxBytes) return this.putWhole(u, key, body, signal);
    let uploadId: string;
    try {
      uploadId = await this.store.begin(key, { sha256: u.sha256 }, signal);
    } catch (e) {
      throw storeFailure(e, `begin ${key}`);
    }
    const url = formatUrl(this.store.kind, { key, uploadId, size: u.size, sha256: u.sha256 });
    this.states.set(url, { parts: [] });
    if (length === 0) return { url, offset: 0, sent: 0, drainMs: 0, state: JSON.stringify({ parts: [] }) };
    const r = await this.append(url, 0, body, signal, { length, state: JSON.stringify({ parts: [] }) });
    return { url, ...r };
  }

  /** The whole object in one request, to its final key only if absent, deleted again if wrong. */
  private async putWhole(
    u: NewUpload,
    key: string,
    body: BodySource,
    signal?: AbortSignal,
  ): Promise<{ url: string } & ChunkResult> {
    const sha = await resumeSha256(undefined);
    const ps = partStream(body, u.size, sha);
    const url = formatUrl(this.store.kind, { key, uploadId: 'whole', size: u.size, sha256: u.sha256 });
    let r: { md5: string | undefined } | 'exists';
    try {
      r = await this.store.putStream(key, ps.stream, u.size, { sha256: u.sha256 }, true, signal);
    } catch (e) {
      throw storeFailure(ps.short() ? new ShortBody(ps.sent(), u.size) : e, `put ${key}`);
    }
    const drainMs = ps.endedAt() ? Date.now() - ps.endedAt() : 0;
    if (r === 'exists') {
      // Someone (another station, an earlier try whose answer was lost) put it first.
      const [has] = await this.have([u], signal);
      if (has) return { url, offset: u.size, sent: ps.sent(), drainMs };
      throw new UploadFailure('server', `put ${key}: the store holds other bytes under this key`);
    }
    const digest = sha.digest('hex');
    if (digest !== u.sha256 || (r.md5 !== undefined && r.md5 !== ps.md5())) {
      await this.store.delete(key, signal).catch(() => undefined);
      throw new UploadFailure(
        digest !== u.sha256 ? 'checksum' : 'conflict',
        `put ${key}: ${digest !== u.sha256 ? `the bytes hash to ${digest}, not ${u.sha256}` : 'the store received other bytes than were sent'}; removed again`,
      );
    }
    return { url, offset: u.size, sent: ps.sent(), drainMs };
  }

  async offset(url: string, signal?: AbortSignal): Promise<number> {
    const s = this.states.get(url);
    return (await this.resume(url, s ? JSON.stringify(s) : null, signal)).offset;
  }

  async resume(
    url: string,
    state: string | null,
    signal?: AbortSignal,
  ): Promise<{ offset: number; state: string | null }> {
    const h = parseUrl(this.store.kind, url);
    if (h.uploadId === 'whole') throw new UploadFailure('gone', `${url}: a single request, not an upload`);
    let held;
    try {
      held = await this.store.listParts(h.key, h.uploadId, signal);
    } catch (e) {
      throw storeFailure(e, `list parts of ${h.key}`);
    }
    const local = parseState(state) ?? this.states.get(url) ?? { parts: [] };
    const byIndex = new Map(held.map((p) => [p.index, p]));
    let kept = 0;
    for (const [i, p] of local.parts.entries()) {
      const s = byIndex.get(i);
      if (!s || s.size !== p.size || (s.md5 !== undefined && s.md5 !== p.md5)) break;
      kept++;
    }
    // The running hash covers every journalled part: if the store lost one (never seen), begin
    // again from the first part (the same upload: parts are overwritten, nothing is orphaned).
    const next: UploadState = kept === local.parts.length ? local : { parts: [] };
    this.states.set(url, next);
    return { offset: next.parts.reduce((n, p) => n + p.size, 0), state: JSON.stringify(next) };
  }

  async append(
    url: string,
    offset: number,
    body: BodySource,
    signal?: AbortSignal,
    shape?: RequestShape,
  ): Promise<ChunkResult> {
    const h = parseUrl(this.store.kind, url);
    const st = parseState(shape?.state) ?? this.states.get(url) ?? { parts: [] };
    const have = st.parts.reduce((n, p) => n + p.size, 0);
    if (offset !== have)
      throw new UploadFailure('conflict', `append ${h.key}: offset ${offset}, the store has ${have}`);
    let length: number;
    ({ body, length } = await withLength(body, shape, this.parts.maxBytes));
    if (offset + length > h.size)
      throw new UploadFailure('rejected', `append ${h.key}: more bytes than the upload size`);
    const sha = await resumeSha256(st.sha);
    const ps = partStream(body, length, sha);
    const index = st.parts.length;
    let md5: string | undefined;
    try {
      ({ md5 } = await this.store.putPart(h.key, h.uploadId, index, ps.stream, length, signal));
    } catch (e) {
      throw storeFailure(ps.short() ? new ShortBody(ps.sent(), length) : e, `part ${index + 1} of ${h.key}`);
    }
    const drainMs = ps.endedAt() ? Date.now() - ps.endedAt() : 0;
    const sent = ps.sent();
    const mine = ps.md5();
    if (md5 !== undefined && md5 !== mine)
      throw new UploadFailure(
        'conflict',
        `part ${index + 1} of ${h.key}: the store received other bytes than were sent`,
      );
    const parts = [...st.parts, { size: length, md5: mine }];
    const now = offset + length;
    if (now < h.size) {
      const next: UploadState = { parts, sha: saveSha256(sha) };
      this.states.set(url, next);
      return { offset: now, sent, drainMs, state: JSON.stringify(next) };
    }
    const digest = sha.digest('hex');
    if (digest !== h.sha256) {
      await this.store.abort(h.key, h.uploadId, signal).catch(() => undefined);
      this.states.delete(url);
      throw new UploadFailure(
        'checksum',
        `upload ${h.key}: the bytes hash to ${digest}, not ${h.sha256}; aborted`,
      );
    }
    try {
      await this.store.complete(
        h.key,
        h.uploadId,
        parts.map((p, i) => ({ index: i, md5: p.md5 })),
        { sha256: h.sha256 },
        signal,
      );
    } catch (e) {
      throw storeFailure(e, `complete ${h.key}`);
    }
    this.states.delete(url);
    return { offset: now, sent, drainMs, state: null };
  }

  async discard(url: string, signal?: AbortSignal): Promise<void> {
    const h = parseUrl(this.store.kind, url);
    this.states.delete(url);
    if (h.uploadId === 'whole') return;
    try {
      await this.store.abort(h.key, h.uploadId, signal);
    } catch (e) {
      if (!(isOutpostError(e) && e.code === 'STORE_UPLOAD_GONE')) throw storeFailure(e, `abort ${h.key}`);
    }
  }

  /**
   * Item facts and item ops into `items/<ab>/<id>.json` (each attribute: the greatest stamp
   * wins), and a camera segment's timeline entry. A bucket keeps no op log: nothing is refused.
   */
  async sync(body: { items: ItemFacts[]; ops: Op[] }, signal?: AbortSignal): Promise<SyncResult> {
    const facts = new Map(body.items.map((f) => [f.id, f]));
    const ops = new Map<string, Op[]>();
    for (const op of body.ops) {
      if (op.entity !== 'item') continue;
      const list = ops.get(op.id) ?? [];
      list.push(op);
      ops.set(op.id, list);
    }
    const ids = [...new Set([...facts.keys(), ...ops.keys()])];
    try {
      await inParallel(ids, async (id) => {
        const key = itemDocKey(this.prefix, id);
        const text = await this.store.getText(key, signal);
        const doc = text === undefined ? undefined : parseItemDoc(text, id);
        const f = facts.get(id);
        const m = mergeItemDoc(doc, id, f, ops.get(id) ?? []);
        if (m.changed)
          await this.store.putText(key, `${JSON.stringify(m.doc, null, 1)}\n`, 'application/json', signal);
        const rec = f && recordingKey(this.prefix, f);
        if (rec && f && !doc?.facts)
          await this.store.putText(
            rec,
            `${JSON.stringify(recordingEntry(this.prefix, f))}\n`,
            'application/json',
            signal,
          );
      });
    } catch (e) {
      throw storeFailure(e, 'item facts');
    }
    return { cursor: 0 };
  }

  /** A bare bucket has no op log of others' edits to pull. */
  pullOps(since: number): Promise<{ ops: Op[]; cursor: number }> {
    return Promise.resolve({ ops: [], cursor: since });
  }
}
