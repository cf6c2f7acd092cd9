import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../src/adapters/clock.js';
import { addUser } from '../../src/auth/users.js';
import { openCatalog, type Catalog } from '../../src/library/catalog/open.js';
import { initDrive } from '../../src/library/drive.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { fillSyntheticItems } from '../../bench/lib/synthetic-library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

const N = 100_000;

describe('web app at scale (100,000 items, headless Chromium)', () => {
  const work = mkdtempSync(join(tmpdir(), 'outpost-webscale-'));
  let catalog: Catalog;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };

  before(async () => {
    const drive = await initDrive(join(work, 'drive'), { now: new Date() });
    catalog = await openCatalog(drive.layout.catalog);
    await fillSyntheticItems(catalog, N);
    await addUser(catalog, { name: 'ana', role: 'editor', password: 'scale-test-password', now: new Date() });
    app = await buildApp({
      catalog,
      drive,
      files: { root: drive.layout.root },
      node: 'test',
      clock: systemClock,
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser();
  });
  after(async () => {
    await b?.close();
    await app?.close();
    await catalog?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('scrolls deep into the gallery without blank screens, keeping the DOM small', async () => {
    const page = b.page;
    await page.goto(url);
    await page.waitForSelector('form.login');
    await page.fill('input[name=name]', 'ana');
    await page.fill('input[name=password]', 'scale-test-password');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('.cell');
    // Is some cell inside the visible part of the scroller? (evaluated in the page)
    const cellInView = `(() => {
      const box = document.querySelector('.grid-scroll').getBoundingClientRect();
      return [...document.querySelectorAll('.cell')].some((c) => {
        const r = c.getBoundingClientRect();
        return r.bottom > box.top && r.top < box.bottom;
      });
    })()`;
    let worstMs = 0;
    let maxCells = 0;
    for (let i = 0; i < 40; i++) {
      await page.$eval('.grid-scroll', (el) => el.scrollBy(0, el.clientHeight * 4));
      const t0 = performance.now();
      await page.waitForFunction(cellInView, undefined, { timeout: 5_000 });
      worstMs = Math.max(worstMs, performance.now() - t0);
      maxCells = Math.max(maxCells, await page.$$eval('.cell', (els) => els.length));
    }
    // 40 jumps of 4 screens: the list had to grow page by page (cursor paging) to get there.
    const depth = await page.$eval('.grid-scroll', (el) => el.scrollTop / el.clientHeight);
    assert.ok(worstMs < 2_000, `a blank screen lasted ${Math.round(worstMs)} ms`);
    assert.ok(maxCells < 400, `only the rows in view are in the DOM (${maxCells} cells)`);
    assert.ok(depth >= 100, `pages kept loading while scrolling (${depth.toFixed(0)} screens deep)`);
    assert.deepEqual(
      b.errors.filter((e) => !/404|Failed to load resource/.test(e)),
      [],
    );
  });
});
