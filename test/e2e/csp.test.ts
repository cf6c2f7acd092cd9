import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Response } from 'playwright-core';
import { systemClock } from '../../src/adapters/clock.js';
import { addUser } from '../../src/auth/users.js';
import { LiveHub } from '../../src/recorder/live/hub.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { startTestCamera } from '../integration/recorder/live-kit.js';
import { NODE, buildTestLibrary, type TestLibrary } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

/**
 * The web app under its Content-Security-Policy in real Chromium: every page renders and the
 * browser reports no violation (a policy too strict for the built app would break it silently).
 */
describe('Content-Security-Policy (headless Chromium)', { timeout: 120_000 }, () => {
  let lib: TestLibrary;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let hub: LiveHub;
  let camera: { stop(): Promise<void> };

  /** Violations the page saw (a listener installed before any script of the page runs). */
  const violations = (): Promise<string[]> =>
    b.page.evaluate('window.__cspViolations.slice()') as Promise<string[]>;

  const assertClean = async (where: string): Promise<void> => {
    assert.deepEqual(await violations(), [], `CSP violations on ${where}`);
    const csp = b.errors.filter((e) => /Content Security Policy|Refused to/i.test(e));
    assert.deepEqual(csp, [], `console on ${where}`);
  };

  const assertHeaders = (res: Response | null, where: string): void => {
    assert.ok(res, where);
    const h = res.headers();
    assert.match(h['content-security-policy'] ?? '', /frame-ancestors 'none'/, where);
    assert.equal(h['x-frame-options'], 'DENY', where);
    assert.equal(h['referrer-policy'], 'same-origin', where);
  };

  before(async () => {
    lib = await buildTestLibrary();
    await addUser(lib.catalog, {
      name: 'ed',
      role: 'editor',
      password: 'csp-test-password',
      now: new Date(),
    });
    hub = new LiveHub({ camera: 'gate', clock: systemClock, idleTimeoutMs: 2000 });
    camera = startTestCamera(hub, { fps: 5 });
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: NODE,
      clock: systemClock,
      cameras: {
        list: () => [
          {
            name: 'gate',
            mode: 'motion',
            state: 'running',
            error: null,
            motionHighlight: false,
            session: null,
          },
        ],
        hub: (name) => (name === 'gate' ? hub : undefined),
      },
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser();
    await b.page.addInitScript(`
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));
    `);
  });

  after(async () => {
    await b?.close();
    await camera?.stop();
    await app?.close();
    hub?.close();
    await lib?.close();
  });

  it('login, gallery and an open item render with no violation', async () => {
    const page = b.page;
    assertHeaders(await page.goto(url), '/');
    await page.waitForSelector('form.login');
    await assertClean('the login page');
    await page.fill('input[name=name]', 'ed');
    await page.fill('input[name=password]', 'csp-test-password');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');
    // Thumbnails loaded (img-src) and laid out (element styles set by Preact).
    await page.waitForFunction(
      `[...document.querySelectorAll('.cell img')].filter((i) => i.complete && i.naturalWidth > 0).length >= 3`,
      undefined,
      { timeout: 15_000 },
    );
    const height = (await page.evaluate(`document.querySelector('.grid-canvas').style.height`)) as string;
    assert.match(height, /^\d+px$/, 'the grid got its computed height');
    await page.click('.cell');
    await page.waitForSelector('.item-view, [role=dialog]', { timeout: 10_000 });
    await page.waitForTimeout(500);
    await assertClean('the gallery and item view');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.item-view', { state: 'detached' });
  });

  it('status (event stream) and cameras (live MJPEG, blank data: image) render with no violation', async () => {
    const page = b.page;
    await page.click('nav.nav a[href="/status"]');
    await page.waitForFunction(`location.pathname === '/status'`);
    await page.waitForTimeout(500);
    await page.click('nav.nav a[href="/cameras"]');
    await page.waitForFunction(
      `(() => { const i = document.querySelector('img.live'); return i && i.complete && i.naturalWidth === 320; })()`,
      undefined,
      { timeout: 15_000 },
    );
    // Leaving the page swaps the live view for the blank data: GIF.
    await page.click('nav.nav a[href="/status"]');
    await page.waitForTimeout(300);
    await assertClean('status and cameras');
  });

  it('the API docs (Swagger UI) render under their policy', async () => {
    const page = b.page;
    assertHeaders(await page.goto(`${url}/api/docs/`), '/api/docs');
    await page.waitForSelector('.swagger-ui .opblock', { timeout: 15_000 });
    await assertClean('/api/docs');
  });

  it('API answers carry the headers too (JSON, errors, files)', async () => {
    for (const path of ['/api/items', '/api/nope', '/index.html']) {
      const res = await b.context.request.get(`${url}${path}`);
      const h = res.headers();
      assert.equal(h['x-frame-options'], 'DENY', path);
      assert.equal(h['referrer-policy'], 'same-origin', path);
      assert.match(h['content-security-policy'] ?? '', /default-src 'self'/, path);
    }
  });
});
