import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { addUser } from '../../src/auth/users.js';
import { initDrive, type Drive } from '../../src/library/drive.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import {
  NODE,
  buildTestLibrary,
  insertSyntheticItem,
  type TestLibrary,
} from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';
import { startTestHq } from '../kit/hq.js';
import { testRunner } from '../kit/uplink.js';
import type { UplinkStatus } from '../../src/uplink/runner.js';
import { StationEvents } from '../../src/station/events.js';
import { createStationStatus } from '../../src/station/station-status.js';

const SETUP_CODE = 'K7QP-M2XD';

interface ApiItem {
  id: string;
  type: string;
  path: string;
  attributes: { rating: number | null; event: string | null };
}

/** The web app in real Chromium against a real server and a library filled by real ingest. */
describe('web app (headless Chromium)', { timeout: 300_000 }, () => {
  let lib: TestLibrary;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;
  let loginForms = 0;
  let uplinkStatus: () => UplinkStatus | null = () => null;
  const blankVolume = mkdtempSync(join(tmpdir(), 'outpost-blank-volume-'));
  let partner: Drive | undefined;
  const events = new StationEvents();
  const shots = mkdtempSync(join(tmpdir(), 'outpost-webapp-shots-'));

  /** GET an API URL with the browser's cookies (the session, once logged in). */
  const get = async <T>(path: string): Promise<T> => {
    const res = await b.context.request.get(`${url}${path}`);
    assert.equal(res.status(), 200, `${path}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  const items = async (query = ''): Promise<ApiItem[]> =>
    (await get<{ items: ApiItem[] }>(`/api/items?limit=500${query}`)).items;

  /** Ids of the cells in the DOM, in order. */
  const rendered = (): Promise<string[]> =>
    page.$$eval('.cell', (els) => els.map((e) => e.getAttribute('data-id') ?? ''));

  /** Log in through the form when the server asks for it (the first user is created in the app). */
  const loggedIn = async (): Promise<void> => {
    await page.waitForSelector('nav.nav, form.login');
    if (await page.$('form.login')) {
      loginForms++;
      if (await page.$('input[name=setup-code]')) await page.fill('input[name=setup-code]', SETUP_CODE);
      await page.fill('input[name=name]', 'tester');
      await page.fill('input[name=password]', 'a-long-test-password');
      await page.click('form.login button[type=submit]');
      await page.waitForSelector('nav.nav');
    }
  };

  before(async () => {
    lib = await buildTestLibrary();
    // The real access check (login on): the first user is created through the app's setup form.
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: lib.clock,
      setupCode: SETUP_CODE,
      // The station's status: its uplink is what the status page shows.
      station: createStationStatus({
        events,
        clock: lib.clock,
        drive: () => lib.drive,
        uplink: () => uplinkStatus(),
      }),
      // An empty volume the "station" offers; initialising it makes a real library drive there.
      drives: {
        current: () => ({ a: lib.drive, b: partner }),
        blank: () => (partner ? [] : [blankVolume]),
        init: async (mountPoint, label) => {
          partner = await initDrive(mountPoint, { label, now: new Date() });
          return partner;
        },
      },
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser();
    // These tests count cells one per item: bursts unstacked (stacks: webapp-gallery.test.ts).
    await b.context.addInitScript(`localStorage.setItem('outpost.stackBursts', 'off')`);
    page = b.page;
  });

  after(async () => {
    await b?.close();
    await app?.close();
    await lib?.close();
    rmSync(shots, { recursive: true, force: true });
    rmSync(blankVolume, { recursive: true, force: true });
  });

  it('shows the gallery with thumbnails grouped by date', async () => {
    // Nothing but the login form without a session; the API refuses too.
    assert.equal((await b.context.request.get(`${url}/api/items`)).status(), 401);
    await page.goto(url);
    await page.waitForSelector('form.login');
    assert.match((await page.textContent('form.login')) ?? '', /first user/);
    assert.ok(await page.$('input[name=setup-code]'), 'the setup form asks for the code the station printed');
    await loggedIn();
    assert.equal(loginForms, 1);
    const all = await items();
    await page.waitForFunction(
      `[...document.querySelectorAll('.cell img')].some((i) => i.complete && i.naturalWidth > 0)`,
      undefined,
      { timeout: 15_000 },
    );
    const cells = await rendered();
    // The newest days hold one photo each (the files without a capture date are a group at the end).
    assert.ok(cells.length >= 4, `a screenful of thumbnails (${cells.length})`);
    assert.ok((await page.$$('h2.day')).length >= 4, 'a header per capture date');
    assert.deepEqual(
      cells,
      all.slice(0, cells.length).map((i) => i.id),
      'same order as the API (newest first)',
    );
    assert.ok((await page.$$('h2.day')).length >= 2, 'grouped by capture date');
  });

  it('filters by type through the UI, in the URL and the grid', async () => {
    const videos = await items('&type=video');
    assert.ok(videos.length > 0, 'the corpus card has videos');
    await page.selectOption('select[name=type]', 'video');
    await page.waitForFunction(`location.search.includes('type=video')`);
    await page.waitForFunction(
      `document.querySelectorAll('.cell').length === ${videos.length} &&
       !document.querySelector('.grid-foot').textContent.includes('Loading')`,
    );
    const ids = await page.$$eval('.cell', (els) => els.map((e) => e.getAttribute('data-id')));
    assert.deepEqual(
      ids,
      videos.map((v) => v.id),
    );
    // Reload keeps the filter (it lives in the URL).
    await page.reload();
    await page.waitForSelector('.cell');
    assert.equal(await page.inputValue('select[name=type]'), 'video');
    await page.selectOption('select[name=type]', '');
    await page.waitForFunction(`!location.search.includes('type=')`);
    // Settled on the unfiltered list again (the next tests pick from what is rendered).
    const all = await items();
    await page.waitForFunction(
      `document.querySelector('.cell')?.getAttribute('data-id') === '${all[0]!.id}' &&
       document.querySelectorAll('.cell').length > ${videos.length}`,
    );
  });

  it('opens an item, rates it with the 5 key, and the sidecar on disk says so', async () => {
    const photos = new Map((await items('&type=photo')).map((i) => [i.id, i]));
    const target = photos.get((await rendered()).filter((id) => photos.has(id))[1]!)!;
    await page.click(`.cell[data-id="${target.id}"] .thumb`);
    await page.waitForSelector('.item-view');
    assert.ok(new URL(page.url()).searchParams.get('item') === target.id);
    await page.keyboard.press('5');
    await page.waitForSelector('.item-view .stars button.on:nth-child(5)');
    const rated = await get<ApiItem>(`/api/items/${target.id}`);
    assert.equal(rated.attributes.rating, 5);
    const xmp = readFileSync(join(lib.drive.layout.root, `${rated.path}.xmp`), 'utf8');
    assert.match(xmp, /xmp:Rating(="5"|>5<)/, xmp);

    // Arrow keys step through the list; Esc closes.
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(`new URL(location.href).searchParams.get('item') !== '${target.id}'`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('.item-view', { state: 'detached' });
  });

  it('shows near-duplicates of the open item and opens one with a tap', async () => {
    // The corpus has the same picture 8 times (orientation/landscape_1..8): near-duplicates.
    const photos = await items('&type=photo');
    let source: ApiItem | undefined;
    let similar: { items: { item: ApiItem }[] } = { items: [] };
    for (const p of photos) {
      similar = await get(`/api/items/${p.id}/similar?limit=12`);
      if (similar.items.length >= 2) {
        source = p;
        break;
      }
    }
    assert.ok(source, 'the corpus library has near-duplicates');
    await page.goto(`${url}/?item=${source.id}`);
    await page.waitForSelector('.item-view .similar-item');
    const shown = await page.$$eval('.item-view .similar-item', (els) => els.length);
    assert.equal(shown, similar.items.length);
    await page.click('.item-view .similar-item >> nth=0');
    const first = similar.items[0]!.item.id;
    await page.waitForFunction(`new URL(location.href).searchParams.get('item') === '${first}'`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('.item-view', { state: 'detached' });
  });

  it('selects a range with shift-click and sets an event on all of them', async () => {
    // The group of files without a capture date: many cells in one run.
    await page.goto(`${url}/?undated=only`);
    await page.waitForFunction(`document.querySelectorAll('.cell').length >= 10`);
    const chosen = (await rendered()).slice(2, 7);
    assert.equal(chosen.length, 5);
    await page.click(`.cell[data-id="${chosen[0]}"] .check`);
    await page.click(`.cell[data-id="${chosen.at(-1)}"] .thumb`, { modifiers: ['Shift'] });
    await page.waitForSelector('form.bulk');
    assert.match((await page.textContent('form.bulk .count')) ?? '', /^5 selected/);
    const selected = await page.$$eval('.cell.selected', (els) => els.map((e) => e.getAttribute('data-id')));
    assert.deepEqual(selected, chosen);
    await page.fill('input[name=bulk-event]', 'E2E-RIVER-SURVEY');
    await page.click('form.bulk button[type=submit]');
    await page.waitForSelector('form.bulk .bulk-msg:has-text("5 updated")');
    const events = await items('&event=E2E-RIVER-SURVEY');
    assert.deepEqual(new Set(events.map((i) => i.id)), new Set(chosen));
    const png = await page.screenshot({ path: join(shots, 'gallery.png') });
    assert.ok(png.length > 1000);
    const onDisk = readFileSync(join(shots, 'gallery.png'));
    assert.deepEqual([...onDisk.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it("drag-selects 20+ items with the mouse and sets event and this device's location on all of them", async () => {
    // Ana's files without a capture date: 20 photos in one group (three rows of the grid).
    await page.goto(`${url}/?monitor=Ana&undated=only`);
    await page.waitForSelector('.cell img');
    // The filter panel folded away: the drag stays clear of the grid's bottom edge, where a slow
    // drag (a loaded machine) would scroll the grid and take in more rows.
    if (await page.isVisible('.filter-panel')) await page.click('.filters-toggle');
    await page.waitForFunction(`document.querySelectorAll('.cell').length >= 20`);
    const measure = () =>
      page.$$eval('.cell', (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { id: e.getAttribute('data-id')!, x: r.x, y: r.y, w: r.width, h: r.height };
        }),
      );
    // The grid settles first (the next page of the list arrives after the grid's first-screen
    // grace, bars come and go): cells are measured once two looks 300 ms apart agree.
    await page.waitForTimeout(1_700);
    let boxes = await measure();
    for (let i = 0; i < 20; i++) {
      await page.waitForTimeout(300);
      const again = await measure();
      if (JSON.stringify(again) === JSON.stringify(boxes)) break;
      boxes = again;
    }
    const first = boxes[0]!;
    // From the middle of the first thumbnail (not its check box) to about three rows further down.
    const start = { x: first.x + first.w / 2, y: first.y + first.h / 2 };
    const end = { x: first.x + first.w * 7.5, y: first.y + first.h * 3.4 };
    const expected = boxes
      .filter((c) => c.x < end.x && c.x + c.w > start.x && c.y < end.y && c.y + c.h > start.y)
      .map((c) => c.id);
    assert.ok(expected.length >= 20, `the drag covers at least 20 cells (${expected.length})`);
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    await page.mouse.move(end.x, end.y, { steps: 12 });
    assert.ok(await page.isVisible('.lasso'), 'the rubber band shows while dragging');
    await page.mouse.up();
    await page.waitForSelector('form.bulk');
    assert.equal(await page.isVisible('.item-view'), false, 'releasing over a thumbnail does not open it');
    const selected = await page.$$eval('.cell.selected', (els) => els.map((e) => e.getAttribute('data-id')));
    assert.deepEqual(new Set(selected), new Set(expected));
    assert.match(
      (await page.textContent('form.bulk .count')) ?? '',
      new RegExp(`^${expected.length} selected`),
    );

    // "Use this device's location" (127.0.0.1 is a secure context; the browser is told where it is).
    await b.context.grantPermissions(['geolocation'], { origin: url });
    await b.context.setGeolocation({ latitude: -3.386925, longitude: 36.682995 });
    await page.click('form.bulk button[name=bulk-here]');
    await page.waitForFunction(`document.querySelector('input[name=bulk-lat]').value === '-3.386925'`);
    assert.equal(await page.inputValue('input[name=bulk-lon]'), '36.682995');
    await page.fill('input[name=bulk-event]', 'E2E-DRAG-20');
    // Some carry their own GPS: overwrite those too, explicitly (the default leaves them alone).
    if (await page.isVisible('input[name=bulk-overwrite-gps]'))
      await page.check('input[name=bulk-overwrite-gps]');
    await page.click('form.bulk button[type=submit]');
    await page.waitForSelector(`form.bulk .bulk-msg:has-text("${expected.length} updated")`);

    const tagged = await items('&event=E2E-DRAG-20');
    assert.deepEqual(new Set(tagged.map((i) => i.id)), new Set(expected));
    for (const it of tagged) {
      const full = await get<ApiItem & { attributes: { location: { lat: number; lon: number } } }>(
        `/api/items/${it.id}`,
      );
      assert.deepEqual(full.attributes.location, { lat: -3.386925, lon: 36.682995, source: 'hand' });
      const xmp = readFileSync(join(lib.drive.layout.root, `${full.path}.xmp`), 'utf8');
      assert.match(xmp, /E2E-DRAG-20/);
      assert.match(
        xmp,
        /exif:GPSLatitude(="|>)3,23\.2155\d*S/,
        'GPS in the sidecar, XMP degrees-minutes form',
      );
    }
    await page.click('form.bulk button:has-text("Clear selection")');
    await page.waitForSelector('form.bulk', { state: 'detached' });
  });

  it('geotags items by GPX track: preview with a clock offset, apply, sidecars carry the positions', async () => {
    // Ben's three photos were taken 2023-07-10/11/12 06:30 camera time, without GPS.
    // A logger fix every 5 minutes (the interpolation refuses gaps over 10), on a straight line.
    const t0 = Date.parse('2023-07-10T00:00:00Z');
    const t1 = Date.parse('2023-07-13T00:00:00Z');
    const points: string[] = [];
    for (let t = t0; t <= t1; t += 5 * 60_000) {
      const f = (t - t0) / (t1 - t0);
      points.push(
        `<trkpt lat="${(1 + 3 * f).toFixed(7)}" lon="${(36 + 3 * f).toFixed(7)}"><time>${new Date(t).toISOString()}</time></trkpt>`,
      );
    }
    const gpx = `<?xml version="1.0"?><gpx version="1.1" creator="e2e" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>${points.join('')}</trkseg></trk></gpx>`;
    const ben = await items('&monitor=Ben');
    assert.equal(ben.length, 3);
    await page.goto(`${url}/?monitor=Ben`);
    await page.waitForSelector('.cell');
    await page.click('details.geotag summary');
    await page.setInputFiles('input[name=gpx]', {
      name: 'walk.gpx',
      mimeType: 'application/gpx+xml',
      buffer: Buffer.from(gpx),
    });
    // The camera clock was on UTC+2: 06:30 camera time is 04:30 UTC.
    await page.fill('input[name=offset-hours]', '2');
    await page.click('details.geotag button[type=submit]');
    await page.waitForSelector('.geotag-preview');
    assert.match((await page.textContent('.geotag-preview')) ?? '', /3 item\(s\) get a position/);
    await page.click('details.geotag button:has-text("Apply to 3")');
    await page.waitForSelector('details.geotag p:has-text("Location set on 3 items")');

    for (const it of ben) {
      const full = await get<{
        path: string;
        sortTime: string;
        attributes: { location: { lat: number; lon: number } | null };
      }>(`/api/items/${it.id}`);
      const utc = Date.parse(`${full.sortTime.slice(0, 19)}Z`) - 2 * 3600_000;
      const f = (utc - t0) / (t1 - t0);
      assert.ok(full.attributes.location, `${it.id} got a location`);
      assert.ok(Math.abs(full.attributes.location.lat - (1 + 3 * f)) < 1e-5, JSON.stringify(full.attributes));
      assert.ok(Math.abs(full.attributes.location.lon - (36 + 3 * f)) < 1e-5);
      const xmp = readFileSync(join(lib.drive.layout.root, `${full.path}.xmp`), 'utf8');
      assert.match(xmp, /exif:GPSLatitude(="|>)\d+,[\d.]+N/);
      assert.match(xmp, /exif:GPSLongitude(="|>)3[6-9],[\d.]+E/);
    }
  });

  it('assigns a card to a monitor on the cards page and its items move there on the drive', async () => {
    const before = await items('&monitor=Ben');
    await page.goto(`${url}/cards`);
    await page.waitForSelector('li.card-row');
    const row = page.locator('li.card-row', { hasText: '3 items' });
    await row.locator('input[name=monitor]').fill('Ben Okafor');
    await row.locator('button[type=submit]').click();
    await row.locator('[role=status]:has-text("3 items moved to Ben Okafor")').waitFor();
    const after = await items('&monitor=Ben%20Okafor');
    assert.deepEqual(new Set(after.map((i) => i.id)), new Set(before.map((i) => i.id)));
    for (const it of after) {
      assert.match(it.path, /^library\/Ben Okafor\//);
      const bytes = readFileSync(join(lib.drive.layout.root, it.path));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), it.id);
    }
    for (const it of before) assert.throws(() => readFileSync(join(lib.drive.layout.root, it.path)));
  });

  it('a viewer browses but is offered no editing controls', async () => {
    await addUser(lib.catalog, {
      name: 'visitor',
      role: 'viewer',
      password: 'viewer-password-1',
      now: new Date(),
    });
    const v = await launchBrowser();
    try {
      await v.page.goto(url);
      await v.page.waitForSelector('form.login');
      await v.page.fill('input[name=name]', 'visitor');
      await v.page.fill('input[name=password]', 'viewer-password-1');
      await v.page.click('form.login button[type=submit]');
      await v.page.waitForSelector('.cell img');
      assert.equal(await v.page.isVisible('details.geotag'), false, 'no geotag panel');
      await v.page.click('.cell .thumb >> nth=0');
      await v.page.waitForSelector('.item-view');
      assert.equal(await v.page.isVisible('.item-view form.attrs'), false, 'no attribute form');
      assert.ok(await v.page.isVisible('.item-view .facts'), 'the facts are shown');
    } finally {
      await v.close();
    }
  });

  it("shows the queue to HQ on the status page and each item's upload state", async () => {
    // A real HQ on loopback and the real uplink over this library; the app reads its status.
    const hq = await startTestHq();
    const { runner, target } = testRunner(
      lib.catalog,
      lib.drive.layout.root,
      // Chromium and a parallel test file share two cores here: no stall verdict after only 5 s.
      { url: hq.url, key: hq.key(NODE), stallTimeoutMs: 30_000 },
      { node: NODE },
    );
    uplinkStatus = () => runner.status();
    try {
      const done = runner.run(new AbortController().signal, { once: true });
      await page.goto(`${url}/status`);
      await page.waitForSelector('.uplink');
      const s = await done;
      assert.equal(s.pendingBytes, 0, JSON.stringify(s.lastError));
      await page.reload();
      await page.waitForSelector('.uplink[data-state="stopped"], .uplink[data-state="idle"]');
      assert.match((await page.textContent('.uplink')) ?? '', /0 kB left/);
      assert.match((await page.textContent('[data-indicator="UPLINK"]')) ?? '', /UPLINK/);
      const first = (await items('&type=photo'))[0]!;
      await page.goto(`${url}/?item=${first.id}`);
      await page.waitForSelector('.item-view .upload-state');
      assert.equal(await page.getAttribute('.item-view .upload-state', 'data-upload'), 'all at HQ');
      await page.keyboard.press('Escape');
    } finally {
      uplinkStatus = () => null;
      target.close();
      await hq.close();
    }
  });

  it('the status page shows where the last card was filed and every file that gave a warning', async () => {
    // The real summary of ingesting Ana's card (it holds damaged and metadata-less files).
    const summary = lib.summaries[0]!;
    assert.ok(
      summary.warnings.length > 0 && summary.folders.length > 0,
      'the card gave warnings and folders',
    );
    events.emit('ingest-done', { mountPoint: '/media/outpost/card', summary });
    await page.goto(`${url}/status`);
    await page.waitForSelector('.ingest-report');
    const text = (await page.textContent('.ingest-report')) ?? '';
    assert.match(text, new RegExp(`monitor ${summary.monitor}`));
    assert.match(text, new RegExp(`${summary.copied} copied`));
    assert.equal(summary.tombstoned, 0);
    assert.doesNotMatch(text, /deleted earlier/);
    // The same card again after some of its frames were deleted: the report says why they stay out.
    events.emit('ingest-done', {
      mountPoint: '/media/outpost/card',
      summary: { ...summary, copied: 0, skipped: summary.copied - 2, tombstoned: 2 },
    });
    await page
      .locator('.ingest-report .deleted-earlier', {
        hasText: '2 deleted earlier in Outpost, not copied again.',
      })
      .waitFor();
    events.emit('ingest-done', { mountPoint: '/media/outpost/card', summary });
    await page.locator('.ingest-report .deleted-earlier').waitFor({ state: 'detached' });
    const filed = await page.$$eval('.ingest-report .filed a', (as) =>
      as.map((a) => [a.textContent, a.getAttribute('href')]),
    );
    assert.deepEqual(
      filed.map(([label]) => label),
      summary.folders.map((f) => `library/${f.folder}`),
    );
    const shown = await page.$$eval('.file-warnings li', (lis) => lis.map((li) => li.textContent ?? ''));
    assert.equal(shown.length, summary.warnings.length);
    for (const w of summary.warnings)
      assert.ok(
        shown.some((x) => x.includes(w.path)),
        w.path,
      );
    // A folder opens the gallery on what was filed there.
    const [label, href] = filed[0]!;
    await page.goto(`${url}${href}`);
    await page.waitForSelector('.cell');
    const folder = (label ?? '').replace('library/', '');
    const inFolder = (await items(`&folder=${encodeURIComponent(folder)}`)).map((i) => i.id);
    assert.equal(inFolder.length, summary.folders[0]!.items);
    // The whole folder is the list (the grid draws the rows in view of it).
    await page.waitForFunction(
      `document.querySelector('.grid-foot')?.textContent === '${inFolder.length} items'`,
    );
    const drawn = await rendered();
    assert.ok(drawn.length > 0 && drawn.every((id) => inFolder.includes(id)), 'only items of that folder');
    assert.ok(inFolder.length < (await items()).length, 'the folder is a part of the library');
  });

  it('makes an empty drive a library drive from the status page', async () => {
    await page.goto(`${url}/status`);
    await page.waitForSelector(`.blank-volume[data-mount="${blankVolume}"]`);
    assert.match((await page.textContent('.blank-volume')) ?? '', /second \(mirror\) drive/);
    await page.fill('.blank-volume input[name=drive-label]', 'Office B');
    await page.click('.blank-volume button[type=submit]');
    await page.waitForSelector('.drives:has-text("Drive B: Office B")');
    const marker = JSON.parse(readFileSync(join(blankVolume, 'outpost-drive.json'), 'utf8')) as {
      label: string;
    };
    assert.equal(marker.label, 'Office B');
    assert.equal(await page.$('.blank-volume'), null, 'no longer offered');
  });

  it('keeps only the rows in view in the DOM and pages on as it scrolls', async () => {
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const id = createHash('sha256').update(`synthetic-${i}`).digest('hex');
      const day = String(1 + (i % 28)).padStart(2, '0');
      const minute = String(i % 60).padStart(2, '0');
      await insertSyntheticItem(
        lib.catalog,
        id,
        `2022-02-${day}T08:${minute}:${String(i % 59).padStart(2, '0')}`,
      );
    }
    await page.goto(`${url}/?monitor=Zed`);
    await loggedIn();
    await page.waitForSelector('.cell');
    const first = await page.$$eval('.cell', (els) => els.length);
    assert.ok(first > 0 && first < 400, `only visible rows are rendered (${first} cells)`);
    for (let i = 0; i < 60; i++) {
      const foot = (await page.textContent('.grid-foot')) ?? '';
      if (foot.includes(`${N.toLocaleString('en')} items`)) break;
      await page.$eval('.grid-scroll', (el) => el.scrollBy(0, el.clientHeight * 3));
      await page.waitForTimeout(50);
    }
    assert.match((await page.textContent('.grid-foot')) ?? '', new RegExp(`${N.toLocaleString('en')} items`));
    const cells = await page.$$eval('.cell', (els) => els.length);
    assert.ok(cells < 400, `still only the rows in view (${cells} cells)`);
    assert.deepEqual(
      b.errors.filter((e) => !/404|Failed to load resource/.test(e)),
      [],
    );
  });
});
