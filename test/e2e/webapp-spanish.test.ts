import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { addUser } from '../../src/auth/users.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { NODE, buildTestLibrary, type TestLibrary } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';
import * as geotag from '../../web/src/messages/geotag.js';
import * as login from '../../web/src/messages/login.js';
import * as status from '../../web/src/messages/status.js';

/** The catalogue areas of the pages below (their files import nothing: readable from Node). */
const en: Record<string, string> = { ...status.en, ...login.en, ...geotag.en };
const es: Record<string, string> = { ...status.es, ...login.es, ...geotag.es };

const PASSWORD = 'spanish-test-password';

/** The areas of the catalogue the pages below show (status, drives, uplink, cameras, cards, login…). */
const AREAS = [
  'status.',
  'drives.',
  'uplink.',
  'cameras.',
  'cards.',
  'login.',
  'lang.',
  'errors.',
  'geotag.',
];

/**
 * The fixed parts of the English messages of those areas (text between `{placeholders}`) that a
 * Spanish page must not show: only parts long enough to mean something and not also Spanish.
 */
function englishFragments(): string[] {
  const out = new Set<string>();
  for (const [key, text] of Object.entries(en)) {
    if (!AREAS.some((a) => key.startsWith(a))) continue;
    if (text === es[key]) continue;
    for (const part of text.split(/\{\w+\}/)) {
      const frag = part.trim().replace(/^[\s:;,.·()…-]+|[\s:;,.·()…-]+$/g, '');
      if (frag.length >= 5 && /[a-z]{3}/i.test(frag) && !(es[key] ?? '').includes(frag)) out.add(frag);
    }
  }
  return [...out];
}

/**
 * Everything a person reads on the page (its text, and labels, titles, placeholders, alt texts)
 * but the navigation bar (another area) and the indicators' details (the station's own words).
 */
const pageWords = (page: Page, root: string): Promise<string> =>
  page.evaluate<string>(`(() => {
    const body = document.querySelector(${JSON.stringify(root)}).cloneNode(true);
    for (const el of body.querySelectorAll('nav, .indicator .detail')) el.remove();
    const attrs = [...body.querySelectorAll('[aria-label],[title],[placeholder],[alt]')].flatMap((el) =>
      ['aria-label', 'title', 'placeholder', 'alt'].map((a) => el.getAttribute(a) ?? ''),
    );
    return body.textContent + '\\n' + attrs.join('\\n');
  })()`);

