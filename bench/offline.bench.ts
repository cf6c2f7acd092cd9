/**
 * bench:offline — the tablet in the field (issue 18), on a real station process over its own
 * HTTPS, reached by a LAN name through a counting TCP proxy, in Chromium with a persistent profile
 * that trusts the station's CA:
 *   offlineColdStartMs  browser relaunched with the station stopped → the app and a set's first 60
 *                       thumbnails painted, from navigation (target ≤ 1500; browserLaunchMs apart)
 *   bytesPer1000        storage used per 1,000 take-away items, thumbnails only (target ≤ 22 MB);
 *                       baseline: the thumbnails' own bytes (storageOverhead = ratio)
 *   syncSeconds500      500 edits made offline, acknowledged after the station returns (target ≤ 5);
 *                       baseline: the same 500 ops pushed straight by Node (rawPushMs)
 *   resyncRatio         bytes on the wire to refresh the unchanged set ÷ its first download
 *                       (target ≤ 0.01)
 * Ends with one JSON line {"bench":"offline", ...}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { homeTrusting, launchPersistent, type PersistentBrowser } from '../test/kit/browser.js';
import { FieldStation, STATION_NAME } from '../test/kit/field-station.js';
import { startFlakyProxy, type FlakyProxy } from '../test/kit/flaky-proxy.js';
import { takeawayLibrary } from '../test/kit/takeaway-library.js';

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const quick = process.argv.includes('--quick');
const N = quick ? 300 : 1000;
const EDITS = 500;
const USER = { name: 'bench', password: 'bench tablet password 1' };
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

const work = await mkdtemp(join(tmpdir(), 'outpost-bench-offline-'));
const profile = await mkdtemp(join(tmpdir(), 'outpost-bench-profile-'));
let station: FieldStation | undefined;
let proxy: FlakyProxy | undefined;
let home = '';
let b: PersistentBrowser | undefined;

const bytesOnWire = (): number => {
  const s = proxy!.stats();
  return s.bytesUp + s.bytesDown;
};

async function open(): Promise<PersistentBrowser> {
  await b?.close();
  b = await launchPersistent({ profileDir: profile, home, hostRules: `MAP ${STATION_NAME} 127.0.0.1` });
  return b;
}

/** The app through the proxy (its own port: the origin the tablet knows). */
const url = (path: string): string => station!.url(path, proxy!.port);

async function waitThumbs(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    `(() => { const im = [...document.querySelectorAll('.offline-grid img')].slice(0, ${n}); return im.length === ${n} && im.every((i) => i.complete && i.naturalWidth > 0); })()`,
    undefined,
    { timeout: 30_000 },
  );
}

