import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { EVENTS, MemoryLocker, Server, type Upload } from '@tus/server';
import type { Locker } from '@tus/utils';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import { ERROR_CATALOGUE, OutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { isTombstoned, stationHolds } from '../library/catalog/hq-items.js';
import { objectOf, recordObject } from '../library/catalog/objects.js';
import { hashFileWithSize } from '../library/intake/index.js';
import type { ObjectStore, UploadStaging } from './object-store.js';
import { expectedHash, OWNER_KEY, UPLOAD_ID_RE, uploadIdFor, validateUploadMeta } from './upload-metadata.js';

/** Where tus lives (docs/uplink-protocol.md "Uploads"). */
export const UPLOADS_PATH = '/hq/v1/uploads';
export const DEFAULT_MAX_UPLOAD = 64 * 1024 ** 3;
export const DEFAULT_UPLOAD_EXPIRY_MS = 14 * 24 * 3600 * 1000;

export interface UploadsOptions {
  /** Incomplete uploads: `<data>/uploads/`. */
  dir: string;
  catalog: Catalog;
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  /** The station the request was authenticated as (set by the /hq/ access check). */
  stationOf: (req: IncomingMessage) => string | undefined;
  maxSize?: number;
  expiryMs?: number;
  /** Uploads kept in the object store (several HQ nodes); absent: `dir` on this node's disk. */
  staging?: UploadStaging | undefined;
  /** Upload locks (ClusterLocker for several nodes); default: this process's own. */
  locker?: Locker | undefined;
}

/** What a tus hook throws to refuse a request: @tus/server sends status and body as they are. */
interface TusRefusal {
  status_code: number;
  body: string;
}

function errorJson(code: string, message: string, hint?: string, details?: unknown): string {
  return JSON.stringify({ error: { code, message, hint: hint ?? '', ...(details ? { details } : {}) } });
}

function refuse(status: number, code: string, message: string, hint?: string, details?: unknown): TusRefusal {
  return { status_code: status, body: errorJson(code, message, hint, details) };
}

/** The Node request under @tus/server's web Request (it runs on srvx). */
function nodeReq(req: unknown): IncomingMessage | undefined {
  return (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
}

/** Codes of the tus library's own refusals, so every error body has the same shape. */
const TUS_CODES: Record<number, [string, string]> = {
  400: [
    'INVALID_INPUT',
    'Check the tus headers (Tus-Resumable: 1.0.0, Upload-Length, Upload-Metadata, ...).',
  ],
  403: ['INVALID_INPUT', 'Send Upload-Offset and Content-Type: application/offset+octet-stream.'],
  404: ['UPLOAD_NOT_FOUND', 'Ask /hq/v1/have, then create a new upload.'],
  409: ['UPLOAD_OFFSET_CONFLICT', 'HEAD the upload for its offset and resume from there.'],
  410: ['UPLOAD_GONE', 'The upload expired: ask /hq/v1/have, then create a new upload.'],
  412: ['TUS_VERSION', 'Send Tus-Resumable: 1.0.0.'],
  413: ['PAYLOAD_TOO_LARGE', 'Upload-Length is above the maximum, or the body runs past Upload-Length.'],
};

export interface Uploads {
  tus: Server;
  /** Route a raw request to tus (after the access check). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Delete expired incomplete uploads; returns how many. */
  cleanUpExpired(): Promise<number>;
}

export function createUploads(o: UploadsOptions): Uploads {
  const staging = o.staging;
  const expiryMs = o.expiryMs ?? DEFAULT_UPLOAD_EXPIRY_MS;
  const datastore =
    staging?.datastore ?? new FileStore({ directory: o.dir, expirationPeriodInMilliseconds: expiryMs });
  /** Finished uploads being verified: a second request finishing the same upload waits for the first. */
  const finishing = new Map<string, Promise<{ ok: boolean; body?: string }>>();
  /** Finished uploads to delete once tus has answered (it still reads the upload after the hook). */
  const toRemove = new Set<string>();

  const removeUpload = async (id: string): Promise<void> => {
    if (!toRemove.delete(id)) return;
    await (staging ? staging.discard(id) : datastore.remove(id)).catch((e: unknown) =>
      o.log.debug({ err: e, upload: id }, 'upload already removed'),
    );
  };

  /** Verify and store a finished upload once, however many requests finish it at the same time. */
  const finish = (upload: Upload, trustHeld = false): Promise<{ ok: boolean; body?: string }> => {
    let p = finishing.get(upload.id);
    if (!p) {
      p = verifyAndStore(upload, trustHeld).finally(() => finishing.delete(upload.id));
      finishing.set(upload.id, p);
    }
    return p;
  };

  const asRefusal = (r: { ok: boolean; body?: string }): TusRefusal => ({
    status_code: r.body?.includes('CHECKSUM_MISMATCH') ? 460 : 400,
    body: r.body ?? '',
  });

  /** `trustHeld`: skip re-hashing when HQ already holds the announced object (repeated HEADs). */
  async function verifyAndStore(upload: Upload, trustHeld: boolean): Promise<{ ok: boolean; body?: string }> {
    const v = validateUploadMeta(
      Object.fromEntries(Object.entries(upload.metadata ?? {}).filter(([k]) => k !== OWNER_KEY)),
    );
    const station = upload.metadata?.[OWNER_KEY] ?? '';
    toRemove.add(upload.id);
    if (!v.ok) return { ok: false, body: errorJson('INVALID_INPUT', v.problems.join('; ')) };
    const meta = v.meta;
    const held = await objectOf(o.catalog, meta.item, meta.rendition);
    if (trustHeld && held?.sha256 === expectedHash(meta) && (await o.store.has(held.sha256)))
      return { ok: true };
    const path = join(o.dir, upload.id);
    const { sha256, size } = staging
      ? await staging.hash(upload.id, upload.size ?? 0)
      : await hashFileWithSize(path);
    const want = expectedHash(meta);
    if (sha256 !== want || size !== upload.size) {
      o.log.warn(
        { upload: upload.id, station, item: meta.item, rendition: meta.rendition, want, got: sha256, size },
        'upload checksum mismatch: deleted',
      );
      return {
        ok: false,
        body: errorJson(
          'CHECKSUM_MISMATCH',
          `the bytes received hash to ${sha256}, not ${want}`,
          ERROR_CATALOGUE.CHECKSUM_MISMATCH.hint,
          {
            expected: want,
            received: sha256,
            size,
          },
        ),
      };
    }
    // A tombstoned item is not wanted any more: accept the bytes (the station is done) and drop them.
    if (!(await isTombstoned(o.catalog, meta.item))) {
      // In the store already (staging): a copy inside it; else from this node's disk.
      if (staging) await staging.adopt(upload.id, sha256);
      else await o.store.putFile(sha256, path);
      await recordObject(o.catalog, {
        item: meta.item,
        rendition: meta.rendition,
        sha256,
        size,
        station,
        receivedAt: o.clock.now().toISOString(),
      });
      o.log.info({ station, item: meta.item, rendition: meta.rendition, size }, 'object stored');
    }
    return { ok: true };
  }

  const tus = new Server({
    path: UPLOADS_PATH,
    datastore,
    maxSize: o.maxSize ?? DEFAULT_MAX_UPLOAD,
    relativeLocation: true,
    // A new PATCH on an upload asks the old one (often a dead connection) to stop; 1 s to let go.
    locker: o.locker ?? new MemoryLocker({ acquireLockTimeout: 15_000 }),
    lockDrainTimeout: 1000,
    // Ids: the hash the bytes must have, then 16 random bytes (hex): an upload kept in an object
    // store is written at its content address. Anything else is no upload of ours (no traversal).
    namingFunction: (_req, metadata) => {
      const v = validateUploadMeta(metadata);
      return uploadIdFor(v.ok ? expectedHash(v.meta) : undefined, randomBytes(16).toString('hex'));
    },
    getFileIdFromRequest: (_req, lastPath) =>
      lastPath && UPLOAD_ID_RE.test(lastPath) ? lastPath : undefined,
    onIncomingRequest: async (req, id) => {
      const raw = nodeReq(req);
      const station = raw ? o.stationOf(raw) : undefined;
      if (!station)
        throw refuse(401, 'UNAUTHENTICATED', 'no station key', 'Send Authorization: Bearer <station key>.');
      if (req.method === 'POST') return;
      // Only a HEAD needs the offset here; in an object store that costs a listing of its parts.
      const upload =
        req.method !== 'HEAD' && staging
          ? { metadata: await staging.metadataOf(id) }
          : await datastore.getUpload(id); // throws tus's 404/410 when absent
      // Another station's upload does not exist for this one: 404, the same as an unknown id.
      if (upload.metadata?.[OWNER_KEY] !== station)
        throw refuse(404, 'UPLOAD_NOT_FOUND', 'no such upload', TUS_CODES[404]![1]);
      // A complete upload whose verification failed to run (HQ crashed, disk full) must not
      // answer HEAD with offset = length unverified: tus clients take that as "done". Verify now.
      if (
        req.method === 'HEAD' &&
        'offset' in upload &&
        upload.size !== undefined &&
        upload.offset === upload.size
      ) {
        const r = await finish(upload, true);
        if (!r.ok) {
          await removeUpload(id);
          throw asRefusal(r);
        }
      }
    },
    onUploadCreate: async (req, upload) => {
      if (upload.sizeIsDeferred)
        throw refuse(
          400,
          'INVALID_INPUT',
          'Upload-Defer-Length is not accepted',
          'Send Upload-Length: HQ checks the size.',
        );
      const v = validateUploadMeta(upload.metadata);
      if (!v.ok)
        throw refuse(
          400,
          'INVALID_INPUT',
          `bad Upload-Metadata: ${v.problems.join('; ')}`,
          'See docs/uplink-protocol.md "Uploads".',
          {
            problems: v.problems,
          },
        );
      const raw = nodeReq(req);
      const station = raw ? o.stationOf(raw) : undefined;
      if (!station) throw refuse(401, 'UNAUTHENTICATED', 'no station key');
      // An original proves itself (its hash is the item's id); a thumbnail or preview does not:
      // only a station that holds the item (sent its facts) may give it one.
      if (v.meta.rendition !== 'original' && !(await stationHolds(o.catalog, station, v.meta.item)))
        throw refuse(
          403,
          'FORBIDDEN',
          `station ${station} does not hold item ${v.meta.item.slice(0, 16)}: no ${v.meta.rendition} for it`,
          "Send the item's facts (/hq/v1/sync) before its renditions; a station uploads renditions of its own items only.",
        );
      return { metadata: { ...upload.metadata, [OWNER_KEY]: station } };
    },
    onUploadFinish: async (req, upload) => {
      const r = await finish(upload);
      // A PATCH answer is sent right after this hook: remove the upload first, so "204" means
      // "gone from uploads/". A POST (creation-with-upload) still reads it: POST_FINISH removes it.
      if (req.method === 'PATCH') await removeUpload(upload.id);
      if (r.ok) return {};
      const { status_code, body } = asRefusal(r);
      return { status_code, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body };
    },
    onResponseError: (_req, err) => {
      // The store refused to complete bytes that do not hash to the upload's address.
      if (err instanceof OutpostError && err.code === 'CHECKSUM_MISMATCH')
        return {
          status_code: 460,
          body: errorJson(err.code, err.message, err.hint, err.details),
        };
      const e = err as Partial<TusRefusal> & Error;
      const status = typeof e.status_code === 'number' ? e.status_code : 500;
      if (typeof e.body === 'string' && e.body.startsWith('{')) return { status_code: status, body: e.body };
      if (status < 500) {
        const [code, hint] = TUS_CODES[status] ?? ['INVALID_INPUT', ''];
        return { status_code: status, body: errorJson(code, (e.body ?? e.message ?? '').trim(), hint) };
      }
      if (e.body === 'failed to acquire lock before timeout')
        return {
          status_code: 423,
          body: errorJson('UPLOAD_LOCKED', 'another request holds this upload', 'Retry in a few seconds.'),
        };
      o.log.error({ err: e instanceof Error ? e : undefined, body: e.body }, 'upload request failed');
      return {
        status_code: 500,
        body: errorJson('INTERNAL', 'internal error', ERROR_CATALOGUE.INTERNAL.hint),
      };
    },
  });

  // After the answer to the finishing request: the bytes are in the store (or were refused).
  tus.on(EVENTS.POST_FINISH, (_req: unknown, _res: unknown, upload: Upload) => {
    void removeUpload(upload.id);
  });

  return {
    tus,
    handle: async (req, res) => {
      await tus.handle(req, res);
    },
    cleanUpExpired: () =>
      staging ? staging.sweep(o.clock.now().getTime() - expiryMs) : tus.cleanUpExpiredUploads(),
  };
}
