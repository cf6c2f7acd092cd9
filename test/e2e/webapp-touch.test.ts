import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { CDPSession, Page } from 'playwright-core';
import sharp from 'sharp';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { NODE, emptyLibrary, insertSyntheticItem } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

const SETUP_CODE = 'T0UC-HM3E';
const idOf = (n: number): string => createHash('sha256').update(`touch-${n}`).digest('hex');
const N = 12;

type P = { x: number; y: number };

/**
 * Touch on an iPad-sized tablet in real Chromium (issue 13, point 1.14): a long press selects
 * (it used to open the item), a swipe steps between items, two fingers zoom a photo, one finger
 * pans it, a double tap zooms back. Fingers are real touch events (CDP Input.dispatchTouchEvent),
 * which Chromium turns into the pointer events the app listens to.
 */
describe('web app touch gestures (headless Chromium, tablet)', { timeout: 120_000 }, () => {
  let lib: Awaited<ReturnType<typeof emptyLibrary>>;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;
  let cdp: CDPSession;

  const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', points: P[]): Promise<unknown> =>
    cdp.send('Input.dispatchTouchEvent', {
      type,
      touchPoints: points.map((p, id) => ({ x: p.x, y: p.y, id })),
    });
  /** One finger from `a` to `b` in `steps` moves over `ms`. */
  const stroke = async (a: P, z: P, steps = 8, ms = 160): Promise<void> => {
    await touch('touchStart', [a]);
    for (let i = 1; i <= steps; i++) {
      await touch('touchMove', [{ x: a.x + ((z.x - a.x) * i) / steps, y: a.y + ((z.y - a.y) * i) / steps }]);
      await page.waitForTimeout(ms / steps);
    }
    await touch('touchEnd', []);
  };
  const centreOf = async (selector: string): Promise<P> => {
    const box = await page.locator(selector).first().boundingBox();
    assert.ok(box, `${selector} is on screen`);
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  };
  const openId = (): string | null => new URL(page.url()).searchParams.get('item');
  const zoom = async (): Promise<number> =>
    Number((await page.getAttribute('.item-media', 'data-zoom')) ?? 'NaN');

  before(async () => {
    lib = await emptyLibrary();
    for (let i = 0; i < N; i++) {
      const id = idOf(i);
      // A minute apart: no two of them are a burst (stacked in one cell).
      await insertSyntheticItem(lib.catalog, id, `2024-05-01T08:${String(59 - i).padStart(2, '0')}:00`);
      // A real picture behind each item, so the viewer shows (and zooms) an image.
      const file = join(lib.drive.layout.root, `library/Zed/2024-06-01/${id.slice(0, 16)}.jpg`);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(
        file,
        await sharp({
          create: { width: 800, height: 600, channels: 3, background: { r: 20 * i, g: 90, b: 40 } },
        })
          .jpeg()
          .toBuffer(),
      );
    }
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: lib.clock,
      setupCode: SETUP_CODE,
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser({ tablet: true });
    page = b.page;
    cdp = await b.context.newCDPSession(page);
    await page.goto(url);
    await page.waitForSelector('form.login');
    await page.fill('input[name=setup-code]', SETUP_CODE);
    await page.fill('input[name=name]', 'editor');
    await page.fill('input[name=password]', 'a-long-test-password');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');
  });

  after(async () => {
    await b?.close();
    await app?.close();
    await lib?.close();
  });

  it('a long press selects the item instead of opening it; a short tap still opens', async () => {
    await page.goto(url);
    await page.waitForSelector('.cell');
    const first = await centreOf('.cell:nth-child(2) .thumb');
    await touch('touchStart', [first]);
    await page.waitForTimeout(800);
    await touch('touchEnd', []);
    await page.waitForSelector('.cell:nth-child(2).selected');
    await page.waitForSelector('form.bulk');
    await page.waitForTimeout(300);
    assert.equal(openId(), null, 'the long press did not open the item');
    assert.equal(await page.$('.item-view'), null);

    // With a selection, a tap adds to it (as in photo apps); the check box takes it out again.
    await page.tap('.cell:nth-child(3) .thumb');
    await page.waitForSelector('.cell:nth-child(3).selected');
    await page.tap('.cell:nth-child(2) .check');
    await page.tap('.cell:nth-child(3) .check');
    await page.waitForSelector('form.bulk', { state: 'detached' });

    // A finger that moves is scrolling, not pressing: nothing is selected.
    const c = await centreOf('.cell:nth-child(4) .thumb');
    await touch('touchStart', [c]);
    await touch('touchMove', [{ x: c.x, y: c.y - 40 }]);
    await page.waitForTimeout(800);
    await touch('touchEnd', []);
    await page.waitForTimeout(200);
    assert.equal(await page.$('.cell.selected'), null, 'a moving finger selects nothing');

    await page.tap('.cell:nth-child(1) .thumb');
    await page.waitForSelector('.item-view');
    assert.ok(openId(), 'a tap opens the item');
  });

  it('Compare shows 2 to 4 selected photos side by side; a pinch on one zooms them all; Esc closes', async () => {
    await page.goto(url);
    await page.waitForSelector('.cell');
    await page.tap('.cell:nth-child(1) .check');
    await page.waitForSelector('form.bulk');
    assert.equal(await page.isDisabled('.compare-button'), true, 'one photo: nothing to compare');
    for (const n of [2, 3]) await page.tap(`.cell:nth-child(${n}) .check`);
    const chosen = await page.$$eval('.cell.selected', (els) =>
      els.map((e) => e.getAttribute('data-id') ?? ''),
    );
    assert.equal(chosen.length, 3);
    await page.locator('.compare-button').tap();
    await page.waitForFunction(`document.querySelectorAll('.compare-pane img').length === 3`);
    await page.waitForFunction(
      `[...document.querySelectorAll('.compare-pane img')].every((i) => i.complete && i.naturalWidth > 0)`,
    );
    assert.deepEqual(
      new Set(await page.$$eval('.compare-pane', (els) => els.map((e) => e.getAttribute('data-id') ?? ''))),
      new Set(chosen),
    );
    assert.deepEqual(new Set(new URL(page.url()).searchParams.get('compare')?.split(',')), new Set(chosen));

    // Two fingers on the first photo: every photo shows the same zoom.
    const first = await page.locator('.compare-pane').first().boundingBox();
    assert.ok(first);
    const m = { x: first.x + first.width / 2, y: first.y + first.height / 2 };
    await touch('touchStart', [
      { x: m.x - 30, y: m.y },
      { x: m.x + 30, y: m.y },
    ]);
    for (let i = 1; i <= 8; i++) {
      await touch('touchMove', [
        { x: m.x - 30 - 6 * i, y: m.y },
        { x: m.x + 30 + 6 * i, y: m.y },
      ]);
      await page.waitForTimeout(16);
    }
    await touch('touchEnd', []);
    const transforms = await page.$$eval('.compare-pane img', (els) =>
      els.map((e) => (e as unknown as { style: { transform: string } }).style.transform),
    );
    assert.match(transforms[0] ?? '', /scale\(/);
    assert.ok(
      transforms.every((x) => x === transforms[0]),
      `all panes alike: ${JSON.stringify(transforms)}`,
    );
    const z = Number(await page.getAttribute('.compare-grid', 'data-zoom'));
    assert.ok(z > 1.5, `zoomed ${z}×`);

    await page.keyboard.press('Escape');
    await page.waitForSelector('.compare', { state: 'detached' });
    assert.equal(new URL(page.url()).searchParams.get('compare'), null);
    await page.waitForSelector('form.bulk');
  });

  it('a swipe steps to the next and previous item; a pinch zooms, a finger pans, a double tap zooms back', async () => {
    await page.goto(url);
    await page.waitForSelector('.cell');
    const order = await page.$$eval('.cell', (els) => els.map((e) => e.getAttribute('data-id') ?? ''));
    await page.tap('.cell:nth-child(1) .thumb');
    await page.waitForSelector('.item-view img.media');
    assert.equal(openId(), order[0]);

    const box = await page.locator('.item-media').boundingBox();
    assert.ok(box);
    const mid: P = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await stroke({ x: mid.x + 200, y: mid.y }, { x: mid.x - 200, y: mid.y });
    await page.waitForFunction(`new URL(location.href).searchParams.get('item') === '${order[1]}'`);
    await stroke({ x: mid.x - 200, y: mid.y }, { x: mid.x + 200, y: mid.y });
    await page.waitForFunction(`new URL(location.href).searchParams.get('item') === '${order[0]}'`);
    // A vertical stroke is no swipe.
    await stroke({ x: mid.x, y: mid.y - 150 }, { x: mid.x + 30, y: mid.y + 150 });
    await page.waitForTimeout(300);
    assert.equal(openId(), order[0]);

    await page.waitForFunction(`document.querySelector('img.media')?.complete === true`);
    assert.equal(await zoom(), 1);
    // Two fingers 100 px apart spread to 300 px: about 3×.
    const a0 = { x: mid.x - 50, y: mid.y };
    const b0 = { x: mid.x + 50, y: mid.y };
    await touch('touchStart', [a0, b0]);
    for (let i = 1; i <= 10; i++) {
      await touch('touchMove', [
        { x: a0.x - 10 * i, y: mid.y },
        { x: b0.x + 10 * i, y: mid.y },
      ]);
      await page.waitForTimeout(16);
    }
    await touch('touchEnd', []);
    const z = await zoom();
    assert.ok(z > 2.5 && z < 3.5, `zoomed ${z}×`);
    assert.match(
      (await page.$eval(
        'img.media',
        (el) => (el as unknown as { style: { transform: string } }).style.transform,
      )) ?? '',
      /scale\(/,
    );

    // Zoomed, one finger pans the picture and does not change the item.
    const before = await page.$eval('img.media', (el) => el.getBoundingClientRect().left);
    await stroke({ x: mid.x, y: mid.y }, { x: mid.x + 150, y: mid.y });
    const afterPan = await page.$eval('img.media', (el) => el.getBoundingClientRect().left);
    assert.ok(afterPan > before + 50, `panned: ${before} → ${afterPan}`);
    assert.equal(openId(), order[0], 'a drag on a zoomed photo is no swipe');

    // A double tap goes back to the whole picture; the next item starts unzoomed.
    await touch('touchStart', [mid]);
    await touch('touchEnd', []);
    await page.waitForTimeout(80);
    await touch('touchStart', [mid]);
    await touch('touchEnd', []);
    await page.waitForFunction(`document.querySelector('.item-media')?.getAttribute('data-zoom') === '1.00'`);
    await stroke({ x: mid.x + 200, y: mid.y }, { x: mid.x - 200, y: mid.y });
    await page.waitForFunction(`new URL(location.href).searchParams.get('item') === '${order[1]}'`);
    assert.equal(await zoom(), 1);
    // Synthetic items have no thumbnails (404s); anything else is the app's own error.
    assert.deepEqual(
      b.errors.filter((e) => !e.startsWith('Failed to load resource')),
      [],
    );
  });
});
