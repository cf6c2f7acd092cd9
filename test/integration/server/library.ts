import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { fixedClock, type Clock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { parseConfig } from '../../../src/config/load.js';
import { fingerprintCard } from '../../../src/ingest/fingerprint.js';
import { ingestCard } from '../../../src/ingest/ingest.js';
import type { IngestSummary } from '../../../src/ingest/types.js';
import { insertPendingItem, markStored } from '../../../src/library/catalog/items.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { allowAll, buildApp, type AppDeps } from '../../../src/server/app.js';
import { nodeReadMountInfo } from '../../../src/station/mount-watcher.js';
import { makeCard, type CardFixture } from '../../kit/fixtures.js';

export const NODE = 'station-test';

/** A library drive filled by real ingest: the corpus card (monitor Ana) and a small card (Ben). */
export interface TestLibrary {
  work: string;
  drive: Drive;
  catalog: Catalog;
  card: CardFixture;
  /** Card root of Ben's card: three generated photos. */
  card2: string;
  summaries: IngestSummary[];
  clock: Clock;
  close(): Promise<void>;
}

/** Three small, distinct photos with a known capture time each (EXIF DateTimeOriginal). */
async function makeSmallCard(root: string): Promise<void> {
  const dir = join(root, 'DCIM', '100PHOTO');
  mkdirSync(dir, { recursive: true });
  const colours = ['#a33', '#3a3', '#33a'];
  for (let i = 0; i < colours.length; i++) {
    await sharp({ create: { width: 96, height: 64, channels: 3, background: colours[i]! } })
      .jpeg()
      .withExif({
        IFD0: { Make: 'TrailCam', Model: 'TC-1' },
        IFD2: { DateTimeOriginal: `2023:07:1${i} 06:30:00` },
      })
      .toFile(join(dir, `TC${String(i + 1).padStart(4, '0')}.JPG`));
  }
}

export async function buildTestLibrary(): Promise<TestLibrary> {
  const work = await mkdtemp(join(tmpdir(), 'outpost-server-'));
  const clock = fixedClock(new Date('2024-06-01T10:00:00Z'), 1000);
  const drive = await initDrive(join(work, 'drive'), { label: 'Drive A', now: clock.now() });
  const card = makeCard(join(work, 'card'));
  const card2 = join(work, 'card2');
  await makeSmallCard(card2);
  const settings = parseConfig({}, 'test').ingest;
  const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });
  const summaries: IngestSummary[] = [];
  for (const [root, monitor] of [
    [card.root, 'Ana'],
    [card2, 'Ben'],
  ] as const) {
    const id = await fingerprintCard(root, { runner: nodeProcessRunner, readMountInfo: nodeReadMountInfo });
    const s = await ingestCard(
      { cardRoot: root, card: id, drive, monitor, settings, timeZone: 'UTC', node: NODE },
      { analyzer, clock, log: silentLogger },
    );
    assert.equal(s.error, undefined, JSON.stringify(s.error));
    summaries.push(s);
  }
  const catalog = await openCatalog(drive.layout.catalog);
  return {
    work,
    drive,
    catalog,
    card,
    card2,
    summaries,
    clock,
    close: async () => {
      await catalog.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** An empty library drive (no ingest): fast, for tests of the API surface. */
export async function emptyLibrary(): Promise<{
  drive: Drive;
  catalog: Catalog;
  clock: Clock;
  close(): Promise<void>;
}> {
  const work = await mkdtemp(join(tmpdir(), 'outpost-server-empty-'));
  const clock = fixedClock(new Date('2024-06-01T10:00:00Z'), 1000);
  const drive = await initDrive(join(work, 'drive'), { label: 'Empty', now: clock.now() });
  const catalog = await openCatalog(drive.layout.catalog);
  return {
    drive,
    catalog,
    clock,
    close: async () => {
      await catalog.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A catalogue row with a chosen id and no file behind it (ids that share a prefix, missing files). */
export async function insertSyntheticItem(
  cat: Catalog,
  id: string,
  sortTime = '2024-05-01T08:00:00',
  undated = false,
  cardId: string | null = null,
): Promise<void> {
  const row = buildItemRow(
    {
      sha256: id,
      type: 'photo',
      ext: 'jpg',
      size: 10,
      monitor: 'Zed',
      originalName: `${id.slice(0, 8)}.jpg`,
      mtimeMs: Date.parse(`${sortTime}Z`),
      importedAt: '2024-06-01T10:00:00.000Z',
      cardId,
      // A photo with its capture time (undated: only the file's time, as a scan or a copy has).
      probe: { facts: undated ? {} : { capturedAt: { local: sortTime, source: 'exif' } }, warnings: [] },
      timeZone: 'UTC',
    },
    `library/Zed/2024-06-01/${id.slice(0, 16)}.jpg`,
  );
  await insertPendingItem(cat, row);
  await markStored(cat, id);
}

export async function appFor(
  lib: Pick<TestLibrary, 'catalog' | 'drive' | 'clock'>,
  extra: Partial<AppDeps> = {},
): Promise<FastifyInstance> {
  // Login is on by default in buildApp; these tests are about the routes, so everyone may do
  // everything unless a test passes its own check (test/integration/auth tests the real one).
  return buildApp({
    catalog: lib.catalog,
    drive: lib.drive,
    // A station's server: sidecars and moved files on the library drive.
    files: { root: lib.drive.layout.root },
    node: NODE,
    clock: lib.clock,
    authenticate: allowAll,
    ...extra,
  });
}

/** inject() + JSON body, with the response in the assertion message when it is not JSON. */
export async function call<T = Record<string, unknown>>(
  app: FastifyInstance,
  opts: InjectOptions,
): Promise<{ res: LightMyRequestResponse; status: number; body: T }> {
  const res = await app.inject(opts);
  let body: T;
  try {
    body = JSON.parse(res.body) as T;
  } catch {
    body = undefined as T;
  }
  return { res, status: res.statusCode, body };
}

export interface ErrorJson {
  error: { code: string; message: string; hint: string; details?: Record<string, unknown> };
}
