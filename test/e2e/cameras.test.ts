import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../src/adapters/clock.js';
import { addUser } from '../../src/auth/users.js';
import { LiveHub } from '../../src/recorder/live/hub.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { insertRecording, startTestCamera } from '../integration/recorder/live-kit.js';
import { emptyLibrary } from '../integration/server/library.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

/** The Cameras page in real Chromium: a live MJPEG view fed by a real ffmpeg, and motion events. */
describe('Cameras page (headless Chromium, real ffmpeg)', { timeout: 120_000 }, () => {
  let lib: Awaited<ReturnType<typeof emptyLibrary>>;
  let app: FastifyInstance;
  let url: string;
  let b: TestBrowser & { errors: string[] };
  let hub: LiveHub;
  let camera: { stop(): Promise<void> };
  let eventId: string;

  const waitClients = async (n: number, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (hub.clients !== n) {
      if (Date.now() > deadline) assert.fail(`expected ${n} live viewers, the hub has ${hub.clients}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Pretend the tab was hidden/shown (headless Chromium keeps its only tab visible). */
  const setHidden = (hidden: boolean): Promise<unknown> =>
    b.page.evaluate(`(() => {
      const h = ${hidden};
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      document.dispatchEvent(new Event('visibilitychange'));
    })()`);

  before(async () => {
    lib = await emptyLibrary();
    await addUser(lib.catalog, {
      name: 'vera',
      role: 'viewer',
      password: 'camera-test-password',
      now: new Date(),
    });
    eventId = await insertRecording(lib.catalog, 1, {
      camera: 'gate',
      mode: 'motion',
      start: '2024-05-03T08:00:00',
    });
    hub = new LiveHub({ camera: 'gate', clock: systemClock, idleTimeoutMs: 2000 });
    camera = startTestCamera(hub, { fps: 5 });
    app = await buildApp({
      catalog: lib.catalog,
      drive: lib.drive,
      files: { root: lib.drive.layout.root },
      node: 'station-test',
      clock: systemClock,
      cameras: {
        list: () => [{ name: 'gate', mode: 'motion', state: 'running', error: null }],
        hub: (name) => (name === 'gate' ? hub : undefined),
      },
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    b = await launchBrowser();
  });

  after(async () => {
    await b?.close();
    await camera?.stop();
    await app?.close();
    hub?.close();
    await lib?.close();
  });

  it('shows a live picture that changes, to a logged-in viewer', async () => {
    const page = b.page;
    await page.goto(url);
    await page.waitForSelector('form.login');
    await page.fill('input[name=name]', 'vera');
    await page.fill('input[name=password]', 'camera-test-password');
    await page.click('form.login button[type=submit]');
    await page.click('nav.nav a[href="/cameras"]');
    await page.waitForFunction(`location.pathname === '/cameras'`);
    const img = page.locator('figure.camera[data-camera=gate] img.live');
    await page.waitForFunction(
      `(() => { const i = document.querySelector('img.live'); return i && i.complete && i.naturalWidth === 320; })()`,
      undefined,
      { timeout: 15_000 },
    );
    await waitClients(1);
    const first = await img.screenshot();
    let changed = false;
    for (let i = 0; i < 20 && !changed; i++) {
      await page.waitForTimeout(250);
      changed = !(await img.screenshot()).equals(first);
    }
    assert.ok(changed, 'the live picture changes over time');
    assert.match((await page.textContent('figure.camera figcaption')) ?? '', /gate.*motion.*live/);
  });

  it('stops pulling video while the page is hidden, and resumes when shown', async () => {
    await setHidden(true);
    await waitClients(0);
    await setHidden(false);
    await waitClients(1);
    await b.page.waitForFunction(`document.querySelector('img.live').naturalWidth === 320`, undefined, {
      timeout: 10_000,
    });
  });

  it('enlarges on tap and downloads a snapshot', async () => {
    const page = b.page;
    await page.click('figure.camera img.live');
    await page.waitForSelector('figure.camera.enlarged');
    const box = await page.locator('figure.camera img.live').boundingBox();
    assert.ok(box && box.width > 900, `enlarged to the window (${box?.width})`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('figure.camera:not(.enlarged)');
    // One stream (a viewer that ended a moment ago may still be closing on a busy machine; none stays).
    await waitClients(1, 3_000);
    await page.waitForTimeout(300);
    assert.equal(hub.clients, 1, 'enlarging reuses the same stream');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('figure.camera a[download]'),
    ]);
    assert.match(download.suggestedFilename(), /^gate-\d{8}-\d{6}\.jpg$/);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(path);
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
  });

  it('reconnects by itself when the camera comes back after the server ended the stream', async () => {
    await camera.stop(); // camera down: after 2 s the hub ends the viewer's stream
    await waitClients(0);
    await b.page.waitForFunction(
      `/no picture for/.test(document.querySelector('figure.camera figcaption').textContent)`,
      undefined,
      { timeout: 20_000 },
    );
    camera = startTestCamera(hub, { fps: 5 }); // a restarted ffmpeg feeds the same hub
    await waitClients(1, 15_000);
    await b.page.waitForFunction(
      `/live$/.test(document.querySelector('.cam-state').textContent)`,
      undefined,
      {
        timeout: 10_000,
      },
    );
  });

  it('lists motion events; tapping one opens the item view', async () => {
    const page = b.page;
    await page.waitForSelector('.motion-events li button');
    assert.equal(await page.locator('.motion-events li').count(), 1);
    assert.match((await page.textContent('.motion-events li')) ?? '', /gate · 2024-05-03 08:00:00/);
    await page.click('.motion-events li button');
    await page.waitForFunction(`location.pathname === '/' && location.search.includes('item=${eventId}')`);
    await page.waitForSelector('.item-view');
    await waitClients(0); // leaving the page closed the stream
    const pageErrors = b.errors.filter((e) => !/Failed to load resource/.test(e));
    assert.deepEqual(pageErrors, [], 'no script errors');
  });

  it("a camera's Recordings opens the gallery on that camera's recordings only", async () => {
    const page = b.page;
    await page.goto(page.url().replace(/\/[^/]*$/, '/cameras'));
    await page.click('.camera[data-camera="gate"] .recordings-link');
    await page.waitForFunction(`location.pathname === '/' && location.search.includes('camera=gate')`);
    await page.waitForSelector('.cell');
    const cells = await page.$$eval('.cell', (els) => els.map((e) => e.getAttribute('data-id') ?? ''));
    assert.ok(cells.includes(eventId), 'the motion clip is there');
    const api = await page.evaluate(
      `fetch('/api/items?camera=gate&limit=500').then((r) => r.json()).then((j) => j.items.map((i) => i.id))`,
    );
    assert.deepEqual(new Set(cells), new Set(api as string[]));
    // The main gallery leaves recordings out; the camera's own view is where they are.
    const gallery = await page.evaluate(
      `fetch('/api/items?limit=500').then((r) => r.json()).then((j) => j.items.map((i) => i.id))`,
    );
    assert.ok(!(gallery as string[]).includes(eventId));
  });
});
