import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { systemClock } from '../../src/adapters/clock.js';
import { silentLogger } from '../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../src/adapters/process-runner.js';
import { addUser } from '../../src/auth/users.js';
import { parseConfig } from '../../src/config/load.js';
import { fingerprintCard } from '../../src/ingest/fingerprint.js';
import { ingestCard } from '../../src/ingest/ingest.js';
import { applyAttributes } from '../../src/library/attributes.js';
import { openCatalog, type Catalog } from '../../src/library/catalog/open.js';
import { initDrive } from '../../src/library/drive.js';
import { createMediaAnalyzer } from '../../src/media/analyzer.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { nodeReadMountInfo } from '../../src/station/mount-watcher.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';
import { corpusFiles } from '../kit/fixtures.js';
import { sqliteOf } from '../../src/library/catalog/handle.js';

/** Each payload, if it ever became markup, would set a flag and open a dialog. */
const xss = (n: number): string => `<img src=x onerror="window.__xss=${n};alert(${n})">`;
const HOSTILE_NAME = `${xss(1)}.jpg`;
/** A name that is not UTF-8: shown in its readable form (src/core/file-names.ts). */
const BAD_BYTES = Buffer.from('bad\xff\xfeutf8.jpg', 'latin1');
const EVENT = `<script>window.__xss=2;alert(2)</script>`;
const TAGS = [xss(3), '<svg onload="window.__xss=4;alert(4)">', '"><b>bold</b>', '&amp; &lt;'];
const NOTES = `</textarea>${xss(5)}\n<iframe srcdoc="<script>parent.__xss=6</script>"></iframe>`;
const LABEL = `${xss(7)}CARD`;

/** Hostile names and metadata render as text in real Chromium: no dialog, no injected element. */
describe('web app with hostile names and metadata (headless Chromium)', { timeout: 180_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'outpost-web-hostile-'));
  let catalog: Catalog;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;
  const dialogs: string[] = [];
  const ids = new Map<string, string>();

  /** Nothing ran and nothing was injected, whatever the page shows now. */
  const assertInert = async (where: string): Promise<void> => {
    // A string: the tests compile without the DOM library.
    const found = (await page.evaluate(`({
      flag: window.__xss ?? null,
      injected: document.querySelectorAll('img[src="x"], svg[onload], iframe, script:not([src]), b').length,
    })`)) as { flag: number | null; injected: number };
    assert.deepEqual(found, { flag: null, injected: 0 }, where);
    assert.deepEqual(dialogs, [], `${where}: no dialog`);
  };

  before(async () => {
    const drive = await initDrive(join(work, 'drive'), { now: new Date() });
    const card = join(work, 'card');
    const dcim = join(card, 'DCIM', '100CAM');
    mkdirSync(dcim, { recursive: true });
    const photos = corpusFiles();
    copyFileSync(photos[0]!, join(dcim, HOSTILE_NAME));
    writeFileSync(Buffer.concat([Buffer.from(`${dcim}/`), BAD_BYTES]), readFileSync(photos[1]!));
    const s = await ingestCard(
      {
        cardRoot: card,
        card: await fingerprintCard(card, { runner: nodeProcessRunner, readMountInfo: nodeReadMountInfo }),
        drive,
        monitor: 'Ana',
        settings: parseConfig({}, 'test').ingest,
        timeZone: 'UTC',
        node: 'test',
      },
      { analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }), clock: systemClock, log: silentLogger },
    );
    assert.equal(s.copied, 2, JSON.stringify(s));
    catalog = await openCatalog(drive.layout.catalog);
    for (const r of sqliteOf(catalog).prepare('select id, original_name from items').all() as {
      id: string;
      original_name: string;
    }[])
      ids.set(r.original_name, r.id);
    await applyAttributes(
      catalog,
      drive.layout.root,
      [...ids.values()],
      { event: EVENT, tags: TAGS, notes: NOTES },
      { node: 'test', nowMs: Date.now() },
    );
    sqliteOf(catalog).prepare('update cards set label = ?').run(LABEL);
    await addUser(catalog, {
      name: 'ana',
      role: 'editor',
      password: 'hostile-test-password',
      now: new Date(),
    });
    app = await buildApp({
      catalog,
      drive,
      files: { root: drive.layout.root },
      node: 'test',
      clock: systemClock,
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser();
    page = b.page;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(url);
    await page.waitForSelector('form.login');
    await page.fill('input[name=name]', 'ana');
    await page.fill('input[name=password]', 'hostile-test-password');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');
  });
  after(async () => {
    await b?.close();
    await app?.close();
    await catalog?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('the gallery shows the names as they are', async () => {
    await page.waitForSelector('.cell .thumb[title]');
    const titles = await page.$$eval('.cell .thumb[title]', (els) => els.map((e) => e.getAttribute('title')));
    assert.deepEqual(titles.sort(), [HOSTILE_NAME, 'bad\\xFF\\xFEutf8.jpg'].sort());
    await assertInert('gallery');
  });

  it('the item view shows name, event, tags and notes as text', async () => {
    for (const [name, id] of ids) {
      await page.goto(`${url}/?item=${id}`);
      await page.waitForSelector('.item-view .item-title');
      assert.ok((await page.textContent('.item-view .item-title'))?.includes(name), name);
      assert.equal(await page.getAttribute('.item-view', 'aria-label'), name);
      assert.equal(await page.inputValue('.item-view input[name=event]'), EVENT);
      assert.equal(await page.inputValue('.item-view input[name=tags]'), TAGS.join(', '));
      assert.equal(await page.inputValue('.item-view textarea[name=notes]'), NOTES);
      await assertInert(`item view of ${name}`);
    }
  });

  it('filters echo hostile text as text, and the cards page shows the label as text', async () => {
    await page.goto(`${url}/?q=${encodeURIComponent(xss(8))}&event=${encodeURIComponent(EVENT)}`);
    await page.waitForSelector('input[name=q]');
    assert.equal(await page.inputValue('input[name=q]'), xss(8));
    await page.waitForFunction(`!document.querySelector('.grid-foot')?.textContent.includes('Loading')`);
    await assertInert('filtered gallery');
    await page.goto(`${url}/cards`);
    await page.waitForFunction(`document.body.textContent.includes(${JSON.stringify(LABEL)})`, undefined, {
      timeout: 10_000,
    });
    await assertInert('cards page');
    assert.deepEqual(
      b.errors.filter((e) => !/404|Failed to load resource/.test(e)),
      [],
    );
  });
});
