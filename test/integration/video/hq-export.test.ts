/**
 * Video at HQ (src/hq/video.ts): a station's recorded segments arrive through the upload
 * protocol; HQ exports a range of `<station>/<camera>` from its object store through its video
 * API, the result is exact, goes into HQ's gallery and object store through HQ's own uploads (as
 * `<node>-video`) and leaves the video library. Read through a store that is not a local disk,
 * the segments are fetched for the job and removed after it, and the export is the same bytes.
 * A segment missing from the store is a gap that says so.
 */
import assert from 'node:assert/strict';
import { readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { addUser } from '../../../src/auth/users.js';
import { DEFAULT_NAME_TEMPLATE } from '../../../src/core/naming.js';
import { buildHqApp } from '../../../src/hq/app.js';
import { hqCatalogLocation, openHqDataDir } from '../../../src/hq/data-dir.js';
import { LocalDiskStore } from '../../../src/hq/local-disk-store.js';
import type { ObjectStore } from '../../../src/hq/object-store.js';
import { startLoopbackUplink, type LoopbackUplink } from '../../../src/hq/own-library.js';
import { objectStoreSource, openHqVideo, type HqVideo } from '../../../src/hq/video.js';
import { getItem } from '../../../src/library/catalog/items.js';
import { objectOf } from '../../../src/library/catalog/objects.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { startServer } from '../../../src/server/server.js';
import { exportRange } from '../../../src/video/export-range.js';
import { outpost } from '../../kit/cli.js';
import { countFrames } from '../../kit/ffprobe.js';
import { recordSegments, type MadeSegment } from '../../kit/segments.js';

const FPS = 25;
const T0 = Date.parse('2026-11-21T14:00:00Z');
const ZONE = 'UTC';
const FAST = { N: 1024, r: 8, p: 1 };
const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });

let work: string;
let catalog: Catalog;
let store: LocalDiskStore;
let video: HqVideo;
let station: Drive;
let stationUp: LoopbackUplink;
let segs: MadeSegment[];
let url: string;
let closeApp: () => Promise<void>;
let session: Record<string, string>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function eventually<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const t = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t > ms) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}

interface Job {
  id: string;
  state: string;
  itemId: string;
  error?: unknown;
  result: { mode: string; frames: number; gaps: { from: string; reason: string }[] };
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of several shapes, checked by the assertions
type Json = any;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...session, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-hq-video-'));
  const data = await openHqDataDir(join(work, 'hq'), new Date());
  catalog = await openCatalog(hqCatalogLocation(data, 'sqlite'));
  store = await new LocalDiskStore(data.objectsDir).init();
  video = await openHqVideo({
    config: { ingest: { nameTemplate: DEFAULT_NAME_TEMPLATE, thumbnailSize: 320, previewSize: 1600 } },
    node: 'hq-main',
    timeZone: ZONE,
    dataDir: data.drive.layout.root,
    catalog,
    store,
    clock: systemClock,
    log: silentLogger,
    runner: nodeProcessRunner,
    analyzer,
  });
  const hq = await buildHqApp({
    data,
    catalog,
    store,
    clock: systemClock,
    log: silentLogger,
    node: 'hq-main',
    video: video.control,
  });
  url = (await startServer(hq.app, { host: '127.0.0.1', port: 0 })).url;
  closeApp = () => hq.app.close();
  await addUser(catalog, {
    name: 'ed',
    role: 'editor',
    password: 'correct horse battery',
    now: new Date(),
    scrypt: FAST,
  });
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
    body: JSON.stringify({ name: 'ed', password: 'correct horse battery' }),
  });
  assert.equal(res.status, 200, await res.text());
  session = {
    cookie: /outpost_session=[^;]*/.exec(res.headers.get('set-cookie') ?? '')![0],
    'x-outpost-csrf': '1',
  };

  // A station: a minute of `gate` in 10 s segments with sound, sent to HQ as stations send.
  station = await initDrive(join(work, 'station'), { label: 'A', now: new Date() });
  segs = await recordSegments(station, { camera: 'gate', startMs: T0, seconds: 60, segmentS: 10, work });
  stationUp = await startLoopbackUplink({
    drive: station,
    hqCatalog: catalog,
    station: 'gate-pi',
    url,
    now: new Date(),
    timeZone: ZONE,
    log: silentLogger,
    what: 'test station',
  });
  await eventually('HQ holds every segment', async () => {
    // Thumbnails and previews come first; the originals after them.
    for (const s of segs) if (!(await objectOf(catalog, s.item.id, 'original'))) return undefined;
    return true;
  });
  await video.startUplink(url);
});

