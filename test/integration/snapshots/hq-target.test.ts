/**
 * HQ as the cameras' off-site FTP target (src/hq/snapshots.ts): a camera uploads with curl to
 * HQ's FTP server; its snapshots are kept in HQ's snapshot library; the day's timelapse goes
 * into HQ's catalogue and object store through HQ's own upload protocol (verified there), leaves
 * the snapshot library and still plays; only then may retention delete the day's JPEGs. A camera's
 * retry is stored once, garbage is refused and counted, and a restart reuses the upload key.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger, silentLogger } from '../../../src/adapters/logger.js';

const log = process.env.DBG ? createLogger('debug') : silentLogger;
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { addUser } from '../../../src/auth/users.js';
import { snapshotsSchema } from '../../../src/config/snapshots.js';
import { DEFAULT_NAME_TEMPLATE } from '../../../src/core/naming.js';
import { buildHqApp } from '../../../src/hq/app.js';
import { hqCatalogLocation, openHqDataDir } from '../../../src/hq/data-dir.js';
import { listStationKeys } from '../../../src/hq/keys.js';
import { openHqSnapshots, type HqSnapshots } from '../../../src/hq/snapshots.js';
import { getItem } from '../../../src/library/catalog/items.js';
import { objectOf } from '../../../src/library/catalog/objects.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { startServer } from '../../../src/server/server.js';
import { eventually, jpeg, run, sha256, testClock } from './ftp-kit.js';

const ZONE = 'America/Lima';
const DAY = '2026-12-03';
/** 10:00 in Lima. */
const START = Date.parse(`${DAY}T15:00:00Z`);
const FAST = { N: 1024, r: 8, p: 1 };
const N = 24;

const clock = testClock(START);
let work: string;
let dataDir: string;
let catalog: Catalog;
let snaps: HqSnapshots;
let url: string;
let closeApp: () => Promise<void>;
let session: Record<string, string>;
let ftpPort: number;
const ids: string[] = [];

const config = snapshotsSchema.parse({
  ftp: {
    enabled: true,
    host: '127.0.0.1',
    port: 0,
    passivePorts: { min: 36000 + (process.pid % 50) * 20, max: 36000 + (process.pid % 50) * 20 + 19 },
    publicAddress: '127.0.0.1',
    users: [{ user: 'gatecam', password: 'gate-password', camera: 'gate' }],
  },
  cameras: [{ name: 'gate', timeZone: ZONE, intervalS: 60 }],
  keepDays: 1,
  keepOnePerHour: false,
  timelapse: { fps: 10, preset: 'ultrafast', crf: 30 },
});

async function openSnaps(): Promise<HqSnapshots> {
  const s = await openHqSnapshots({
    config: {
      snapshots: { ...config, ftp: { ...config.ftp, areaDir: join(work, 'ftp') } },
      ingest: { nameTemplate: DEFAULT_NAME_TEMPLATE, thumbnailSize: 320, previewSize: 1600 },
    },
    node: 'HQ_main',
    timeZone: ZONE,
    dataDir,
    catalog,
    clock,
    log,
    runner: nodeProcessRunner,
    analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
  });
  assert.ok(s, 'a snapshot camera is configured');
  return s;
}

async function api(method: string, path: string): Promise<{ status: number; body: unknown; bytes: Buffer }> {
  const res = await fetch(`${url}${path}`, { method, headers: session });
  const bytes = Buffer.from(await res.arrayBuffer());
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    body = undefined;
  }
  return { status: res.status, body, bytes };
}

