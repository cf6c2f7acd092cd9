import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { fixedClock } from '../../src/adapters/clock.js';
import { silentLogger } from '../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../src/adapters/process-runner.js';
import { parseConfig } from '../../src/config/load.js';
import { fingerprintCard } from '../../src/ingest/fingerprint.js';
import { ingestCard } from '../../src/ingest/ingest.js';
import { openCatalog, type Catalog } from '../../src/library/catalog/open.js';
import { initDrive } from '../../src/library/drive.js';
import { makeVideoCopies } from '../../src/library/intake/index.js';
import { createMediaAnalyzer } from '../../src/media/analyzer.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { nodeReadMountInfo } from '../../src/station/mount-watcher.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

/** The office link of issue 13 §1.12: 1 Mbit/s each way, 300 ms round trip. */
const SETUP_CODE = 'V1DE-0SLW';
const SLOW_LINK = {
  offline: false,
  latency: 300,
  downloadThroughput: 1_000_000 / 8,
  uploadThroughput: 1_000_000 / 8,
};

async function ffmpeg(args: string[]): Promise<void> {
  const r = await nodeProcessRunner.run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/** A video in the item view over a slow link: the small copy plays first, the original on demand. */
describe('web app: video over a slow link (headless Chromium, tablet)', { timeout: 180_000 }, () => {
  let work: string;
  let cat: Catalog;
  let app: FastifyInstance;
  let url: string;
  let b: (TestBrowser & { errors: string[] }) | undefined;
  let videoId: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-webapp-video-'));
    const dcim = join(work, 'card', 'DCIM', '100CAM');
    await mkdir(dcim, { recursive: true });
    // 8 s of 1280×720 at ~6 Mbit/s, as a phone records: ~6 MB, 48 s of download at 1 Mbit/s.
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
      '8',
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
      join(dcim, 'CLIP.MP4'),
    ]);
    const clock = fixedClock(new Date('2024-06-01T10:00:00Z'), 1000);
    const drive = await initDrive(join(work, 'drive'), { label: 'A', now: clock.now() });
    const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });
    const card = join(work, 'card');
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
    assert.equal(s.copied, 1);
    cat = await openCatalog(drive.layout.catalog);
    const made = await makeVideoCopies(cat, drive.layout.root, analyzer, {
      now: () => clock.now().toISOString(),
    });
    assert.equal(made.made, 1);
    app = await buildApp({
      catalog: cat,
      drive,
      files: { root: drive.layout.root },
      node: 'station-test',
      clock,
      setupCode: SETUP_CODE,
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser({ tablet: true });
    const page = b.page;
    await page.goto(url);
    await page.waitForSelector('form.login');
    await page.fill('input[name=setup-code]', SETUP_CODE);
    await page.fill('input[name=name]', 'editor');
    await page.fill('input[name=password]', 'a-long-test-password');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');
    const res = await b.context.request.get(`${url}/api/items`);
    videoId = ((await res.json()) as { items: { id: string }[] }).items[0]!.id;
  });
  after(async () => {
    await b?.close();
    await app?.close();
    await cat?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('plays the small copy within seconds at 1 Mbit/s, and the original on demand', async () => {
    const page = b!.page;
    await page.goto(`${url}/?item=${videoId}`);
    await page.waitForSelector('.item-view video', { state: 'attached' });
    const cdp = await b!.context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', SLOW_LINK);
    assert.match((await page.getAttribute('.item-view video', 'src')) ?? '', /\/video$/);
    // The label says what plays; the button offers the original.
    assert.match((await page.textContent('.media-source')) ?? '', /Small copy/);
    const started = Date.now();
    await page.evaluate(
      `(() => { const v = document.querySelector('.item-view video'); v.muted = true; void v.play(); })()`,
    );
    // Two seconds of picture played: the clip is really streaming, not just started.
    await page.waitForFunction(`document.querySelector('.item-view video').currentTime >= 2`, undefined, {
      timeout: 20_000,
      polling: 100,
    });
    const seconds = (Date.now() - started) / 1000;
    // The original needs ~48 s just to arrive at this speed; the copy (~0.7 Mbit/s) streams.
    assert.ok(seconds < 12, `2 s of video took ${seconds.toFixed(1)} s to play`);
    await cdp.send('Network.emulateNetworkConditions', {
      ...SLOW_LINK,
      downloadThroughput: -1,
      uploadThroughput: -1,
      latency: 0,
    });
    await page.tap('.media-source button');
    await page.waitForFunction(
      `/\\/original$/.test(document.querySelector('.item-view video').getAttribute('src'))`,
    );
    assert.match((await page.textContent('.media-source')) ?? '', /Original/);
    await page.tap('.media-source button');
    await page.waitForFunction(
      `/\\/video$/.test(document.querySelector('.item-view video').getAttribute('src'))`,
    );
  });

  it('downloads a zip of the selection: the originals, byte for byte, and their metadata', async () => {
    const page = b!.page;
    await page.goto(`${url}/`);
    await page.waitForSelector(`.cell[data-id="${videoId}"]`);
    await page.tap(`.cell[data-id="${videoId}"] .check`);
    await page.waitForSelector('form.bulk');
    await page.locator('.export-zip > summary').tap();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('.export-zip-menu button').first().tap(),
    ]);
    assert.match(download.suggestedFilename(), /^outpost-1-originals\.zip$/);
    const file = (await download.path())!;
    execFileSync('unzip', ['-tq', file]);
    const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
    const original = names.find((n) => n.startsWith('Ana/') && /\.mp4$/i.test(n));
    assert.ok(original, names.join(', '));
    const bytes = execFileSync('unzip', ['-p', file, original], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(createHash('sha256').update(bytes).digest('hex'), videoId);
    assert.ok(names.includes('outpost-export.csv'));
    await page.locator('.toast', { hasText: /zip of 1 items/ }).waitFor();
  });
});
