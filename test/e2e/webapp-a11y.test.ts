import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { addUser } from '../../src/auth/users.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { NODE, buildTestLibrary, type TestLibrary } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeResult {
  violations: {
    id: string;
    impact: string | null;
    help: string;
    nodes: { target: string[]; failureSummary?: string }[];
  }[];
}

/**
 * Accessibility: axe-core (WCAG 2.x A and AA rules) on every page of the app, on a tablet, in
 * both languages' layout; no serious or critical violation. axe is injected past the app's CSP
 * (this test checks markup, not the policy: test/e2e/csp.test.ts does that).
 */
describe('web app accessibility (axe-core, headless Chromium)', { timeout: 180_000 }, () => {
  let lib: TestLibrary;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let page: Page;

  const audit = async (what: string): Promise<void> => {
    await page.evaluate(AXE);
    // A string: evaluated in the page (this file is compiled without the DOM types).
    const r = (await page.evaluate(
      `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })`,
    )) as AxeResult;
    const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      bad.map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} — ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 5)
            .join(', ')}`,
      ),
      [],
      `${what}: serious accessibility violations`,
    );
  };

  before(async () => {
    lib = await buildTestLibrary();
    await addUser(lib.catalog, {
      name: 'ines',
      role: 'editor',
      password: 'a11y-test-password',
      now: lib.clock.now(),
    });
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: lib.clock,
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser({ tablet: true, bypassCSP: true });
    page = b.page;
  });
  after(async () => {
    await b?.close();
    await app?.close();
    await lib?.close();
  });

  it('the login page', async () => {
    await page.goto(url);
    await page.waitForSelector('form.login');
    await audit('login');
    await page.fill('input[name=name]', 'ines');
    await page.fill('input[name=password]', 'a11y-test-password');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');
  });

  it('the gallery, with a selection', async () => {
    await page.goto(url);
    await page.waitForSelector('.cell img');
    await audit('gallery');
    await page.click('.cell .check');
    await audit('gallery with a selection');
  });

  it('the item view', async () => {
    await page.goto(url);
    await page.waitForSelector('.cell');
    const id = await page.$eval('.cell', (el) => el.getAttribute('data-id'));
    await page.goto(`${url}/?item=${id}`);
    await page.waitForSelector('.item-view, [role=dialog]');
    await audit('item view');
  });

  for (const path of ['/status', '/cards', '/cameras', '/map', '/events']) {
    it(`the ${path.slice(1)} page`, async () => {
      await page.goto(url);
      await page.waitForSelector('nav.nav');
      await page.click(`nav.nav a[href="${path}"]`);
      await page.waitForLoadState('networkidle');
      await audit(path);
    });
  }
});