async function curlUp(file: string, name: string): Promise<void> {
  const r = await run('curl', [
    '-sS',
    '-u',
    'gatecam:gate-password',
    '-T',
    file,
    `ftp://127.0.0.1:${ftpPort}/${name}`,
  ]);
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-hq-snap-'));
  const data = await openHqDataDir(join(work, 'hq'), clock.now());
  dataDir = data.drive.layout.root;
  catalog = await openCatalog(hqCatalogLocation(data, 'sqlite'));
  snaps = await openSnaps();
  const hq = await buildHqApp({
    data,
    catalog,
    clock,
    log,
    node: 'hq-main',
    snapshots: snaps.control,
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
  const st = snaps.control.status();
  assert.ok(st.ftp, 'the FTP server runs in HQ');
  ftpPort = st.ftp.port;
});

after(async () => {
  await snaps?.close();
  await closeApp?.();
  await catalog?.close();
  await rm(work, { recursive: true, force: true });
});

describe('HQ as the snapshot FTP target', () => {
  it('takes a camera’s uploads in once each, refuses garbage, and shows them on its Snapshots API', async () => {
    const send = join(work, 'send');
    await mkdir(send);
    for (let i = 0; i < N; i++) {
      // Minutes 10–15 are an outage: nothing arrives.
      clock.advance(i === 10 ? 7 * 60_000 : 60_000);
      const bytes = await jpeg(i);
      ids.push(sha256(bytes));
      const f = join(send, `snap_${i}.jpg`);
      await writeFile(f, bytes);
      await curlUp(f, `gate_${String(i).padStart(3, '0')}.jpg`);
    }
    // A retry of the last one (the camera missed the 226) and a file that is no JPEG.
    await curlUp(join(send, `snap_${N - 1}.jpg`), 'retry.jpg');
    await writeFile(join(send, 'bad.jpg'), 'not a picture at all');
    const bad = await run('curl', [
      '-sS',
      '-u',
      'gatecam:gate-password',
      '-T',
      join(send, 'bad.jpg'),
      `ftp://127.0.0.1:${ftpPort}/bad.jpg`,
    ]);
    assert.notEqual(bad.code, 0, 'garbage is refused to the camera');

    const st = await api('GET', '/api/snapshots');
    assert.equal(st.status, 200);
    const s = st.body as {
      cameras: {
        camera: string;
        today: { day: string; snapshots: number; rejected: number; gaps: unknown[] };
      }[];
      ftp: { accepted: number };
    };
    const gate = s.cameras.find((c) => c.camera === 'gate')!;
    assert.equal(gate.today.day, DAY);
    assert.equal(gate.today.snapshots, N, 'every upload once (the retry is the same bytes)');
    assert.equal(gate.today.rejected, 1);
    assert.equal(gate.today.gaps.length, 1, 'the outage is a gap');
    // The day strip's pictures come from HQ's snapshot library.
    const thumb = await api('GET', `/api/snapshots/items/${ids[0]}/thumb`);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.bytes.subarray(8, 12).toString('latin1'), 'WEBP');
    const orig = await api('GET', `/api/snapshots/items/${ids[3]}/original`);
    assert.equal(orig.status, 200);
    assert.equal(sha256(orig.bytes), ids[3]);
    // Nothing of the JPEGs is in HQ's gallery (`upload: timelapse`).
    assert.equal(await getItem(catalog, ids[0]!), undefined);
  });

  it('the timelapse goes into HQ’s object store, verified, before any JPEG of its day may go', async () => {
    // The next night: the timelapse is made, but HQ does not hold it yet (no uplink started).
    clock.advance(Date.parse(`2026-12-05T06:00:00Z`) - clock.now().getTime());
    const first = await snaps.nightly();
    assert.equal(first.made, 1);
    assert.equal(first.removed, 0, 'not one JPEG goes while HQ does not hold the timelapse');
    const days = (await api('GET', '/api/snapshots/gate/days')).body as {
      days: { day: string; state: string; timelapseId: string | null }[];
    };
    const tl = days.days.find((d) => d.day === DAY)!;
    assert.equal(tl.state, 'done');
    const tlId = tl.timelapseId!;
    const lib = join(dataDir, 'snapshots');
    const jpegs = async (): Promise<number> =>
      existsSync(join(lib, 'library', 'gate', DAY))
        ? (await readdir(join(lib, 'library', 'gate', DAY))).filter((f) => f.endsWith('.jpg')).length
        : 0;
    assert.equal(await jpegs(), N);

    await snaps.startUplink(url);
    await eventually(async () => {
      const obj = await objectOf(catalog, tlId, 'original');
      assert.ok(obj, 'HQ holds the timelapse');
      assert.ok(await getItem(catalog, tlId), 'and lists it in its gallery');
    }, 60_000);
    const item = (await getItem(catalog, tlId))!;
    assert.equal(item.card_id, 'timelapse:gate');
    // It leaves the snapshot library once confirmed, and still plays (from the object store, ranged).
    await eventually(async () => {
      const keys = await listStationKeys(catalog);
      assert.ok(keys.some((k) => k.station === snaps.station));
      const local = await readdir(join(lib, 'library', 'gate'), { recursive: true });
      assert.ok(
        !local.some((f) => String(f).endsWith('.mp4')),
        `timelapse still in the snapshot library: ${local.join(' ')}`,
      );
    }, 60_000);
    const whole = await api('GET', `/api/snapshots/items/${tlId}/original`);
    assert.equal(whole.status, 200);
    assert.equal(sha256(whole.bytes), tlId);
    const part = await fetch(`${url}/api/snapshots/items/${tlId}/original`, {
      headers: { ...session, range: 'bytes=0-99' },
    });
    assert.equal(part.status, 206);
    assert.equal((await part.arrayBuffer()).byteLength, 100);

    // Now the day's JPEGs may go (kept 1 day after a safe timelapse).
    const second = await snaps.nightly();
    assert.equal(second.removed, N);
    assert.equal(await jpegs(), 0, 'the day’s JPEGs are gone from the disk');
    assert.equal(await getItem(catalog, ids[0]!), undefined, 'no JPEG ever reached the gallery');
  });

  it('a restart reuses its upload key; a revoked key is replaced', async () => {
    const keyFile = join(dataDir, 'snapshots', '.outpost', 'hq-upload.key');
    const key = (await readFile(keyFile, 'utf8')).trim();
    await snaps.close();
    snaps = await openSnaps();
    await snaps.startUplink(url);
    assert.equal((await readFile(keyFile, 'utf8')).trim(), key, 'same key after a restart');
    assert.equal(
      (await listStationKeys(catalog)).filter((k) => k.station === snaps.station && !k.revokedAt).length,
      1,
    );
  });
});