try {
  log(`a library of ${N} items with thumbnails…`);
  const lib = await takeawayLibrary(join(work, 'lib'), N, USER);
  station = await FieldStation.create(work, lib.root);
  await station.start();
  proxy = await startFlakyProxy({ target: { host: '127.0.0.1', port: station.httpsPort } });
  home = await homeTrusting(station.ca);

  // Log in, let the service worker take the page, take the whole library away (thumbnails only).
  let { page } = await open();
  await page.goto(url('/'));
  await page.waitForSelector('form.login');
  await page.fill('input[name=name]', USER.name);
  await page.fill('input[name=password]', USER.password);
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('nav.nav');
  await page.waitForFunction('navigator.serviceWorker.controller !== null', undefined, { timeout: 30_000 });
  const usage = (): Promise<number> =>
    page.evaluate('navigator.storage.estimate().then((e) => e.usage)') as Promise<number>;
  await page.goto(url('/offline?take=filter'));
  await page.selectOption('select[name=set-level]', 'thumbs');
  await page.waitForSelector('.offline-estimate');
  const before = await usage();
  const wire0 = bytesOnWire();
  const t0 = performance.now();
  await page.click('form.offline-new button[type=submit]');
  await page.waitForSelector('.offline-set[data-state="ready"]', { timeout: 300_000 });
  const downloadMs = performance.now() - t0;
  const firstDownloadBytes = bytesOnWire() - wire0;
  const setId = (await page.getAttribute('.offline-set', 'data-set')) ?? '';
  const used = (await usage()) - before;
  const bytesPer1000 = (used / N) * 1000;
  const rawPer1000 = (lib.thumbBytes / N) * 1000;
  log(
    `take-away of ${N} items: ${Math.round(downloadMs)} ms, ${(firstDownloadBytes / 1e6).toFixed(2)} MB on the wire; storage ${(bytesPer1000 / 1e6).toFixed(2)} MB per 1000 (thumbnails alone ${(rawPer1000 / 1e6).toFixed(2)} MB)`,
  );

  // Refresh the unchanged set: only what the etag check costs.
  const wire1 = bytesOnWire();
  await page.click(`.offline-set[data-set="${setId}"] .offline-set-actions button.secondary`);
  await page.waitForSelector('.toast', { timeout: 30_000 });
  await page.waitForSelector(`.offline-set[data-set="${setId}"][data-state="ready"]`);
  const resyncBytes = bytesOnWire() - wire1;
  const resyncRatio = resyncBytes / firstDownloadBytes;
  log(`refresh of the unchanged set: ${resyncBytes} B on the wire (ratio ${resyncRatio.toExponential(2)})`);
  await b!.close();

  // Cold start with the station stopped.
  await station.stop();
  const starts: number[] = [];
  const launches: number[] = [];
  for (let i = 0; i < 4; i++) {
    const l0 = performance.now();
    ({ page } = await open());
    launches.push(performance.now() - l0);
    const s0 = performance.now();
    await page.goto(url(`/offline?set=${setId}`));
    await waitThumbs(page, 60);
    starts.push(performance.now() - s0);
  }
  // The first launch after a stop warms the disk cache: the median of the others.
  const sorted = starts.slice(1).sort((a, c) => a - c);
  const offlineColdStartMs = Math.round(sorted[sorted.length >> 1]!);
  const browserLaunchMs = Math.round(launches.slice(1).sort((a, c) => a - c)[1]!);
  log(`cold start offline: ${starts.map(Math.round).join(', ')} ms (browser launch ${browserLaunchMs} ms)`);

  // 500 edits offline (keyboard rating on the item view, as a person would), then the station back.
  const order = await page.$$eval('.offline-grid li', (els) =>
    els.map((e) => e.getAttribute('data-item') ?? ''),
  );
  await page.goto(url(`/offline?set=${setId}&item=${order[0]}`));
  const pushes: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/sync/ops')) pushes.push(r.postData() ?? '');
  });
  for (let i = 0; i < EDITS; i++) {
    const id = order[i % order.length]!;
    await page.waitForSelector(`.offline-item[data-item="${id}"]`);
    const had = Number((await page.getAttribute('.offline-item', 'data-rating')) || 0);
    const rating = (had % 5) + 1;
    await page.keyboard.press(String(rating));
    await page.waitForSelector(`.offline-item[data-item="${id}"][data-rating="${rating}"]`);
    if (i % order.length === order.length - 1) await page.goto(url(`/offline?set=${setId}&item=${order[0]}`));
    else await page.keyboard.press('ArrowRight');
  }
  await page.goto(url('/offline'));
  await page.waitForSelector(`.offline-sync[data-pending="${EDITS}"]`);
  const s0 = performance.now();
  await station.start();
  const back = performance.now();
  await page.waitForSelector('.offline-sync[data-pending="0"]', { timeout: 120_000 });
  const syncSeconds500 = round((performance.now() - back) / 1000);
  log(
    `station start ${Math.round(back - s0)} ms; 500 edits acknowledged ${syncSeconds500} s after it was back`,
  );

  // Baseline: the same pushes straight from Node (replayed: the station answers "duplicate").
  const session = (await b!.context.cookies()).find((c) => c.name === 'outpost_session')?.value ?? '';
  const r0 = performance.now();
  for (const body of pushes) await station.api('POST', '/api/sync/ops', session, body);
  const rawPushMs = Math.round(performance.now() - r0);
  log(`baseline: the same ${pushes.length} push(es) from Node: ${rawPushMs} ms`);
  await b!.close();

  const out = {
    bench: 'offline',
    items: N,
    offlineColdStartMs,
    browserLaunchMs,
    bytesPer1000: Math.round(bytesPer1000),
    thumbBytesPer1000: Math.round(rawPer1000),
    storageOverhead: round(bytesPer1000 / rawPer1000),
    syncSeconds500,
    rawPushMs,
    resyncRatio: Number(resyncRatio.toExponential(3)),
    resyncBytes,
    firstDownloadBytes,
    downloadMs: Math.round(downloadMs),
    met: {
      offlineColdStart: offlineColdStartMs <= 1500,
      bytesPer1000: bytesPer1000 <= 22e6,
      syncSeconds500: syncSeconds500 <= 5,
      resyncRatio: resyncRatio <= 0.01,
    },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await b?.close();
  await proxy?.close();
  await station?.stop();
  await rm(work, { recursive: true, force: true });
  await rm(profile, { recursive: true, force: true });
  if (home) await rm(home, { recursive: true, force: true });
}
