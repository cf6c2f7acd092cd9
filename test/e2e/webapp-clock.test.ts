import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { silentLogger } from '../../src/adapters/logger.js';
import type { ClockSetter } from '../../src/adapters/system-clock.js';
import { ClockWatch } from '../../src/devices/clock-watch.js';
import { clockEvidenceOf } from '../../src/library/catalog/clock-evidence.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { NODE, emptyLibrary, insertSyntheticItem } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';
import { sqliteOf } from '../../src/library/catalog/handle.js';

const DAY = 86_400_000;
const SETUP_CODE = 'C7QK-M2XD';
/** The library's newest item was imported an hour ago. */
const IMPORTED = Date.now() - 3600_000;
/** How the status page writes a day (web/src/i18n.ts, formatDateTime). */
const day = (ms: number): string => new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium' });

/**
 * The clock banner in real Chromium: a station whose clock is a week behind its library says so
 * on the status page with both times, and an editor sets it to the tablet's time after a
 * confirmation (and a second one when the tablet's time is before what the library recorded).
 * The setter is a fake: the machine's clock is never touched.
 */
describe("web app: the station's clock (headless Chromium)", { timeout: 120_000 }, () => {
  let lib: Awaited<ReturnType<typeof emptyLibrary>>;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;
  /** The fake machine's clock: the real pace, shifted; the setter moves the shift. */
  let offset = IMPORTED - 7 * DAY - Date.now();
  const sets: number[] = [];
  const setter: ClockSetter = {
    set: async (ms) => {
      sets.push(ms);
      offset = ms - Date.now();
    },
    ntp: async () => null,
  };
  let watch: ClockWatch;

  before(async () => {
    lib = await emptyLibrary();
    await insertSyntheticItem(lib.catalog, `c10c${'a'.repeat(60)}`);
    sqliteOf(lib.catalog).prepare('update items set imported_at = ?').run(new Date(IMPORTED).toISOString());
    watch = new ClockWatch({
      clock: { now: () => new Date(Date.now() + offset) },
      setter,
      buildMs: IMPORTED - 300 * DAY,
      log: silentLogger,
    });
    await watch.start();
    watch.addEvidence(await clockEvidenceOf(lib.catalog));
    assert.equal(watch.status().state, 'suspect');
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: watch.clock,
      setupCode: SETUP_CODE,
      system: { clock: watch, allowClockSet: true, hostname: 'outpost-clock' },
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser();
    page = b.page;
  });

  after(async () => {
    await b?.close();
    await watch?.close();
    await app?.close();
    await lib?.close();
  });

  it('the first-start screen shows the name the station announces on the LAN', async () => {
    await page.goto(url);
    await page.waitForSelector('form.login');
    const port = new URL(url).port;
    const address = page.locator('.setup-address');
    await address.waitFor();
    assert.match(
      (await address.textContent()) ?? '',
      new RegExp(`Tablets on this network find the station at http://outpost-clock\\.local:${port}/`),
    );
    await page.fill('input[name=setup-code]', SETUP_CODE);
    await page.fill('input[name=name]', 'editor');
    await page.fill('input[name=password]', 'a-long-test-password');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');
  });

  it('says the clock looks wrong, with both times, and sets it after a confirmation', async () => {
    await page.goto(`${url}/status`);
    const banner = page.locator('.clock-banner');
    await banner.waitFor();
    assert.equal(await banner.getAttribute('data-state'), 'suspect');
    const text = (await banner.textContent()) ?? '';
    assert.ok(
      text.includes(`The station's clock looks wrong: it says ${day(Date.now() + offset)}`),
      `${text} (${day(Date.now() + offset)})`,
    );
    assert.match(text, /your tablet says/);
    assert.match(text, /before the newest item in the library/);
    assert.match(text, /Cards wait/);
    await page.click('.clock-set');
    const dialog = page.locator('.clock-confirm[role=alertdialog]');
    await dialog.waitFor();
    assert.match(
      (await dialog.textContent()) ?? '',
      /check that the tablet's date, time and time zone are right/,
    );
    // Cancel changes nothing.
    await page.click('.clock-cancel');
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(sets, []);
    await page.click('.clock-set');
    const before = Date.now();
    await page.click('.clock-yes');
    await page.locator('.clock-banner[data-state=set]').waitFor();
    assert.match((await banner.textContent()) ?? '', /The station's clock is set/);
    assert.equal(sets.length, 1);
    assert.ok(Math.abs(sets[0]! - before) < 60_000, 'set to the tablet time');
    assert.equal(watch.status().state, 'trusted');
    assert.deepEqual(
      b.errors.filter((e) => /clock/i.test(e)),
      [],
    );
  });

  it('a tablet time before what the library recorded needs a second confirmation', async () => {
    // A drive whose newest item came from a station whose clock was a year ahead.
    watch.addEvidence([{ source: 'catalogue', ms: Date.now() + 365 * DAY }]);
    await page.goto(`${url}/status`);
    await page.locator('.clock-banner[data-state=suspect]').waitFor();
    await page.click('.clock-set');
    await page.click('.clock-yes');
    await page.locator('.clock-yes:text("Set it anyway")').waitFor();
    assert.match((await page.textContent('.clock-confirm')) ?? '', /station's clock was ahead/);
    assert.equal(sets.length, 1, 'nothing set yet');
    await page.click('.clock-yes');
    await page.locator('.clock-banner[data-state=set]').waitFor();
    assert.equal(sets.length, 2);
    assert.equal(watch.status().state, 'trusted');
  });

  it('speaks Spanish to a Spanish tablet', async () => {
    offset = IMPORTED - 7 * DAY - Date.now();
    await watch.check();
    const ctx = await b.browser.newContext({ locale: 'es-ES' });
    try {
      await ctx.addCookies(await b.context.cookies());
      const es = await ctx.newPage();
      await es.goto(`${url}/status`);
      const banner = es.locator('.clock-banner[data-state=suspect]');
      await banner.waitFor();
      assert.match((await banner.textContent()) ?? '', /El reloj de la estación parece incorrecto/);
      assert.match((await es.textContent('.clock-set')) ?? '', /Poner el reloj de la estación/);
    } finally {
      await ctx.close();
    }
  });
});
