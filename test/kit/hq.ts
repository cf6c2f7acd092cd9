import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import type { Clock } from '../../src/adapters/clock.js';
import { silentLogger } from '../../src/adapters/logger.js';
import { buildHqApp, type HqApp, type HqAppOptions } from '../../src/hq/app.js';
import { openHqDataDir, type HqDataDir } from '../../src/hq/data-dir.js';
import { addStationKey } from '../../src/hq/keys.js';
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
  close(): Promise<void>;
}

export async function startTestHq(
  opts: Partial<Pick<HqAppOptions, 'maxUploadSize' | 'uploadExpiryMs' | 'store'>> & { clock?: Clock } = {},
): Promise<TestHq> {
  const work = await mkdtemp(join(tmpdir(), 'outpost-hq-'));
  const clock = opts.clock ?? { now: () => new Date() };
  const data = await openHqDataDir(join(work, 'hq'), clock.now());
  const catalog = await openCatalog(data.drive.layout.catalog);
  const hq = await buildHqApp({ ...opts, data, catalog, clock, log: silentLogger, node: 'hq-test' });
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
      if (!k) keys.set(station, (k = addStationKey(catalog, station, clock.now()).key));
      return k;
    },
    close: async () => {
      await hq.app.close();
      await catalog.close();
      await rm(work, { recursive: true, force: true });
    },
  };
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
