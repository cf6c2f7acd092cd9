import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sqliteOf } from '../../src/library/catalog/handle.js';
import { startServer } from '../../src/server/server.js';
import { appFor, emptyLibrary, insertSyntheticItem } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

const PHOTO = `a1${'0'.repeat(62)}`;
const RECORDING = `b2${'0'.repeat(62)}`;

/**
 * Camera recordings stay out of the main gallery (tablet Chromium, touch): a library with one
 * handheld photo and one camera recording shows only the photo until "Include recordings" is
 * ticked, which goes into the URL and brings the recording in.
 */
describe(
  'web app: recordings apart from the gallery (headless Chromium, tablet)',
  { timeout: 120_000 },
  () => {
    let lib: Awaited<ReturnType<typeof emptyLibrary>>;
    let app: FastifyInstance;
    let url: string;
    let b: TestBrowser;

    before(async () => {
      lib = await emptyLibrary();
      await insertSyntheticItem(lib.catalog, PHOTO, '2024-05-01T08:00:00');
      await insertSyntheticItem(lib.catalog, RECORDING, '2024-05-01T09:00:00');
      // The recorder files its segments and clips under the card `cam:<camera>`.
      sqliteOf(lib.catalog).prepare("update items set card_id = 'cam:gate' where id = ?").run(RECORDING);
      app = await appFor(lib);
      ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
      b = await launchBrowser({ tablet: true });
    });

    after(async () => {
      await b?.close();
      await app?.close();
      await lib?.close();
    });

    const shown = async (): Promise<string[]> =>
      b.page.$$eval('.cell', (cells) => cells.map((c) => c.getAttribute('data-id') ?? ''));

    it('hides recordings by default and shows them when asked', async () => {
      const { page } = b;
      await page.goto(url);
      await page.waitForSelector('form.login');
      await page.fill('input[name=name]', 'editor');
      await page.fill('input[name=password]', 'a-long-test-password');
      await page.click('form.login button[type=submit]');
      await page.waitForSelector(`.cell[data-id="${PHOTO}"]`);
      assert.deepEqual(await shown(), [PHOTO]);

      // On a tablet the filters sit in a panel behind "Filters".
      await page.tap('.filters-toggle');
      const box = page.locator('input[name=recordings]');
      const r = await box.boundingBox();
      assert.ok(r, 'the "Include recordings" check box is on screen');
      await page.touchscreen.tap(r.x + r.width / 2, r.y + r.height / 2);
      await page.waitForSelector(`.cell[data-id="${RECORDING}"]`);
      assert.deepEqual((await shown()).sort(), [PHOTO, RECORDING].sort());
      assert.equal(new URL(page.url()).searchParams.get('recordings'), 'include');

      // The choice survives a reload (it is in the URL).
      await page.reload();
      await page.waitForSelector(`.cell[data-id="${RECORDING}"]`);
      await page.tap('.filters-toggle');
      assert.equal(await box.isChecked(), true);
    });
  },
);
