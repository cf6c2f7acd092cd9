/**
 * The tablet goes to the field (issue 18, docs/offline.md), on a real station process over its
 * own HTTPS, reached by a LAN name, in Chromium with a persistent profile that trusts the
 * station's CA (an NSS database, not ignoreHTTPSErrors, which would hide a service worker that
 * never registers): 1,000 items taken offline; the station stopped; the browser restarted twice
 * and the app starting from its cache; 500 edits offline; the station back and every edit
 * arriving exactly once (a replayed push changes nothing), sidecars written; a conflict with an
 * edit at the station, settled with one tap.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { homeTrusting, launchPersistent, type PersistentBrowser } from '../kit/browser.js';
import { takeawayLibrary } from '../kit/takeaway-library.js';
import { FieldStation, STATION_NAME } from '../kit/field-station.js';

const N = 1000;
const EDITS = 500;
const USER = { name: 'rosa', password: 'field tablet password 1' };

let work: string;
let root: string;
let home: string;
let profile: string;
let station: FieldStation;
let tablet: PersistentBrowser | undefined;
let setId = '';
let gridOrder: string[] = [];
const pushes: string[] = [];

const startStation = (): Promise<void> => station.start();
const stopStation = (): Promise<void> => station.stop();

/** The station's API over HTTPS, as the tablet's logged-in user (its session cookie). */
async function stationApi<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const cookies = await tablet!.context.cookies();
  return station.api<T>(method, path, cookies.find((c) => c.name === 'outpost_session')?.value ?? '', body);
}

const url = (path: string): string => station.url(path);

async function openTablet(): Promise<PersistentBrowser> {
  await closeTablet();
  tablet = await launchPersistent({ profileDir: profile, home, hostRules: `MAP ${STATION_NAME} 127.0.0.1` });
  tablet.page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/sync/ops')) pushes.push(r.postData() ?? '');
  });
  return tablet;
}

async function closeTablet(): Promise<void> {
  await tablet?.close();
  tablet = undefined;
}

/** Console errors other than the refused connections of a station that is down. */
const realErrors = (b: PersistentBrowser): string[] =>
  b.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e));

function catalogue(): Database.Database {
  return new Database(join(root, '.outpost', 'catalog.sqlite'), { readonly: true, fileMustExist: true });
}

function sidecarOf(id: string): string {
  const db = catalogue();
  try {
    const { path } = db.prepare('select path from items where id = ?').get(id) as { path: string };
    return readFileSync(join(root, `${path}.xmp`), 'utf8');
  } finally {
    db.close();
  }
}

function sidecarRating(id: string): string | undefined {
  return /xmp:Rating="(\d)"|<xmp:Rating>(\d)</.exec(sidecarOf(id))?.slice(1).find(Boolean);
}

async function openItem(page: Page, id: string): Promise<void> {
  await page.goto(url(`/offline?set=${setId}&item=${id}`));
  await page.waitForSelector(`.offline-item[data-item="${id}"]`);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-offline-'));
  ({ root } = await takeawayLibrary(join(work, 'lib'), N, USER));
  station = await FieldStation.create(work, root);
  await startStation();
  home = await homeTrusting(station.ca);
  profile = await mkdtemp(join(tmpdir(), 'outpost-tablet-profile-'));
});

