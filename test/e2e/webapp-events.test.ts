import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { sqliteOf } from '../../src/library/catalog/handle.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { NODE, emptyLibrary, insertSyntheticItem } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

const SETUP_CODE = 'EV3N-TS42';
const idOf = (n: number): string => createHash('sha256').update(`album-${n}`).digest('hex');
/** RIO-1 and RIO-10: an exact filter tells them apart, a substring one would not. */
const RIO1 = [idOf(0), idOf(1), idOf(2)];
const RIO10 = [idOf(3), idOf(4)];

/** Events as albums on a tablet in real Chromium (issue 13 §2): list, open, rename/merge, undo. */
describe('web app events page (headless Chromium, tablet)', { timeout: 120_000 }, () => {
  let lib: Awaited<ReturnType<typeof emptyLibrary>>;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;

  const albums = (): Promise<Record<string, string>> =>
    page.$$eval('.album', (els) =>
      Object.fromEntries(
        els.map((e) => [
          e.getAttribute('data-event') ?? '',
          e.querySelector('.album-count')?.textContent ?? '',
        ]),
      ),
    );
  const eventOf = async (id: string): Promise<string | null> => {
    const r = await b.context.request.get(`${url}/api/items/${id}`);
    return ((await r.json()) as { attributes: { event: string | null } }).attributes.event;
  };

  before(async () => {
    lib = await emptyLibrary();
    for (let i = 0; i < 8; i++)
      await insertSyntheticItem(lib.catalog, idOf(i), `2024-05-0${1 + (i % 3)}T0${i}:30:00`);
    const db = sqliteOf(lib.catalog);
    const set = db.prepare(`update items set event = ? where id = ?`);
    for (const id of RIO1) set.run('RIO-1', id);
    for (const id of RIO10) set.run('RIO-10', id);
    db.prepare(`update items set lat = -12.5, lon = -69.2 where id = ?`).run(RIO1[0]);
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

  it('lists each event with its count and dates; a reload of /events keeps the page', async () => {
    await page.tap('nav.nav a[href="/events"]');
    await page.waitForSelector('.album');
    assert.deepEqual(await albums(), { 'RIO-1': '3 items', 'RIO-10': '2 items' });
    assert.ok(
      await page.$('.album[data-event="RIO-1"] .album-actions a[href^="/map?"]'),
      'a place: a map link',
    );
    assert.equal(await page.$('.album[data-event="RIO-10"] .album-actions a[href^="/map?"]'), null);
    await page.reload();
    await page.waitForSelector('.album');
    assert.equal(new URL(page.url()).pathname, '/events');
  });

  it('tapping an album opens exactly its items (RIO-1 is not RIO-10)', async () => {
    await page.goto(`${url}/events`);
    await page.locator('.album[data-event="RIO-1"] .album-open').tap();
    await page.waitForFunction(`location.search.includes('eventIs=RIO-1')`);
    await page.waitForFunction(`document.querySelectorAll('.cell').length === 3`);
    const cells = await page.$$eval('.cell', (els) => els.map((e) => e.getAttribute('data-id') ?? ''));
    assert.deepEqual(new Set(cells), new Set(RIO1));
  });

  it("exports the selection's metadata as CSV (UTF-8 with BOM, one row per item)", async () => {
    await page.goto(`${url}/?eventIs=RIO-10`);
    await page.waitForFunction(`document.querySelectorAll('.cell').length === 2`);
    for (const id of RIO10) await page.tap(`.cell[data-id="${id}"] .check`);
    await page.waitForSelector('form.bulk');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.export-csv').tap()]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const bytes = await readFile((await download.path())!);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 BOM (Excel)');
    const lines = bytes.subarray(3).toString('utf8').trim().split('\r\n');
    const header = lines[0]!.split(',');
    assert.ok(header.includes('sha256') && header.includes('event'), lines[0]);
    const rows = lines.slice(1).map((l) => l.split(','));
    assert.equal(rows.length, 2);
    const sha = header.indexOf('sha256');
    const ev = header.indexOf('event');
    assert.deepEqual(new Set(rows.map((r) => r[sha])), new Set(RIO10));
    for (const r of rows) assert.equal(r[ev], 'RIO-10');
  });

  it('renaming onto an existing code merges the events (ops on every item), and Undo splits them again', async () => {
    await page.goto(`${url}/events`);
    await page.waitForSelector('.album[data-event="RIO-1"]');
    page.once('dialog', (d) => void d.accept('RIO-10'));
    await page.locator('.album[data-event="RIO-1"] .album-rename').tap();
    await page.locator('.toast', { hasText: /merged into "RIO-10" \(3 items\)/ }).waitFor();
    await page.waitForFunction(`document.querySelectorAll('.album').length === 1`);
    assert.deepEqual(await albums(), { 'RIO-10': '5 items' });
    for (const id of RIO1) assert.equal(await eventOf(id), 'RIO-10');
    await page.locator('.toast .toast-action').tap();
    await page.locator('.toast', { hasText: 'Undone.' }).waitFor();
    await page.waitForFunction(`document.querySelectorAll('.album').length === 2`);
    assert.deepEqual(await albums(), { 'RIO-1': '3 items', 'RIO-10': '2 items' });
    for (const id of RIO1) assert.equal(await eventOf(id), 'RIO-1');
    assert.deepEqual(
      b.errors.filter((e) => !e.startsWith('Failed to load resource')),
      [],
    );
  });
});
