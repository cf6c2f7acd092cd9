import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { fixedClock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { parseConfig } from '../../../src/config/load.js';
import { mirrorDrives } from '../../../src/drives/mirror.js';
import { fingerprintCard } from '../../../src/ingest/fingerprint.js';
import { ingestCard } from '../../../src/ingest/ingest.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { makeVideoCopies } from '../../../src/library/intake/index.js';
import { derivedRelPath } from '../../../src/library/layout.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import type { ItemRecord } from '../../../src/server/schemas.js';
import { nodeReadMountInfo } from '../../../src/station/mount-watcher.js';
import { appFor, call } from '../server/library.js';
import { deps as mirrorDeps, mirrorOpts } from '../drives/helpers.js';

async function ffmpeg(args: string[]): Promise<void> {
  const r = await nodeProcessRunner.run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

describe('videos get a streaming copy after ingest (real ffmpeg, real drive, real server)', () => {
  let work: string;
  let drive: Drive;
  let cat: Catalog;
  let app: FastifyInstance;
  const clock = fixedClock(new Date('2024-06-01T10:00:00Z'), 1000);
  const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });
  let first: Awaited<ReturnType<typeof makeVideoCopies>>;
  let items: ItemRecord[];
  const byName = (n: string): ItemRecord => {
    const i = items.find((x) => x.originalName === n);
    assert.ok(i, n);
    return i;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-video-copies-'));
    const card = join(work, 'card');
    const dcim = join(card, 'DCIM', '100CAM');
    await mkdir(dcim, { recursive: true });
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=30,noise=alls=30:allf=t',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      '4',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-b:v',
      '6M',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-metadata',
      'creation_time=2024-05-01T08:00:00Z',
      join(dcim, 'PHONE.MP4'),
    ]);
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=15',
      '-t',
      '3',
      '-c:v',
      'mjpeg',
      '-q:v',
      '8',
      join(dcim, 'TRAIL.AVI'),
    ]);
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=15',
      '-t',
      '3',
      '-c:v',
      'libx264',
      '-b:v',
      '150k',
      '-pix_fmt',
      'yuv420p',
      '-metadata',
      'creation_time=2024-05-01T09:00:00Z',
      join(dcim, 'SMALL.MP4'),
    ]);
    drive = await initDrive(join(work, 'drive'), { label: 'A', now: clock.now() });
    const id = await fingerprintCard(card, { runner: nodeProcessRunner, readMountInfo: nodeReadMountInfo });
    const s = await ingestCard(
      {
        cardRoot: card,
        card: id,
        drive,
        monitor: 'Ana',
        settings: parseConfig({}, 'test').ingest,
        timeZone: 'UTC',
        node: 'station-test',
      },
      { analyzer, clock, log: silentLogger },
    );
    assert.equal(s.copied, 3, JSON.stringify(s));
    cat = await openCatalog(drive.layout.catalog);
    const progress: [number, number][] = [];
    first = await makeVideoCopies(cat, drive.layout.root, analyzer, {
      now: () => clock.now().toISOString(),
      onProgress: (d, t) => progress.push([d, t]),
    });
    assert.deepEqual(progress, [
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    app = await appFor({ catalog: cat, drive, clock });
    items = (await call<{ items: ItemRecord[] }>(app, { url: '/api/items?limit=50' })).body.items;
  });
  after(async () => {
    await app?.close();
    await cat?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('makes copies for the big clip and the AVI, none for the small MP4', async () => {
    assert.deepEqual(first, { made: 2, notNeeded: 1, failed: 0 });
    assert.equal(byName('PHONE.MP4').derivatives.video, true);
    assert.equal(byName('TRAIL.AVI').derivatives.video, true);
    assert.equal(byName('SMALL.MP4').derivatives.video, false);
    assert.equal(byName('SMALL.MP4').links.video, null);
    for (const n of ['PHONE.MP4', 'TRAIL.AVI']) {
      const st = await stat(join(drive.layout.root, derivedRelPath(byName(n).id, 'video')));
      assert.ok(st.size > 1000, n);
    }
  });

  it('does not look at the same videos again', async () => {
    const again = await makeVideoCopies(cat, drive.layout.root, analyzer, {
      now: () => clock.now().toISOString(),
    });
    assert.deepEqual(again, { made: 0, notNeeded: 0, failed: 0 });
  });

  it('serves the copy with HTTP Range (what video players and Safari need)', async () => {
    const phone = byName('PHONE.MP4');
    assert.ok(phone.links.video);
    const onDisk = await readFile(join(drive.layout.root, derivedRelPath(phone.id, 'video')));
    const whole = await app.inject({ url: phone.links.video });
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['content-type'], 'video/mp4');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.match(String(whole.headers['cache-control']), /immutable/);
    assert.ok(whole.rawPayload.equals(onDisk));
    const part = await app.inject({ url: phone.links.video, headers: { range: 'bytes=100-1099' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 100-1099/${onDisk.length}`);
    assert.ok(part.rawPayload.equals(onDisk.subarray(100, 1100)));
    const tooFar = await app.inject({
      url: phone.links.video,
      headers: { range: `bytes=${onDisk.length + 10}-` },
    });
    assert.equal(tooFar.statusCode, 416);
    const etag = String(whole.headers.etag);
    const cached = await app.inject({ url: phone.links.video, headers: { 'if-none-match': etag } });
    assert.equal(cached.statusCode, 304);
  });

  it('says to play the original when there is no copy', async () => {
    const small = byName('SMALL.MP4');
    const r = await call<{ error: { code: string; message: string } }>(app, {
      url: `/api/items/${small.id}/video`,
    });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'RENDITION_NOT_FOUND');
    assert.match(r.body.error.message, /original/);
  });

  it('the mirror copies the streaming copies to the second drive', async () => {
    const b = await initDrive(join(work, 'driveB'), { label: 'B', now: clock.now() });
    const s = await mirrorDrives(drive, b, mirrorOpts(), mirrorDeps());
    assert.equal(s.copiedAtoB, 3);
    for (const n of ['PHONE.MP4', 'TRAIL.AVI']) {
      const rel = derivedRelPath(byName(n).id, 'video');
      const [x, y] = await Promise.all([
        readFile(join(drive.layout.root, rel)),
        readFile(join(b.layout.root, rel)),
      ]);
      assert.ok(x.equals(y), `${n}: the same bytes on both drives`);
    }
  });
});
