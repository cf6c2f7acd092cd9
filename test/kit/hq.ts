import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import type { Clock } from '../../src/adapters/clock.js';
import { createLogger, silentLogger } from '../../src/adapters/logger.js';
import { buildHqApp, type HqApp, type HqAppOptions } from '../../src/hq/app.js';
import { hqCatalogLocation, openHqDataDir, type HqDataDir } from '../../src/hq/data-dir.js';
import { addStationKey } from '../../src/hq/keys.js';
import { formatStationKey, KEY_SECRET_BYTES, keySha256 } from '../../src/hq/station-key.js';
import { addStationKeyHashNow } from '../../src/library/catalog/station-keys.js';
import { openCatalog, type Catalog } from '../../src/library/catalog/open.js';
import { startServer } from '../../src/server/server.js';
import { prng } from './prng.js';
export { prng };

/** Test helpers for HQ (src/hq/): a real HQ on loopback, and uploads with the real tus client. */

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface TestHq extends HqApp {
  work: string;
  data: HqDataDir;
  catalog: Catalog;
  url: string;
  /** A live key for a station. */
  key(station: string): string;
  /** The same, stored through the catalogue's own door: on either engine (key() needs SQLite). */
  stationKey(station: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestHq(
  opts: Partial<Pick<HqAppOptions, 'maxUploadSize' | 'uploadExpiryMs' | 'store'>> & {
    clock?: Clock;
    /** Config `hq.database`: `sqlite` (default, in the data directory) or a PostgreSQL URL. */
    database?: string;
    /** HQ's node name (default hq-test): nodes sharing a PostgreSQL catalogue need their own. */
    node?: string;
  } = {},
): Promise<TestHq> {
  const work = await mkdtemp(join(tmpdir(), 'outpost-hq-'));
  const { database = 'sqlite', node = 'hq-test', ...appOpts } = opts;
  const clock = opts.clock ?? { now: () => new Date() };
  const data = await openHqDataDir(join(work, 'hq'), clock.now());
  const catalog = await openCatalog(hqCatalogLocation(data, database));
  const log = process.env.DBG ? createLogger('debug') : silentLogger;
  const hq = await buildHqApp({ ...appOpts, data, catalog, clock, log, node });
  const { url } = await startServer(hq.app, { host: '127.0.0.1', port: 0 });
  const keys = new Map<string, string>();
  return {
    ...hq,
    work,
    data,
    catalog,
    url,
    key: (station) => {
      let k = keys.get(station);
      if (!k) keys.set(station, (k = storeKeyNow(catalog, station, clock.now())));
      return k;
    },
    stationKey: async (station) => {
      let k = keys.get(station);
      if (!k) keys.set(station, (k = (await addStationKey(catalog, station, clock.now())).key));
      return k;
    },
    close: async () => {
      await hq.app.close();
      await catalog.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * A new station key, stored before this returns: tests call `hq.key()` inside plain expressions,
 * so it stays synchronous and writes the row `addStationKey` would, through this kit's SQLite HQ
 * catalogue (the policy itself is tested in station-keys.contract.test.ts).
 */
function storeKeyNow(catalog: Catalog, station: string, now: Date): string {
  const key = formatStationKey(station, randomBytes(KEY_SECRET_BYTES));
  addStationKeyHashNow(catalog, { station, keySha256: keySha256(key), createdAt: now.toISOString() });
  return key;
}

export interface UploadRun {
  upload: tus.Upload;
  done: Promise<void>;
}

/** One tus upload with tus-js-client (no retries: tests see every failure). */
export function tusUpload(o: {
  baseUrl: string;
  key: string;
  bytes: Buffer;
  metadata: Record<string, string>;
  chunkSize?: number;
  uploadUrl?: string;
  onChunk?: (accepted: number, upload: tus.Upload) => void;
}): UploadRun {
  let upload!: tus.Upload;
  const done = new Promise<void>((resolve, reject) => {
    upload = new tus.Upload(o.bytes, {
      endpoint: `${o.baseUrl}/hq/v1/uploads/`,
      ...(o.uploadUrl ? { uploadUrl: o.uploadUrl } : {}),
      headers: { authorization: `Bearer ${o.key}` },
      metadata: o.metadata,
      chunkSize: o.chunkSize ?? Infinity,
      retryDelays: null,
      onSuccess: () => resolve(),
      onError: reject,
      onChunkComplete: (_size, accepted) => o.onChunk?.(accepted, upload),
    });
    upload.start();
  });
  return { upload, done };
}

/** Metadata of an original. */
export const originalMeta = (bytes: Buffer, name = 'x.jpg'): Record<string, string> => {
  const h = sha256(bytes);
  return { item: h, rendition: 'original', sha256: h, name };
};

export function randomBytesSeeded(n: number, seed: number): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** A station's facts of an item, as /hq/v1/sync takes them. */
export function itemFacts(id: string, n = 1): Record<string, unknown> {
  return {
    id,
    type: 'photo',
    monitor: 'Ana',
    path: `library/Ana/2024-06-01/20240601-0600${String(n).padStart(2, '0')}_${id.slice(0, 16)}.jpg`,
    size: 1234,
    ext: 'jpg',
    original_name: `IMG_${n}.JPG`,
    original_mtime_ms: 1717221600000,
    captured_at: '2024-06-01T06:00:00',
    captured_source: 'exif',
    sort_time: `2024-06-01T06:00:${String(n).padStart(2, '0')}`,
    imported_at: '2024-06-01T10:00:00Z',
    card_id: 'uuid:1234-ABCD',
    width: 96,
    height: 64,
    orientation: 1,
    duration_s: null,
    make: 'TrailCam',
    model: 'TC-1',
    lat: null,
    lon: null,
    alt: null,
    facts: '{}',
    warnings: '[]',
    phash: null,
    // Columns HQ derives itself are ignored:
    has_thumb: 1,
    state: 'stored',
  };
}

/** Tell HQ a station holds these items (facts first: HQ takes its renditions and ops only then). */
export async function sendFacts(baseUrl: string, key: string, ids: string[]): Promise<void> {
  const res = await fetch(`${baseUrl}/hq/v1/sync`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ items: ids.map((id, n) => itemFacts(id, n)), ops: [] }),
  });
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${await res.text()}`);
}
