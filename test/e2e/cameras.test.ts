import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../src/adapters/clock.js';
import { addUser } from '../../src/auth/users.js';
import { LiveHub } from '../../src/recorder/live/hub.js';
import { buildApp } from '../../src/server/app.js';
import type { LiveEventName } from '../../src/server/deps.js';
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
  /** The station's live events as the server follows them (the test tells them). */
  const followers = new Set<(name: LiveEventName, payload: unknown) => void>();
  const tell = (name: LiveEventName, payload: unknown): void => {
    for (const f of followers) f(name, payload);
  };

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
        list: () => [
          {
            name: 'gate',
            mode: 'motion',
            state: 'running',
            error: null,
            motionHighlight: true,
            session: 'north/morning',
          },
        ],
        hub: (name) => (name === 'gate' ? hub : undefined),
      },
      station: {
        snapshot: () => Promise.reject(new Error('no status in this test')),
        follow: (listener) => {
          followers.add(listener);
          return () => followers.delete(listener);
        },
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

  it('marks where motion is over the live picture, and takes the mark down when it ends', async () => {
    const page = b.page;
    await page.waitForFunction(`document.querySelector('img.live').naturalWidth === 320`);
    assert.match((await page.textContent('figure.camera figcaption')) ?? '', /session north\/morning/);
    assert.equal(await page.locator('[data-motion-box]').count(), 0, 'no mark before any motion');
    // The events stream is open once the page listens: tell until the mark shows.
    const box = { x: 0.5, y: 0.25, w: 0.25, h: 0.5 };
    for (let i = 0; i < 50 && (await page.locator('[data-motion-box]').count()) === 0; i++) {
      tell('motion-box', { camera: 'gate', box, atMs: Date.now() });
      await page.waitForTimeout(100);
    }
    const img = (await page.locator('img.live').boundingBox())!;
    const mark = (await page.locator('[data-motion-box]').boundingBox())!;
    // The picture is letterboxed in a 16:9 frame: the mark sits on the picture's own area.
    const [nw, nh] = (await page.evaluate(
      `(() => { const i = document.querySelector('img.live'); return [i.naturalWidth, i.naturalHeight]; })()`,
    )) as [number, number];
    const shown = Math.min(img.width / nw, img.height / nh);
    const [cw, ch] = [nw * shown, nh * shown];
    const [ox, oy] = [img.x + (img.width - cw) / 2, img.y + (img.height - ch) / 2];
    const near = (a: number, b: number): boolean => Math.abs(a - b) <= 3;
    assert.ok(near(mark.x, ox + 0.5 * cw) && near(mark.y, oy + 0.25 * ch), JSON.stringify({ mark, img }));
    assert.ok(near(mark.width, 0.25 * cw) && near(mark.height, 0.5 * ch), JSON.stringify({ mark, cw, ch }));
    // Another camera's motion does not mark this one; the end of motion takes the mark down.
    tell('motion-box', { camera: 'gate', box: null, atMs: Date.now() });
    await page.waitForSelector('[data-motion-box]', { state: 'detached', timeout: 5000 });
    tell('motion-box', { camera: 'other', box, atMs: Date.now() });
    await page.waitForTimeout(300);
    assert.equal(await page.locator('[data-motion-box]').count(), 0);
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
