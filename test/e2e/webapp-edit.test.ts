import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { addUser } from '../../src/auth/users.js';
import { groupBursts } from '../../src/core/bursts.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { NODE, buildTestLibrary, type TestLibrary } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

interface ApiItem {
  id: string;
  type: string;
  monitor: string;
  cardId: string | null;
  camera: string | null;
  capturedAt: string | null;
  originalName: string;
  gps: { lat: number; lon: number } | null;
  attributes: {
    rating: number | null;
    event: string | null;
    notes: string | null;
    tags: string[];
    location: { lat: number; lon: number; source?: string } | null;
  };
}

const PASSWORD = 'edit-test-password';

/**
 * Editing in real Chromium on a touch tablet: bulk location vs the photos' own GPS, one
 * position with its source, toasts, unsaved text kept, undo, bulk tags, viewers read-only.
 */
describe('web app: editing (headless Chromium, tablet)', { timeout: 180_000 }, () => {
  let lib: TestLibrary;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;

  const get = async <T>(path: string): Promise<T> => {
    const res = await b.context.request.get(`${url}${path}`);
    assert.equal(res.status(), 200, `${path}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  const item = (id: string): Promise<ApiItem> => get<ApiItem>(`/api/items/${id}`);
  const patch = async (id: string, body: object): Promise<void> => {
    const res = await b.context.request.patch(`${url}/api/items/${id}`, {
      data: body,
      headers: { 'x-outpost-csrf': '1' },
    });
    assert.equal(res.status(), 200, await res.text());
  };
  /**
   * Ana's photos that the grid shows as a cell of their own: a frame inside a burst has no cell
   * while its stack is folded (generated photos, in a fresh clone, come in bursts).
   */
  const anaPhotos = async (): Promise<ApiItem[]> => {
    const all = (await get<{ items: ApiItem[] }>('/api/items?monitor=Ana&type=photo&limit=500')).items;
    const groups = groupBursts(
      all.map((it) => ({
        id: it.id,
        camera: `${it.monitor}\u0000${it.cardId ?? ''}\u0000${it.camera ?? ''}`,
        captureMs: it.capturedAt ? Date.parse(it.capturedAt) : null,
        isPhoto: it.type === 'photo',
      })),
    );
    const lone = new Set(groups.filter((g) => g.ids.length === 1).map((g) => g.ids[0]));
    return all.filter((it) => lone.has(it.id));
  };

  const login = async (p: Page, name: string): Promise<void> => {
    await p.goto(url);
    await p.waitForSelector('form.login');
    await p.fill('input[name=name]', name);
    await p.fill('input[name=password]', PASSWORD);
    await p.click('form.login button[type=submit]');
    await p.waitForSelector('nav.nav');
  };
  /** A thumbnail's cell: the grid renders only what is near the view, so scroll until it is there. */
  const cell = async (id: string) => {
    const loc = page.locator(`.cell[data-id="${id}"]`);
    // The grid re-lays itself out when the selection bar appears: look again if the cell went.
    for (let attempt = 0; ; attempt++) {
      await page.locator('.grid-scroll').evaluate((el) => el.scrollTo(0, 0));
      for (let i = 0; i < 60 && (await loc.count()) === 0; i++) {
        await page.locator('.grid-scroll').evaluate((el) => el.scrollBy(0, 300));
        await page.waitForTimeout(50);
      }
      try {
        await loc.scrollIntoViewIfNeeded({ timeout: attempt < 2 ? 3_000 : 30_000 });
        return loc;
      } catch (e) {
        if (attempt >= 2) throw e;
      }
    }
  };
  /** Tap a thumbnail's check box. */
  const tapCheck = async (id: string): Promise<void> => {
    await (await cell(id)).locator('.check').tap();
  };
  const tapOpen = async (id: string): Promise<void> => {
    await (await cell(id)).locator('.thumb').tap();
    await page.waitForSelector('.item-view');
  };
  /** The toast is on screen (inside the viewport), with this text. */
  const toastSays = async (re: RegExp): Promise<void> => {
    const toast = page.locator('.toast');
    await toast.filter({ hasText: re }).waitFor();
    const box = (await toast.boundingBox())!;
    const vp = page.viewportSize()!;
    assert.ok(box.y >= 0 && box.y + box.height <= vp.height, `the toast is in view (${JSON.stringify(box)})`);
  };
  const closeToast = async (): Promise<void> => {
    if (await page.isVisible('.toast')) await page.click('.toast .toast-close');
  };

  before(async () => {
    lib = await buildTestLibrary();
    await addUser(lib.catalog, { name: 'coord', role: 'editor', password: PASSWORD, now: new Date() });
    await addUser(lib.catalog, { name: 'visitor', role: 'viewer', password: PASSWORD, now: new Date() });
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: lib.clock,
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser({ tablet: true });
    page = b.page;
    await login(page, 'coord');
  });

  after(async () => {
    await b?.close();
    await app?.close();
    await lib?.close();
  });

  it('a bulk location leaves photos with their own GPS alone unless chosen; one position with its source', async () => {
    const photos = await anaPhotos();
    const own = photos.filter((p) => p.gps && !p.attributes.location).slice(0, 2);
    const bare = photos.filter((p) => !p.gps && !p.attributes.location).slice(0, 2);
    assert.equal(own.length, 2);
    assert.equal(bare.length, 2);
    await page.goto(`${url}/?monitor=Ana&type=photo`);
    await page.waitForSelector('.cell');
    for (const p of [...own, ...bare]) await tapCheck(p.id);
    await page.waitForSelector('form.bulk');
    await page.fill('input[name=bulk-lat]', '-12.59');
    await page.fill('input[name=bulk-lon]', '-69.19');
    const choice = page.locator('label:has(input[name=bulk-overwrite-gps])');
    assert.match((await choice.textContent()) ?? '', /Also overwrite 2 photos that have their own GPS/);
    await page.locator('form.bulk button[type=submit]').tap();
    await toastSays(/2 updated\. 2 photos have their own GPS and were left alone\./);
    for (const p of own) assert.equal((await item(p.id)).attributes.location, null, p.originalName);
    for (const p of bare)
      assert.deepEqual((await item(p.id)).attributes.location, { lat: -12.59, lon: -69.19, source: 'hand' });
    await closeToast();
    await page.locator('form.bulk button', { hasText: 'Clear selection' }).tap();

    // One position each, with where it came from, and a map link for the hand-set one too.
    await tapOpen(own[0]!.id);
    assert.equal(await page.locator('.item-view .position').count(), 1);
    assert.match((await page.textContent('.item-view .position dt')) ?? '', /from the camera/);
    assert.equal(await page.locator('.item-view dt', { hasText: /^GPS$/ }).count(), 0, 'no second position');
    await page.click('.item-view button[aria-label=Close]');
    await tapOpen(bare[0]!.id);
    assert.match((await page.textContent('.item-view .position dt')) ?? '', /set by hand/);
    assert.match((await page.textContent('.item-view .position dd')) ?? '', /-12\.590000, -69\.190000/);
    const href = await page.getAttribute('.item-view .position a.map-link', 'href');
    // The station's own map, centred on the item (offline tiles; webapp-map.test.ts opens it).
    assert.match(href ?? '', /^\/map\?lat=-12\.59&lon=-69\.19&zoom=16&focus=/);
    await page.click('.item-view button[aria-label=Close]');
    await page.waitForSelector('.item-view', { state: 'detached' });
  });

  it('errors show in a toast; unsaved event and notes are saved when moving on', async () => {
    const photos = await anaPhotos();
    const [first, second] = [photos[5]!, photos[6]!];
    await page.goto(`${url}/?monitor=Ana&type=photo&item=${first.id}`);
    await page.waitForSelector('.item-view form.attrs');
    await b.context.setOffline(true);
    await page.fill('.item-view textarea[name=notes]', 'Two tapirs at dawn.');
    await page.locator('.item-view form.attrs button[type=submit]').tap();
    await toastSays(/Not saved: The station cannot be reached/);
    assert.equal(await page.getAttribute('.toast', 'role'), 'alert');
    await b.context.setOffline(false);
    await closeToast();
    // A refused field is named in plain words (not "body.tags.1: Too big"), and nothing is saved.
    await page.fill('.item-view input[name=tags]', `ok, ${'x'.repeat(70)}`);
    await page.locator('.item-view form.attrs button[type=submit]').tap();
    await toastSays(/Tags \(no\. 2\): too long: at most 64 characters/);
    assert.doesNotMatch((await page.textContent('.toast')) ?? '', /body\.|Too big/);
    assert.deepEqual((await item(first.id)).attributes.tags, first.attributes.tags);
    await page.fill('.item-view input[name=tags]', (first.attributes.tags ?? []).join(', '));
    await closeToast();
    // Typed, not saved, then Next: saved, not dropped.
    await page.fill('.item-view input[name=event]', 'TAMBOPATA-W49');
    await page.locator('.item-view button[aria-label=Next]').tap();
    await page.locator('.item-view .item-title', { hasText: second.originalName }).waitFor();
    await toastSays(/Saved your changes/);
    const saved = await item(first.id);
    assert.equal(saved.attributes.event, 'TAMBOPATA-W49');
    assert.equal(saved.attributes.notes, 'Two tapirs at dawn.');
    assert.equal(await page.inputValue('.item-view input[name=event]'), second.attributes.event ?? '');
    await page.click('.item-view button[aria-label=Close]');
    await closeToast();
  });

  it('number keys re-rate a selection; Undo puts it back except what someone changed since', async () => {
    const photos = (await anaPhotos()).slice(10, 13);
    const before = await Promise.all(photos.map((p) => item(p.id)));
    await page.goto(`${url}/?monitor=Ana&type=photo`);
    await page.waitForSelector('.cell');
    for (const p of photos) await tapCheck(p.id);
    await page.waitForSelector('form.bulk');
    await page.keyboard.press('4');
    await toastSays(/3 updated/);
    for (const p of photos) assert.equal((await item(p.id)).attributes.rating, 4);
    // Someone else re-rates the third in between: the undo leaves that alone.
    await patch(photos[2]!.id, { rating: 1 });
    await page.locator('.toast .toast-action', { hasText: 'Undo' }).tap();
    await toastSays(/Undone, except 1 changes someone made since/);
    for (const [i, p] of photos.entries())
      assert.equal((await item(p.id)).attributes.rating, i === 2 ? 1 : before[i]!.attributes.rating);
    await closeToast();

    // A single edit, undone with Ctrl+Z.
    await page.locator('form.bulk button', { hasText: 'Clear selection' }).tap();
    await tapOpen(photos[0]!.id);
    await page.keyboard.press('5');
    await toastSays(/Saved/);
    assert.equal((await item(photos[0]!.id)).attributes.rating, 5);
    await page.keyboard.press('Control+z');
    await toastSays(/^Undone\./);
    assert.equal((await item(photos[0]!.id)).attributes.rating, before[0]!.attributes.rating);
    await page.click('.item-view button[aria-label=Close]');
    await closeToast();
  });

  it('bulk tags: add and remove one tag, case- and accent-aware, with autocomplete', async () => {
    const [a, c] = (await anaPhotos()).slice(14, 16);
    await patch(a!.id, { tags: ['Ñandú', 'río'] });
    await patch(c!.id, { tags: ['noche'] });
    await page.goto(`${url}/?monitor=Ana&type=photo`);
    await page.waitForSelector('.cell');
    await tapCheck(a!.id);
    await tapCheck(c!.id);
    await page.waitForSelector('form.bulk');
    await page.fill('input[name=bulk-tag]', 'ñ');
    await page.locator('#bulk-tag-suggestions option[value="Ñandú"]').waitFor({ state: 'attached' });
    await page.fill('input[name=bulk-tag]', 'ñandú');
    await page.locator('form.bulk button[name=bulk-add-tag]').tap();
    await toastSays(/2 updated/);
    assert.deepEqual((await item(a!.id)).attributes.tags, ['Ñandú', 'río']);
    assert.deepEqual((await item(c!.id)).attributes.tags, ['noche', 'ñandú']);
    await closeToast();
    await page.fill('input[name=bulk-tag]', 'RÍO');
    await page.locator('form.bulk button[name=bulk-remove-tag]').tap();
    await toastSays(/2 updated/);
    assert.deepEqual((await item(a!.id)).attributes.tags, ['Ñandú'], 'only río went');
    assert.deepEqual((await item(c!.id)).attributes.tags, ['noche', 'ñandú']);
  });

  it('a viewer sees the attributes read-only and the rating keys do nothing', async () => {
    const target = (await anaPhotos())[14]!;
    await patch(target.id, { event: 'VIEW-ME', notes: 'Seen from afar.', rating: 2, tags: ['Ñandú'] });
    const v = await launchBrowser({ tablet: true });
    try {
      await login(v.page, 'visitor');
      const sent: string[] = [];
      v.page.on('request', (r) => {
        if (r.method() !== 'GET') sent.push(`${r.method()} ${r.url()}`);
      });
      await v.page.goto(`${url}/?item=${target.id}`);
      await v.page.waitForSelector('.item-view .attrs.read-only');
      const text = (await v.page.textContent('.item-view .attrs.read-only')) ?? '';
      for (const want of ['VIEW-ME', 'Seen from afar.', 'Ñandú', '★★']) assert.ok(text.includes(want), want);
      assert.equal(await v.page.isVisible('.item-view form.attrs'), false, 'nothing to edit');
      await v.page.keyboard.press('3');
      await v.page.keyboard.press('Control+z');
      await v.page.waitForTimeout(300);
      assert.deepEqual(sent, [], 'no edit request');
      assert.equal((await item(target.id)).attributes.rating, 2);
    } finally {
      await v.close();
    }
  });
});