/** A tablet set to Spanish (Peru) reads the station pages and the login form in Spanish. */
describe('web app in Spanish (headless Chromium, tablet, es-PE)', { timeout: 180_000 }, () => {
  let lib: TestLibrary;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;
  const fragments = englishFragments();

  /** No English of these areas in `root` (the library's own label is data, not the app's words). */
  const noEnglish = async (where: string, root = 'body'): Promise<void> => {
    const words = await pageWords(page, root);
    const found = fragments.filter((f) => words.includes(f) && !lib.drive.marker.label.includes(f));
    assert.deepEqual(found, [], `${where} shows English text:\n${words}`);
  };

  before(async () => {
    lib = await buildTestLibrary();
    await addUser(lib.catalog, { name: 'coord', role: 'editor', password: PASSWORD, now: new Date() });
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: lib.clock,
      // A field office in Peru: cameras are set to Lima time (UTC−5, no summer time).
      timeZone: 'America/Lima',
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser({ tablet: true, locale: 'es-PE' });
    page = b.page;
  });

  after(async () => {
    await b?.close();
    await app?.close();
    await lib?.close();
  });

  it('has English and Spanish for every key of these areas, and enough English to look for', () => {
    assert.ok(fragments.length > 100, `${fragments.length} English fragments`);
    for (const key of Object.keys(en)) assert.ok(es[key], `${key} in Spanish`);
  });

  it('remembers the language the user chose on this tablet, over the tablet language', async () => {
    await page.goto(url);
    await page.waitForSelector('form.login select[name=language]');
    assert.equal(await page.inputValue('form.login select[name=language]'), 'es');
    assert.equal(await page.textContent('form.login button[type=submit]'), 'Iniciar sesión');
    await Promise.all([
      page.waitForEvent('load'),
      page.selectOption('form.login select[name=language]', 'en'),
    ]);
    await page.waitForSelector('form.login');
    assert.equal(await page.textContent('form.login button[type=submit]'), 'Log in');
    // Another visit (the tablet still says es-PE): English, as chosen.
    await page.goto(`${url}/status`);
    await page.waitForSelector('form.login');
    assert.equal(await page.textContent('form.login button[type=submit]'), 'Log in');
    assert.match((await page.textContent('form.login')) ?? '', /Log in to review media/);
    // And back to Spanish.
    await Promise.all([
      page.waitForEvent('load'),
      page.selectOption('form.login select[name=language]', 'es'),
    ]);
    await page.waitForSelector('form.login');
    assert.equal(await page.textContent('form.login button[type=submit]'), 'Iniciar sesión');
  });

  it('shows the login form in Spanish, with a Spanish error for a wrong password', async () => {
    await page.goto(url);
    await page.waitForSelector('form.login');
    assert.equal(await page.textContent('form.login button[type=submit]'), 'Iniciar sesión');
    await page.fill('input[name=name]', 'coord');
    await page.fill('input[name=password]', 'not-the-password');
    await page.tap('form.login button[type=submit]');
    await page.waitForSelector('form.login .error');
    assert.equal(await page.textContent('form.login .error'), 'Nombre de usuario o contraseña incorrectos.');
    await noEnglish('the login form');
    await page.fill('input[name=password]', PASSWORD);
    await page.tap('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');
  });

  it('shows the status, cards and cameras pages in Spanish', async () => {
    await page.goto(`${url}/status`);
    await page.waitForSelector('.status-page h2:has-text("Biblioteca")');
    assert.equal(await page.textContent('.status-page h1'), 'Estado');
    assert.match((await page.textContent('.status-page')) ?? '', /\d+ elementos \(\d+ fotos, \d+ videos/);
    await noEnglish('the status page');

    await page.goto(`${url}/cards`);
    await page.waitForSelector('li.card-row');
    assert.equal(await page.textContent('.page h1'), 'Tarjetas');
    assert.match((await page.textContent('li.card-row')) ?? '', /elementos · vista por última vez el/);
    await noEnglish('the cards page');

    await page.goto(`${url}/cameras`);
    await page.waitForSelector('.cameras-page h2');
    assert.equal(await page.textContent('.cameras-page h1'), 'Cámaras');
    await page.waitForSelector('.cameras-page p:has-text("no graba cámaras")');
    await noEnglish('the cameras page');
  });

  it('GPX camera clock: the station zone by default, a live count, and "find the offset" (§1.6)', async () => {
    // Ben's three photos: 2023-07-10/11/12 06:30 camera time, no GPS. Lima time: 11:30 UTC. The
    // logger has a fix every 2 minutes only from 11:20 to 11:40 UTC on those days: only UTC−5 fits.
    const segs: string[] = [];
    for (const day of ['10', '11', '12']) {
      const pts: string[] = [];
      const t0 = Date.parse(`2023-07-${day}T11:20:00Z`);
      for (let i = 0; i <= 10; i++)
        pts.push(
          `<trkpt lat="${(-12 - i / 1000).toFixed(5)}" lon="-77.0"><time>${new Date(t0 + i * 120_000).toISOString()}</time></trkpt>`,
        );
      segs.push(`<trkseg>${pts.join('')}</trkseg>`);
    }
    const gpx = `<?xml version="1.0"?><gpx version="1.1" creator="e2e" xmlns="http://www.topografix.com/GPX/1/1"><trk>${segs.join('')}</trk></gpx>`;

    await page.goto(`${url}/?monitor=Ben`);
    await page.waitForSelector('.cell');
    await page.tap('details.geotag summary');
    // The station's zone (America/Lima), not a fixed default.
    await page.waitForSelector('details.geotag legend:has-text("Reloj de la cámara: UTC−5")');
    assert.equal(await page.inputValue('input[name=offset-hours]'), '-5');
    await page.setInputFiles('input[name=gpx]', {
      name: 'salida.gpx',
      mimeType: 'application/gpx+xml',
      buffer: Buffer.from(gpx),
    });
    // The count comes without pressing anything.
    await page.waitForSelector('.geotag-live[data-matched="3"]');
    assert.equal(
      await page.textContent('.geotag-live'),
      '3 elementos reciben una posición con este desfase.',
    );
    // A wrong offset: the count follows as it is typed.
    await page.fill('input[name=offset-hours]', '2');
    await page.waitForSelector('details.geotag legend:has-text("UTC+2")');
    await page.waitForSelector('.geotag-live[data-matched="0"]');
    // Find the offset: back to the one that places all three.
    await page.tap('button.geotag-find');
    await page.waitForFunction(`document.querySelector('input[name=offset-hours]').value === '-5'`);
    await page.waitForSelector('.geotag-live[data-matched="3"]');
    await page.waitForSelector('details.geotag p[role=status]:has-text("UTC−5")');
    await noEnglish('the geotag panel', 'details.geotag');
    // 401 (the wrong password) and 404 (no cameras, no drives on this server) are expected answers.
    assert.deepEqual(
      b.errors.filter((e) => !e.startsWith('Failed to load resource')),
      [],
    );
  });
});