after(async () => {
  await closeTablet();
  await station?.stop();
  await rm(work, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
  await rm(profile, { recursive: true, force: true });
});

describe('the tablet goes to the field', { timeout: 600_000 }, () => {
  it('takes 1,000 items offline over the station’s HTTPS; a service worker keeps the app', async () => {
    const { page } = await openTablet();
    await page.goto(url('/'));
    await page.waitForSelector('form.login');
    await page.fill('input[name=name]', USER.name);
    await page.fill('input[name=password]', USER.password);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');
    await page.waitForFunction('navigator.serviceWorker.controller !== null', undefined, { timeout: 30_000 });
    await page.goto(url('/offline?take=filter'));
    await page.selectOption('select[name=set-level]', 'thumbs');
    await page.waitForSelector('.offline-estimate');
    assert.match((await page.textContent('.offline-estimate')) ?? '', /1,000 items/);
    await page.fill('input[name=set-name]', 'Field week');
    await page.click('form.offline-new button[type=submit]');
    await page.waitForSelector('.offline-set[data-state="ready"]', { timeout: 180_000 });
    setId = (await page.getAttribute('.offline-set', 'data-set')) ?? '';
    assert.match((await page.textContent('.offline-set')) ?? '', /Field week.*1,000 items/);
    assert.deepEqual(realErrors(tablet!), []);
    await closeTablet();
  });

  it('the station stopped and the browser restarted twice: the app starts from its cache with the set', async () => {
    await stopStation();
    for (let i = 0; i < 2; i++) {
      const { page } = await openTablet();
      await page.goto(url('/'));
      await page.waitForSelector('.app[data-offline="yes"] .offline-set', { timeout: 15_000 });
      assert.match((await page.textContent('.offline-working')) ?? '', /out of reach/);
      assert.match((await page.textContent('.offline-set')) ?? '', /Field week/);
      await closeTablet();
    }
    const { page } = await openTablet();
    await page.goto(url(`/offline?set=${setId}`));
    await page.waitForSelector('.offline-grid li');
    assert.equal(await page.locator('.offline-grid li').count(), N);
    await page.waitForFunction(
      "[...document.querySelectorAll('.offline-grid img')].slice(0, 60).every((i) => i.complete && i.naturalWidth > 0)",
      undefined,
      { timeout: 15_000 },
    );
    gridOrder = await page.$$eval('.offline-grid li', (els) =>
      els.map((e) => e.getAttribute('data-item') ?? ''),
    );
  });

  it('500 edits offline; the station back: every one arrives exactly once, sidecars follow, a replay changes nothing', async () => {
    const { page } = await openTablet();
    const edited = new Map<string, number>();
    await openItem(page, gridOrder[0]!);
    for (let i = 0; i < EDITS; i++) {
      const id = gridOrder[i]!;
      const had = Number((await page.getAttribute(`.offline-item[data-item="${id}"]`, 'data-rating')) || 0);
      const rating = (had % 5) + 1;
      await page.keyboard.press(String(rating));
      await page.waitForSelector(`.offline-item[data-item="${id}"][data-rating="${rating}"]`);
      edited.set(id, rating);
      if (i < EDITS - 1) {
        await page.keyboard.press('ArrowRight');
        await page.waitForSelector(`.offline-item[data-item="${gridOrder[i + 1]}"]`);
      }
    }
    // The same form as online: tags, notes and a typed location on one more item (three fields).
    const formItem = gridOrder[EDITS]!;
    await openItem(page, formItem);
    await page.fill('form.attrs input[name=tags]', 'río, nido');
    await page.fill('form.attrs [name=notes]', 'seen from the ridge');
    await page.fill('form.attrs input[name=lat]', '-12.5');
    await page.fill('form.attrs input[name=lon]', '-69.25');
    await page.click('form.attrs button[type=submit]');
    await page.waitForSelector('.toast .toast-action');
    const total = EDITS + 3;
    assert.match(
      (await page.textContent('.offline-sync')) ?? '',
      /503 edits not yet synced, oldest just now/,
    );
    await startStation();
    await page.waitForSelector('.offline-sync[data-pending="0"]', { timeout: 60_000 });
    const db = catalogue();
    try {
      const taken = db.prepare('select count(*) as n from device_ops').get() as { n: number };
      assert.equal(taken.n, total);
      const logged = db.prepare("select count(*) as n from ops where origin like '%:tab-%'").get() as {
        n: number;
      };
      assert.equal(logged.n, total, 'each edit logged once');
      for (const [id, rating] of [...edited].slice(0, 50))
        assert.equal(
          (db.prepare('select rating from items where id = ?').get(id) as { rating: number }).rating,
          rating,
        );
    } finally {
      db.close();
    }
    for (const id of [gridOrder[0]!, gridOrder[250]!, gridOrder[EDITS - 1]!])
      assert.equal(sidecarRating(id), String(edited.get(id)), `sidecar of ${id.slice(0, 8)}`);
    const formed = await stationApi<{ attributes: { tags: string[]; notes: string; location: unknown } }>(
      'GET',
      `/api/items/${formItem}`,
    );
    assert.deepEqual(formed.body.attributes.tags, ['río', 'nido']);
    assert.equal(formed.body.attributes.notes, 'seen from the ridge');
    assert.deepEqual(formed.body.attributes.location, { lat: -12.5, lon: -69.25, source: 'hand' });
    assert.match(sidecarOf(formItem), /nido/);
    assert.match(sidecarOf(formItem), /seen from the ridge/);
    // The pushes replayed, as after a cut that lost their answers: nothing changes.
    assert.ok(pushes.length >= 1);
    for (const body of pushes) {
      const r = await stationApi<{ results: { duplicate: boolean }[] }>('POST', '/api/sync/ops', body);
      assert.equal(r.status, 200);
      assert.ok(r.body.results.every((x) => x.duplicate));
    }
    const again = catalogue();
    try {
      assert.equal(
        (again.prepare("select count(*) as n from ops where origin like '%:tab-%'").get() as { n: number }).n,
        total,
      );
    } finally {
      again.close();
    }
    assert.deepEqual(realErrors(tablet!), []);
    await closeTablet();
  });

  it('a conflict: the station changes a rating after the tablet’s offline edit; one winner everywhere, one entry, one tap takes the other value', async () => {
    const id = gridOrder[700]!;
    await stopStation();
    let { page } = await openTablet();
    await openItem(page, id);
    await page.keyboard.press('5');
    await page.waitForSelector(`.offline-item[data-item="${id}"][data-rating="5"]`);
    await closeTablet();
    await startStation();
    ({ page } = await openTablet());
    // Someone at the station rates it 2 before the tablet is back (the tablet is closed).
    const ctxCookieless = await stationApi<unknown>('PATCH', `/api/items/${id}`, { rating: 2 });
    assert.equal(ctxCookieless.status, 200);
    await page.goto(url('/offline'));
    await page.waitForSelector(`.offline-conflict[data-item="${id}"]`, { timeout: 30_000 });
    await page.waitForSelector('.offline-sync[data-pending="0"]');
    assert.equal(await page.locator('.offline-conflict').count(), 1);
    const conflicts = await stationApi<{ conflicts: { item: string; winner: string }[] }>(
      'GET',
      '/api/sync/conflicts',
    );
    assert.deepEqual(
      conflicts.body.conflicts.map((c) => [c.item, c.winner]),
      [[id, 'other']],
    );
    const station = await stationApi<{ attributes: { rating: number } }>('GET', `/api/items/${id}`);
    assert.equal(station.body.attributes.rating, 2, 'the later edit wins');
    assert.equal(sidecarRating(id), '2');
    await openItem(page, id);
    assert.equal(await page.getAttribute('.offline-item', 'data-rating'), '2', 'the tablet shows the winner');
    await page.goto(url('/offline'));
    await page.click(`.offline-conflict[data-item="${id}"] .take-other`);
    await page.waitForFunction(`document.querySelectorAll('.offline-conflict').length === 0`, undefined, {
      timeout: 15_000,
    });
    assert.equal(
      (await stationApi<{ attributes: { rating: number } }>('GET', `/api/items/${id}`)).body.attributes
        .rating,
      5,
    );
    assert.equal(sidecarRating(id), '5');
    await openItem(page, id);
    assert.equal(await page.getAttribute('.offline-item', 'data-rating'), '5');
    assert.deepEqual(
      (await stationApi<{ conflicts: unknown[] }>('GET', '/api/sync/conflicts')).body.conflicts,
      [],
    );
    assert.deepEqual(realErrors(tablet!), []);
  });
});
