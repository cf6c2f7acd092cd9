/**
 * The Video page on a tablet (headless Chromium): a camera's day as a timeline of recorded spans
 * (a gap where two segments were deleted), a range chosen by dragging across it and set to the
 * second in the time fields, exported exactly; the export plays to its end in the page, and
 * the page speaks Spanish.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { nodeProcessRunner } from '../../src/adapters/process-runner.js';
import { DEFAULT_NAME_TEMPLATE } from '../../src/core/naming.js';
import { deleteItemRow } from '../../src/library/catalog/items.js';
import { libraryFile } from '../../src/library/layout.js';
import { createMediaAnalyzer } from '../../src/media/analyzer.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { createVideoApi, type VideoApi } from '../../src/video/control.js';
import { NODE, emptyLibrary } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';
import { recordSegments } from '../kit/segments.js';

const SETUP_CODE = 'VIDEO-EXPORT';
const DAY = '2026-11-21';
const T0 = Date.parse(`${DAY}T10:00:00Z`);

describe('web app: Video page (headless Chromium, tablet)', { timeout: 300_000 }, () => {
  let lib: Awaited<ReturnType<typeof emptyLibrary>>;
  let app: FastifyInstance;
  let video: VideoApi;
  let url: string;
  let b: TestBrowser;
  let page: Page;
  let segs: Awaited<ReturnType<typeof recordSegments>>;

  before(async () => {
    lib = await emptyLibrary();
    segs = await recordSegments(lib.drive, {
      camera: 'gate',
      startMs: T0,
      seconds: 60,
      segmentS: 10,
      work: lib.drive.layout.tmpDir,
    });
    // 10:00:30–10:00:40 was never recorded (deleted).
    await rm(libraryFile(lib.drive.layout.root, segs[3]!.item.path));
    await deleteItemRow(lib.catalog, segs[3]!.item.id);
    video = createVideoApi(lib.catalog, lib.drive.layout, {
      runner: nodeProcessRunner,
      analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
      clock: { now: () => new Date() },
      timeZone: 'UTC',
      nameTemplate: DEFAULT_NAME_TEMPLATE,
      thumbnailSize: 160,
      previewSize: 640,
      lowPriority: true,
    });
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: { now: () => new Date() },
      setupCode: SETUP_CODE,
      timeZone: 'UTC',
      video,
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser({ tablet: true, timezoneId: 'UTC' });
    page = b.page;
    await page.goto(url);
    await page.waitForSelector('form.login');
    await page.fill('input[name=setup-code]', SETUP_CODE);
    await page.fill('input[name=name]', 'editor');
    await page.fill('input[name=password]', 'a-long-test-password');
    await page.locator('form.login button[type=submit]').tap();
    await page.waitForSelector('nav.nav');
  });

  after(async () => {
    await b?.close();
    await video?.close();
    await app?.close();
    await lib?.close();
  });

  it('shows the day’s recordings with the gap, exports a dragged range exactly, and plays it', async () => {
    await page.goto(`${url}/video?camera=gate&day=${DAY}`);
    await page.waitForSelector('.video-span');
    const spans = await page.$$eval('.video-span', (els) => els.map((e) => e.getAttribute('title')));
    assert.deepEqual(spans, ['Recorded 10:00:00–10:00:30', 'Recorded 10:00:40–10:01:00']);
    // Drag across the timeline (the whole morning), then set the range to the second.
    const box = (await page.locator('.video-timeline').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    assert.ok(await page.locator('.video-sel').isVisible(), 'the dragged range is drawn');
    assert.match(await page.inputValue('input[name=video-from]'), /^09:3\d:\d\d$/);
    await page.fill('input[name=video-from]', '10:00:05');
    await page.fill('input[name=video-to]', '10:00:52');
    await page.locator('button.video-export').tap();
    const job = page.locator('.video-job').first();
    await page.waitForSelector('.video-job[data-state=done]', { timeout: 120_000 });
    const text = (await job.textContent()) ?? '';
    assert.match(text, /Exact cuts: \d+ frames re-encoded, the rest copied\./);
    assert.match(text, /Not recorded: 10:00:30–10:00:40/);
    assert.match(text, /37 s/);
    // The export plays to its end in the page.
    await page.evaluate(
      `(() => { const v = document.querySelector('.video-job video'); v.muted = true; v.playbackRate = 8; void v.play(); })()`,
    );
    await page.waitForFunction(`document.querySelector('.video-job video').ended === true`, undefined, {
      timeout: 60_000,
      polling: 200,
    });
    const played = await page.evaluate(`document.querySelector('.video-job video').duration`);
    assert.ok(Math.abs(Number(played) - 37) < 0.1, `duration ${String(played)}`);
  });

  it('the editor: in and out by touch, split, delete a piece, join a clip and trim it, export, play the result', async () => {
    const clip = segs[0]!.item.id;
    await page.goto(`${url}/edit?item=${clip}`);
    await page.waitForSelector('.editor-key', { state: 'attached' });
    await page.waitForFunction(`document.querySelector('.editor-player').readyState >= 1`);
    const bar = page.locator('.editor-timeline');
    const box = (await bar.boundingBox())!;
    const tapAt = async (frac: number): Promise<void> => {
      await bar.tap({ position: { x: box.width * frac, y: box.height / 2 } });
      await page.waitForFunction(
        `Math.abs(document.querySelector('.editor-player').currentTime - ${frac * 10}) < 0.3`,
      );
    };
    await tapAt(0.2);
    await page.locator('button.editor-in').tap();
    await tapAt(0.8);
    await page.locator('button.editor-out').tap();
    await tapAt(0.5);
    await page.locator('button.editor-split').tap();
    assert.equal(await page.locator('.editor-pieces li').count(), 2);
    await page.locator('.editor-pieces li[data-piece="0"] .editor-delete').tap();
    await page.selectOption('select[name=editor-add]', segs[1]!.item.id);
    await page.locator('button.editor-add').tap();
    // The joined clip is trimmed too: its piece brings it into the player and onto the timeline.
    await page.locator('.editor-pieces li[data-piece="1"] span').tap();
    await page.waitForSelector(`.editor-player[data-clip="${segs[1]!.item.id}"]`);
    await page.waitForFunction(
      `document.querySelector('.editor-player').readyState >= 1 && document.querySelector('.editor-player').duration > 9`,
    );
    await page.waitForSelector('.editor-timeline .editor-piece.selected', { state: 'attached' });
    await tapAt(0.3);
    await page.locator('button.editor-in').tap();
    const rows = await page.$$eval('.editor-pieces li span', (els) => els.map((e) => e.textContent ?? ''));
    assert.equal(rows.length, 2, rows.join(' | '));
    const lengths = rows.map((r) => Number(/\(([\d.]+) s\)/.exec(r)![1]));
    assert.ok(Math.abs(lengths[0]! - 3) < 0.4 && Math.abs(lengths[1]! - 7) < 0.4, rows.join(' | '));
    await page.locator('button.editor-export').tap();
    await page.waitForSelector('.video-job[data-state=done]', { timeout: 120_000 });
    assert.match((await page.textContent('.video-job')) ?? '', /Exact cuts/);
    await page.evaluate(
      `(() => { const v = document.querySelector('.video-job video'); v.muted = true; v.playbackRate = 8; void v.play(); })()`,
    );
    await page.waitForFunction(`document.querySelector('.video-job video').ended === true`, undefined, {
      timeout: 60_000,
      polling: 200,
    });
    const played = Number(await page.evaluate(`document.querySelector('.video-job video').duration`));
    assert.ok(Math.abs(played - (lengths[0]! + lengths[1]!)) < 0.15, `duration ${played}`);
  });

  it('in Spanish', async () => {
    await page.goto(`${url}/video?camera=gate&day=${DAY}`);
    await Promise.all([page.waitForEvent('load'), page.selectOption('select[name=language]', 'es')]);
    await page.waitForSelector('.video-page h1');
    assert.equal(await page.textContent('.video-page h1'), 'Vídeo');
    assert.equal(await page.textContent('nav.nav a[href="/video"]'), 'Vídeo');
    assert.match((await page.textContent('.video-job')) ?? '', /Cortes exactos/);
    await Promise.all([page.waitForEvent('load'), page.selectOption('select[name=language]', 'en')]);
  });
});
