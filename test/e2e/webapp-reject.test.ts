import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { NODE, emptyLibrary, insertSyntheticItem } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

const SETUP_CODE = 'REJ3-CT4D';
const idOf = (n: number): string => createHash('sha256').update(`reject-${n}`).digest('hex');
const N = 11;
/** Items 8–10 come from one card (the item view fixes a whole card's clock). */
const CARD = 'uuid:0c10c4a2-0000-4000-8000-000000000001';
const fromCard = (i: number): boolean => i >= 8;

/** Rejecting empty frames and deleting them on a tablet (issue 13 §2), in real Chromium. */
describe(
  'web app: reject, delete and fix a camera clock (headless Chromium, tablet)',
  { timeout: 120_000 },
  () => {
    let lib: Awaited<ReturnType<typeof emptyLibrary>>;
    let app: FastifyInstance;
    let url: string;
    let b: TestBrowser & { errors: string[] };
    let page: Page;
    const fileOf = (id: string): string =>
      join(lib.drive.layout.root, `library/Zed/2024-06-01/${id.slice(0, 16)}.jpg`);
    const cells = (): Promise<string[]> =>
      page.$$eval('.cell', (els) => els.map((e) => e.getAttribute('data-id') ?? ''));

    before(async () => {
      lib = await emptyLibrary();
      for (let i = 0; i < N; i++) {
        const id = idOf(i);
        await insertSyntheticItem(
          lib.catalog,
          id,
          `2024-05-01T08:${String(59 - i).padStart(2, '0')}:00`,
          false,
          fromCard(i) ? CARD : null,
        );
        await mkdir(dirname(fileOf(id)), { recursive: true });
        await writeFile(fileOf(id), `frame ${i}`);
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
      await b.context.addInitScript(`localStorage.setItem('outpost.stackBursts', 'off')`);
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

    it('x rejects the open item and u takes it back', async () => {
      await page.goto(`${url}/?item=${idOf(0)}`);
      await page.waitForSelector('.item-view');
      assert.equal(await page.$('.item-view .rejected-label'), null);
      await page.keyboard.press('x');
      await page.waitForSelector('.item-view .rejected-label');
      await page.keyboard.press('u');
      await page.waitForSelector('.item-view .rejected-label', { state: 'detached' });
      // The toggle in the view does the same by touch.
      await page.tap('.item-view .reject-toggle');
      await page.waitForSelector('.item-view .rejected-label');
      await page.tap('.item-view .reject-toggle');
      await page.waitForSelector('.item-view .rejected-label', { state: 'detached' });
    });

    it('rejects a selection in bulk; rejected frames leave the gallery; the filter brings them back', async () => {
      await page.goto(`${url}/`);
      await page.waitForFunction(`document.querySelectorAll('.cell').length === ${N}`);
      for (const i of [1, 2, 3]) await page.tap(`.cell[data-id="${idOf(i)}"] .check`);
      await page.locator('.bulk-reject').tap();
      await page.waitForFunction(`document.querySelectorAll('.cell.rejected').length === 3`);
      await page.reload();
      await page.waitForFunction(`document.querySelectorAll('.cell').length === ${N - 3}`);
      assert.ok(!(await cells()).includes(idOf(1)), 'hidden by default');
      await page.goto(`${url}/?rejected=only`);
      await page.waitForFunction(`document.querySelectorAll('.cell').length === 3`);
      assert.deepEqual(new Set(await cells()), new Set([1, 2, 3].map(idOf)));
    });

    it('deletes rejected frames after asking; the only copies stay unless that risk is confirmed too', async () => {
      await page.goto(`${url}/?rejected=only`);
      await page.waitForFunction(`document.querySelectorAll('.cell').length === 3`);
      await page.tap(`.cell[data-id="${idOf(1)}"] .check`);
      await page.tap(`.cell[data-id="${idOf(2)}"] .check`);
      const questions: string[] = [];
      // First question: delete 2? yes. Second: also the ones with no other copy? no.
      page.on('dialog', (d) => {
        questions.push(d.message());
        void (questions.length === 1 ? d.accept() : d.dismiss());
      });
      await page.locator('.bulk-delete').tap();
      await page.locator('.toast', { hasText: /2 rejected items deleted.*2 kept/ }).waitFor();
      assert.match(questions[0]!, /Delete 2 rejected items\?/);
      assert.match(questions[0]!, /2 of them exist nowhere else/);
      assert.equal(questions.length, 2);
      await page.waitForFunction(`document.querySelectorAll('.cell').length === 1`);
      for (const i of [1, 2]) {
        const r = await b.context.request.get(`${url}/api/items/${idOf(i)}`);
        assert.equal(r.status(), 404, 'deleted for the app');
        assert.ok(existsSync(fileOf(idOf(i))), 'its only copy is still on the drive');
      }
      // Now the last one, confirming the only-copy risk: its file goes.
      page.removeAllListeners('dialog');
      page.on('dialog', (d) => void d.accept());
      await page.tap(`.cell[data-id="${idOf(3)}"] .check`);
      await page.locator('.bulk-delete').tap();
      await page.locator('.toast', { hasText: /1 rejected items deleted\./ }).waitFor();
      assert.doesNotMatch((await page.textContent('.toast')) ?? '', /kept/);
      assert.ok(!existsSync(fileOf(idOf(3))), 'removed once the person accepted that risk');
      assert.ok(existsSync(fileOf(idOf(4))), 'a photo never rejected is untouched');
    });

    it('fixes a camera clock for a selection (preview, apply, undo)', async () => {
      const capturedOf = async (i: number): Promise<string> =>
        (
          (await (await b.context.request.get(`${url}/api/items/${idOf(i)}`)).json()) as {
            capturedAt: string;
          }
        ).capturedAt;
      const before = [await capturedOf(5), await capturedOf(6)];
      await page.goto(`${url}/`);
      await page.waitForSelector(`.cell[data-id="${idOf(5)}"]`);
      for (const i of [5, 6]) await page.tap(`.cell[data-id="${idOf(i)}"] .check`);
      await page.locator('.bulk-clock').tap();
      await page.fill('input[name=clockfix-by]', '+2h');
      await page.locator('.clock-fix button', { hasText: 'Preview' }).tap();
      await page.locator('.clock-fix-plan', { hasText: /^2 items:/ }).waitFor();
      await page.locator('.clock-fix button', { hasText: 'Apply' }).tap();
      await page.locator('.toast', { hasText: 'Capture times of 2 items moved by +2h.' }).waitFor();
      const plus2h = (iso: string): string =>
        new Date(Date.parse(`${iso.slice(0, 19)}Z`) + 2 * 3_600_000).toISOString().slice(0, 19);
      assert.equal((await capturedOf(5)).slice(0, 19), plus2h(before[0]!));
      assert.equal((await capturedOf(6)).slice(0, 19), plus2h(before[1]!));
      await page.locator('.toast button', { hasText: 'Undo' }).tap();
      for (let i = 0; i < 40 && (await capturedOf(5)) !== before[0]; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(await capturedOf(5), before[0]);
      assert.equal(await capturedOf(6), before[1]);
    });

    it('from one photo of a card: its true time fixes the whole card (preview, apply, undo)', async () => {
      const capturedOf = async (i: number): Promise<string> =>
        (
          (await (await b.context.request.get(`${url}/api/items/${idOf(i)}`)).json()) as {
            capturedAt: string;
          }
        ).capturedAt.slice(0, 19);
      const before = new Map<number, string>();
      for (const i of [4, 8, 9, 10]) before.set(i, await capturedOf(i));
      assert.equal(before.get(9), '2024-05-01T08:50:00');
      await page.goto(`${url}/?item=${idOf(9)}`);
      await page.waitForSelector('.item-view');
      await page.locator('.item-view .item-clock').tap();
      const dialog = page.locator('.clock-fix');
      await dialog.waitFor();
      assert.match((await dialog.textContent()) ?? '', /every item from card uuid:0c10c4a2/);
      // The photo is named, with the time its camera wrote.
      assert.match((await dialog.textContent()) ?? '', /\(camera time [^)]*08:50\) was really taken at/);
      await page.fill('input[name=clockfix-truth]', '2024-05-01T10:00:00');
      await dialog.locator('button', { hasText: 'Preview' }).tap();
      await page.locator('.clock-fix-plan', { hasText: /^3 items:/ }).waitFor();
      await dialog.locator('button', { hasText: 'Apply' }).tap();
      await page.locator('.toast', { hasText: 'Capture times of 3 items moved by +1h10m.' }).waitFor();
      const moved = (iso: string): string =>
        new Date(Date.parse(`${iso}Z`) + 70 * 60_000).toISOString().slice(0, 19);
      assert.equal(await capturedOf(9), '2024-05-01T10:00:00', 'the photo now has its true time');
      for (const i of [8, 10]) assert.equal(await capturedOf(i), moved(before.get(i)!), `card item ${i}`);
      assert.equal(await capturedOf(4), before.get(4), 'an item from elsewhere is untouched');
      await page.locator('.toast button', { hasText: 'Undo' }).tap();
      for (let k = 0; k < 40 && (await capturedOf(9)) !== before.get(9); k++)
        await new Promise((r) => setTimeout(r, 100));
      for (const i of [8, 9, 10]) assert.equal(await capturedOf(i), before.get(i), `undone: ${i}`);
    });
  },
);
