import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { sqliteOf } from '../../src/library/catalog/handle.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { NODE, emptyLibrary, insertSyntheticItem } from '../integration/server/library.js';
import { launchBrowser, TABLET, type TestBrowser } from '../kit/browser.js';

const SETUP_CODE = 'G4LK-M2XD';
const idOf = (n: number): string => createHash('sha256').update(`gallery-${n}`).digest('hex');
const N = 60;
/** Two scans without a capture date; their file times fall among the dated photos' days. */
const UNDATED = [idOf(100), idOf(101)];
/** A camera trap's burst: four frames a second apart (newest first in the grid). */
const BURST = [idOf(203), idOf(202), idOf(201), idOf(200)];

/**
 * The gallery on an iPad-sized touch tablet in real Chromium (issue 13, points 1.8, 1.9, 1.10,
 * 1.16): app pages survive a reload, the grid keeps the screen, filters keep typed text and match
 * events in any case, a short id opens its item.
 */
describe('web app gallery on a tablet (headless Chromium)', { timeout: 120_000 }, () => {
  let lib: Awaited<ReturnType<typeof emptyLibrary>>;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;

  const apiIds = async (query: string): Promise<string[]> => {
    const res = await b.context.request.get(`${url}/api/items?limit=500${query}`);
    assert.equal(res.status(), 200, await res.text());
    return ((await res.json()) as { items: { id: string }[] }).items.map((i) => i.id);
  };
  const cells = (): Promise<string[]> =>
    page.$$eval('.cell', (els) => els.map((e) => e.getAttribute('data-id') ?? ''));
  const gridShare = (): Promise<number> =>
    page.$eval(
      '.grid-scroll',
      (el) =>
        el.getBoundingClientRect().height / (globalThis as unknown as { innerHeight: number }).innerHeight,
    );

  before(async () => {
    lib = await emptyLibrary();
    for (let i = 0; i < N; i++)
      await insertSyntheticItem(
        lib.catalog,
        idOf(i),
        `2024-05-${String(1 + (i % 28)).padStart(2, '0')}T08:00:${String(i).padStart(2, '0')}`,
      );
    for (let k = 0; k < 4; k++)
      await insertSyntheticItem(lib.catalog, idOf(200 + k), `2024-06-15T10:00:0${k}`);
    await insertSyntheticItem(lib.catalog, UNDATED[0]!, '2024-05-10T09:00:00', true);
    await insertSyntheticItem(lib.catalog, UNDATED[1]!, '2024-05-20T09:00:00', true);
    const db = sqliteOf(lib.catalog);
    // Three items of an event spelt in mixed case, one priority, some rated.
    db.prepare(`update items set event = 'Rio-Survey-2024' where id in (?, ?, ?)`).run(
      idOf(1),
      idOf(2),
      idOf(3),
    );
    db.prepare(`update items set priority = 1 where id = ?`).run(idOf(4));
    db.prepare(`update items set rating = 3 where id in (?, ?)`).run(idOf(5), idOf(6));
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

  it('reloading /cameras (or any app page) serves the app; unknown API paths and files stay JSON 404s', async () => {
    for (const path of ['/cameras', '/status', '/cards']) {
      await page.goto(`${url}${path}`);
      await page.waitForSelector('nav.nav');
      assert.equal(new URL(page.url()).pathname, path);
      assert.equal(await page.getAttribute('nav.nav a[aria-current=page]', 'href'), path);
    }
    const cameras = await b.context.request.get(`${url}/cameras`);
    assert.equal(cameras.status(), 200);
    assert.match(cameras.headers()['content-type'] ?? '', /text\/html/);
    for (const path of ['/api/nope', '/assets/index-0123456789.js', '/missing.js']) {
      const res = await b.context.request.get(`${url}${path}`);
      assert.equal(res.status(), 404, path);
      assert.match(res.headers()['content-type'] ?? '', /application\/json/, path);
    }
  });

  it('the grid keeps at least 80 % of the tablet screen, filters collapsed and with a selection', async () => {
    await page.goto(url);
    await page.waitForSelector('.cell');
    assert.equal(await page.$('select[name=type]'), null, 'the filters start collapsed on a tablet');
    const collapsed = await gridShare();
    assert.ok(collapsed >= 0.8, `grid ${(collapsed * 100).toFixed(0)} % of the height, filters collapsed`);

    await page.tap('.cell:nth-child(1) .check');
    await page.tap('.cell:nth-child(2) .check');
    await page.waitForSelector('form.bulk');
    const selected = await gridShare();
    assert.ok(selected >= 0.8, `grid ${(selected * 100).toFixed(0)} % of the height with a selection`);
    // The selection's bar floats at the bottom of the screen, over the grid.
    const bar = await page.$eval('form.bulk', (el) => {
      const r = el.getBoundingClientRect();
      return {
        top: r.top,
        bottom: r.bottom,
        h: (globalThis as unknown as { innerHeight: number }).innerHeight,
      };
    });
    assert.ok(bar.bottom <= bar.h && bar.bottom > bar.h - 40, `bar at the bottom: ${JSON.stringify(bar)}`);
    assert.ok(bar.top > bar.h / 2, `bar in the lower half: ${JSON.stringify(bar)}`);
    await page.tap('.cell:nth-child(1) .check');
    await page.tap('.cell:nth-child(2) .check');
    await page.waitForSelector('form.bulk', { state: 'detached' });
  });

  it('the filters panel opens from "Filters", keeps typed Tag text when a dropdown changes, counts what is set', async () => {
    await page.goto(url);
    await page.waitForSelector('.cell');
    await page.tap('.filters-toggle');
    await page.waitForSelector('#filter-panel');
    await page.fill('input[name=tag]', 'jaguar');
    await page.selectOption('select[name=type]', 'photo');
    await page.waitForFunction(`location.search.includes('type=photo')`);
    assert.equal(await page.inputValue('input[name=tag]'), 'jaguar', 'typed text survives the dropdown');
    assert.match((await page.textContent('.filters-toggle')) ?? '', /Filters \(1\)/);
    await page.fill('input[name=tag]', '');
  });

  it('the event filter matches any case and part of the code; unrated and priority filters; in the URL', async () => {
    await page.goto(url);
    await page.tap('.filters-toggle');
    await page.fill('input[name=event]', 'rio-survey');
    await page.press('input[name=event]', 'Enter');
    await page.waitForFunction(`location.search.includes('event=rio-survey')`);
    const want = [idOf(1), idOf(2), idOf(3)];
    await page.waitForFunction(`document.querySelectorAll('.cell').length === 3`);
    assert.deepEqual(new Set(await cells()), new Set(want));
    assert.deepEqual(new Set(await apiIds('&event=SURVEY')), new Set(want), 'server: any case, a substring');

    await page.goto(`${url}/?unrated=true`);
    await page.waitForFunction(`document.querySelectorAll('.cell').length > 0`);
    await page.waitForFunction(`!document.querySelector('.grid-foot')?.textContent?.includes('Loading')`);
    const unrated = await apiIds('&unrated=true');
    assert.equal(unrated.length, N + UNDATED.length + BURST.length - 2);
    assert.ok(!unrated.includes(idOf(5)) && !unrated.includes(idOf(6)));

    await page.goto(`${url}/?priority=true`);
    await page.waitForFunction(`document.querySelectorAll('.cell').length === 1`);
    assert.deepEqual(await cells(), [idOf(4)]);
    assert.equal(
      await page.getAttribute('.cell .badge.prio', 'title'),
      'Priority',
      'a flag with a title, not "!"',
    );
    assert.notEqual((await page.textContent('.cell .badge.prio'))?.trim(), '!');
    assert.match((await page.textContent('.filters-toggle')) ?? '', /Filters \(1\)/);

    await page.goto(`${url}/?sort=asc`);
    await page.waitForSelector('.cell');
    const asc = await apiIds('&sort=asc');
    await page.waitForFunction(`document.querySelector('.cell')?.getAttribute('data-id') === '${asc[0]}'`);
    assert.equal(await page.inputValue('select[name=sort]'), 'asc');
  });

  it('photos without a capture date are their own group at the end, outside date filters, filterable', async () => {
    await page.goto(url);
    await page.waitForSelector('.cell');
    // Scroll to the end of the grid: the last group is the undated one, with exactly those two.
    await page.$eval('.grid-scroll', (el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForFunction(
      `[...document.querySelectorAll('h2.day')].some((h) => h.textContent.includes('No capture date'))`,
    );
    const last = await page.$$eval('h2.day', (hs) => hs.at(-1)?.textContent ?? '');
    assert.match(last, /No capture date\s*2 · sorted by file time/);
    const tail = (await cells()).slice(-2);
    assert.deepEqual(new Set(tail), new Set(UNDATED));
    // A day filter that their file time would match leaves them out.
    await page.goto(`${url}/?from=2024-05-10&to=2024-05-10`);
    await page.waitForFunction(`!document.querySelector('.grid-foot')?.textContent?.includes('Loading')`);
    assert.ok(!(await cells()).some((c) => UNDATED.includes(c)), 'not in a date filter');
    // The Capture date filter lists them alone.
    await page.goto(url);
    await page.tap('.filters-toggle');
    await page.selectOption('select[name=undated]', 'only');
    await page.waitForFunction(`location.search.includes('undated=only')`);
    await page.waitForFunction(`document.querySelectorAll('.cell').length === 2`);
    assert.deepEqual(new Set(await cells()), new Set(UNDATED));
    // Opened, the time shown is labelled as the file's.
    await page.tap('.cell:nth-child(1) .thumb');
    await page.waitForSelector('.item-view');
    assert.match((await page.textContent('.item-view .facts')) ?? '', /file time/);
  });

  it('a burst is one stack: selecting it selects every frame, its count unfolds it, the viewer steps through all', async () => {
    await page.goto(url);
    await page.waitForSelector('.cell');
    // Newest first: the burst's day is the first group; its cover is the newest frame.
    await page.waitForSelector(`.cell[data-id="${BURST[0]}"] .stack-toggle`);
    assert.match((await page.textContent(`.cell[data-id="${BURST[0]}"] .stack-toggle`)) ?? '', /4/);
    for (const id of BURST.slice(1)) assert.equal(await page.$(`.cell[data-id="${id}"]`), null, 'folded');

    await page.tap(`.cell[data-id="${BURST[0]}"] .check`);
    await page.waitForSelector('form.bulk');
    assert.match((await page.textContent('form.bulk .count')) ?? '', /^4 selected/);
    await page.tap(`.cell[data-id="${BURST[0]}"] .check`);
    await page.waitForSelector('form.bulk', { state: 'detached' });

    await page.tap(`.cell[data-id="${BURST[0]}"] .stack-toggle`);
    for (const id of BURST) await page.waitForSelector(`.cell[data-id="${id}"]`);
    assert.deepEqual((await cells()).slice(0, 4), BURST, 'unfolded in place, in order');
    await page.tap(`.cell[data-id="${BURST[0]}"] .stack-toggle`);
    await page.waitForSelector(`.cell[data-id="${BURST[1]}"]`, { state: 'detached' });

    // Opened, the cover steps to the next frame of the burst.
    await page.tap(`.cell[data-id="${BURST[0]}"] .thumb`);
    await page.waitForSelector('.item-view');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(`new URL(location.href).searchParams.get('item') === '${BURST[1]}'`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('.item-view', { state: 'detached' });

    // Stacking off (remembered): every frame is its own cell.
    await page.locator('input[name=stack-bursts]').tap();
    for (const id of BURST) await page.waitForSelector(`.cell[data-id="${id}"]`);
    assert.equal(await page.$('.stack-toggle'), null);
    await page.reload();
    await page.waitForSelector(`.cell[data-id="${BURST[3]}"]`);
    await page.locator('input[name=stack-bursts]').tap();
    await page.waitForSelector(`.cell[data-id="${BURST[1]}"]`, { state: 'detached' });
  });

  it('the language picker switches the app to Spanish and the tablet remembers it', async () => {
    await page.goto(url);
    await page.waitForSelector('nav.nav');
    assert.equal(await page.textContent('nav.nav a[href="/"]'), 'Gallery');
    await Promise.all([page.waitForEvent('load'), page.selectOption('select[name=language]', 'es')]);
    await page.waitForSelector('nav.nav');
    assert.equal(await page.textContent('nav.nav a[href="/"]'), 'Galería');
    assert.equal(await page.getAttribute('html', 'lang'), 'es');
    assert.match((await page.textContent('.filters-toggle')) ?? '', /Filtros/);
    // Remembered: a new visit (the browser itself still says English) comes back in Spanish.
    await page.goto(`${url}/status`);
    await page.waitForSelector('nav.nav');
    assert.equal(await page.textContent('nav.nav a[href="/status"]'), 'Estado');
    await Promise.all([page.waitForEvent('load'), page.selectOption('select[name=language]', 'en')]);
    await page.waitForSelector('nav.nav');
    assert.equal(await page.textContent('nav.nav a[href="/status"]'), 'Status');
  });

  it('no page is wider than the tablet, in English or Spanish (a wider page zooms the whole app out)', async () => {
    const links = async (): Promise<string[]> =>
      page.$$eval('nav.nav a', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    const widths = async (): Promise<{ inner: number; scroll: number }> =>
      page.evaluate(() => {
        const g = globalThis as unknown as {
          innerWidth: number;
          document: { documentElement: { scrollWidth: number } };
        };
        return { inner: g.innerWidth, scroll: g.document.documentElement.scrollWidth };
      });
    for (const lang of ['es', 'en']) {
      await page.goto(url);
      await page.waitForSelector('nav.nav');
      await Promise.all([page.waitForEvent('load'), page.selectOption('select[name=language]', lang)]);
      for (const href of await links()) {
        await page.goto(`${url}${href}`);
        await page.waitForSelector(`nav.nav a[href="${href}"][aria-current=page]`);
        const w = await widths();
        assert.equal(w.inner, TABLET.viewport.width, `${lang} ${href}: the layout is as wide as the screen`);
        assert.ok(w.scroll <= w.inner, `${lang} ${href}: page ${w.scroll} px wide on a ${w.inner} px screen`);
        // The current page's link is in sight even when the links scroll sideways.
        const seen = await page.$eval(`nav.nav a[href="${href}"]`, (a) => {
          const r = a.getBoundingClientRect();
          const box = a.parentElement!.getBoundingClientRect();
          return r.left >= box.left - 1 && r.right <= box.right + 1;
        });
        assert.ok(seen, `${lang} ${href}: its link is scrolled into view`);
      }
    }
  });

  it('a short-id link (as `outpost ls` prints) opens that item', async () => {
    const id = idOf(7);
    await page.goto(`${url}/?item=${id.slice(0, 12)}`);
    await page.waitForSelector('.item-view');
    assert.equal(new URL(page.url()).searchParams.get('item'), id);
    // Capture time in the tablet's locale, not ISO text.
    const facts = (await page.textContent('.item-view .facts')) ?? '';
    assert.doesNotMatch(facts, /\d{4}-\d\d-\d\dT\d\d:/, facts);
  });
});