after(async () => {
  await stationUp?.close();
  await video?.close();
  await closeApp?.();
  await catalog?.close();
  await rm(work, { recursive: true, force: true });
});

describe('video at HQ, from the object store', { timeout: 300_000 }, () => {
  let exported: string;

  it('lists cameras per station and exports an exact range into HQ’s gallery', async () => {
    const cams = await api('GET', '/api/video/cameras');
    assert.deepEqual(cams.body.cameras, ['gate-pi/gate']);
    const tl = await api(
      'GET',
      `/api/video/timeline?camera=gate-pi/gate&from=${new Date(T0).toISOString()}&to=${new Date(T0 + 60_000).toISOString()}`,
    );
    assert.equal(tl.status, 200, JSON.stringify(tl.body));
    assert.equal(tl.body.spans.length, 1);
    // 12.4 s to 47.64 s: both ends between keyframes (every 10 s).
    const fromMs = T0 + 12_400;
    const toMs = T0 + 47_640;
    const started = await api('POST', '/api/video/exports', {
      camera: 'gate-pi/gate',
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = await eventually('the export ends', async () => {
      const j = (await api('GET', '/api/video/exports')).body.exports.find(
        (x: Job) => x.id === started.body.id,
      );
      return j && ['done', 'failed'].includes(j.state) ? j : undefined;
    });
    assert.equal(job.state, 'done', JSON.stringify(job.error));
    assert.equal(job.result.mode, 'smart');
    assert.equal(job.result.frames, Math.round(((toMs - fromMs) / 1000) * FPS));
    exported = job.itemId;
    // Into HQ's catalogue and object store, as HQ's own video station; then out of the library.
    const row = await eventually('HQ holds the export', async () =>
      (await objectOf(catalog, exported, 'original')) ? getItem(catalog, exported) : undefined,
    );
    assert.equal(row.monitor, 'gate-pi-gate');
    assert.equal(row.card_id, 'export:gate-pi-gate');
    const obj = await objectOf(catalog, exported, 'original');
    assert.ok(obj && (await store.has(obj.sha256)));
    assert.equal(countFrames(store.localPath(obj.sha256)), job.result.frames);
    const facts = JSON.parse(row.facts) as { export?: { sources?: string[] } };
    assert.deepEqual(
      [...(facts.export?.sources ?? [])].sort(),
      segs
        .slice(1, 5)
        .map((s) => s.item.id)
        .sort(),
      'linked to the segments it was made of',
    );
    await eventually('the video library lets it go', async () => {
      const lib = await openCatalog(join(work, 'hq', 'video', '.outpost', 'catalog.sqlite'));
      try {
        const r = await getItem(lib, exported);
        return r && r.state !== 'stored' ? true : undefined;
      } finally {
        await lib.close();
      }
    });
  });

  it('through a store that is not a local disk: segments fetched for the job, removed after, the same bytes', async () => {
    // The same store without its local paths: every read goes through getStream, as S3 and Azure do.
    const remote: ObjectStore = {
      putFile: (s, p) => store.putFile(s, p),
      has: (s) => store.has(s),
      stat: (s) => store.stat(s),
      getStream: (s, r) => store.getStream(s, r),
      delete: (s) => store.delete(s),
      list: () => store.list(),
    };
    const lib = await initDrive(join(work, 'scratch-lib'), { label: 'S', now: new Date() });
    const libCat = await openCatalog(lib.layout.catalog);
    try {
      const fetchedSeen: string[] = [];
      const r = await exportRange(
        libCat,
        lib.layout,
        { camera: 'gate-pi/gate', fromMs: T0 + 12_400, toMs: T0 + 47_640, mode: 'smart' },
        {
          runner: nodeProcessRunner,
          analyzer,
          clock: systemClock,
          timeZone: ZONE,
          nameTemplate: DEFAULT_NAME_TEMPLATE,
          thumbnailSize: 320,
          previewSize: 1600,
          lowPriority: false,
          source: objectStoreSource(catalog, remote, lib.layout.tmpDir),
          onProgress: () => {
            void readdir(lib.layout.tmpDir).then((n) =>
              fetchedSeen.push(...n.filter((x) => x.startsWith('fetch-'))),
            );
          },
        },
      );
      assert.equal(r.item.id, exported, 'the same range is the same bytes');
      assert.ok(fetchedSeen.length > 0, 'the segments were fetched into scratch');
      assert.deepEqual(
        (await readdir(lib.layout.tmpDir)).filter((x) => x.startsWith('fetch-')),
        [],
        'and removed after the job',
      );
    } finally {
      await libCat.close();
    }
  });

  it('outpost export --hq: the same export from the command line, into the video library', async () => {
    const cfg = join(work, 'hq-cli.yaml');
    await writeFile(
      cfg,
      `timeZone: ${ZONE}\nstation:\n  clock:\n    stateFile: ${join(work, 'clock.json')}\n`,
    );
    const r = await outpost(
      [
        'export',
        '--hq',
        join(work, 'hq'),
        '--camera',
        'gate-pi/gate',
        '--from',
        new Date(T0 + 12_400).toISOString(),
        '--to',
        new Date(T0 + 47_640).toISOString(),
        '--out',
        join(work, 'cli.mp4'),
        '--json',
      ],
      { env: { OUTPOST_CONFIG: cfg, TZ: 'UTC' } },
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const j = JSON.parse(r.stdout) as { id: string; frames: number; out: string };
    assert.equal(j.id, exported, 'the same range is the same bytes');
    assert.equal(countFrames(join(work, 'cli.mp4')), j.frames);
    const bad = await outpost(
      [
        'export',
        '--hq',
        join(work, 'hq'),
        '--camera',
        'nobody/cam',
        '--from',
        new Date(T0).toISOString(),
        '--to',
        new Date(T0 + 5000).toISOString(),
      ],
      { env: { OUTPOST_CONFIG: cfg, TZ: 'UTC' } },
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /recorded nothing/);
  });

  it('a segment missing from the object store is a gap that says so', async () => {
    const obj = await objectOf(catalog, segs[2]!.item.id, 'original');
    assert.ok(obj);
    await store.delete(obj.sha256);
    const started = await api('POST', '/api/video/exports', {
      camera: 'gate-pi/gate',
      from: new Date(T0 + 5000).toISOString(),
      to: new Date(T0 + 45_000).toISOString(),
      mode: 'keyframe',
    });
    assert.equal(started.status, 202);
    const job = await eventually('the export ends', async () => {
      const j = (await api('GET', '/api/video/exports')).body.exports.find(
        (x: Job) => x.id === started.body.id,
      );
      return j && ['done', 'failed'].includes(j.state) ? j : undefined;
    });
    assert.equal(job.state, 'done', JSON.stringify(job.error));
    const gap = job.result.gaps.find((g: Job['result']['gaps'][number]) => g.reason === 'unreadable');
    assert.ok(gap, JSON.stringify(job.result.gaps));
    assert.equal(Date.parse(gap.from), segs[2]!.startMs);
  });
});
