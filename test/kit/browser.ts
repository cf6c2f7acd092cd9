import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const run = promisify(execFile);

/**
 * A throw-away home whose NSS database (Chromium's certificate store on Linux) trusts `caPem`
 * for websites, as a tablet does once the station's CA is installed (`certutil`, libnss3-tools).
 * Not `ignoreHTTPSErrors`: that would hide what a browser really does with an untrusted station
 * (a service worker never registers).
 */
export async function homeTrusting(caPem: string): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'outpost-chromium-home-'));
  const db = join(home, '.pki', 'nssdb');
  await mkdir(db, { recursive: true });
  await run('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  const file = join(home, 'station-ca.crt');
  await writeFile(file, caPem);
  await run('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'outpost-station-ca', '-i', file]);
  return home;
}

/** Debian's chromium package (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The web app's Content-Security-Policy has no 'unsafe-eval', and Playwright evaluates a string
 * predicate of `waitForFunction` with eval inside the page while it polls. Compiled here instead,
 * the predicate reaches the page as a function over the DevTools protocol, which CSP does not
 * govern; the app itself stays under its real policy in every browser test.
 */
function cspSafeWaits(page: Page): void {
  const waitForFunction = page.waitForFunction.bind(page);
  page.waitForFunction = ((fn: unknown, arg?: unknown, o?: object) =>
    waitForFunction(
      typeof fn === 'string' ? (new Function(`return (${fn});`) as () => unknown) : (fn as () => unknown),
      arg,
      o,
    )) as Page['waitForFunction'];
}

export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Closes the context and the browser (safe to call twice). */
  close(): Promise<void>;
}

/**
 * Headless Chromium with one fresh context and page. Console errors and failed page loads are
 * collected in `errors` so a test can show them when it fails.
 */
/** An iPad-sized touch tablet (Playwright's "iPad (gen 7)" descriptor, portrait). */
export const TABLET = {
  viewport: { width: 810, height: 1080 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

export async function launchBrowser(
  opts: {
    viewport?: { width: number; height: number };
    /** Emulate a touch tablet (TABLET); `viewport` still wins when given. */
    tablet?: boolean;
    /** The browser's language (navigator.languages), e.g. 'es-PE'. */
    locale?: string;
    timezoneId?: string;
    /** Let a test inject its own scripts (axe-core) past the app's CSP; never for tests of the app itself. */
    bypassCSP?: boolean;
    /** Trust this CA (PEM) for websites, in a throw-away NSS database (homeTrusting). */
    trustCa?: string;
    /** Chromium's --host-resolver-rules, e.g. `MAP pi-07.local 127.0.0.1`: a LAN name, never localhost. */
    hostRules?: string;
  } = {},
): Promise<TestBrowser & { errors: string[] }> {
  const home = opts.trustCa ? await homeTrusting(opts.trustCa) : undefined;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...ARGS, ...(opts.hostRules ? [`--host-resolver-rules=${opts.hostRules}`] : [])],
    timeout: 30_000,
    ...(home ? { env: { ...process.env, HOME: home } } : {}),
  });
  const dropHome = async (): Promise<void> => {
    if (home) await rm(home, { recursive: true, force: true });
  };
  let closed = false;
  try {
    const context = await browser.newContext({
      ...(opts.tablet ? TABLET : {}),
      viewport: opts.viewport ?? (opts.tablet ? TABLET.viewport : { width: 1200, height: 800 }),
      ...(opts.locale ? { locale: opts.locale } : {}),
      ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
      ...(opts.bypassCSP ? { bypassCSP: true } : {}),
    });
    context.on('page', cspSafeWaits);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    return {
      browser,
      context,
      page,
      errors,
      close: async () => {
        if (closed) return;
        closed = true;
        await context.close().catch(() => undefined);
        await browser.close();
        await dropHome();
      },
    };
  } catch (e) {
    await browser.close();
    await dropHome();
    throw e;
  }
}

/**
 * Taps, and taps again when Chromium never acknowledges the touch (seen on a loaded CI machine:
 * `performing tap action` hangs for the whole timeout). `landed` tells whether the tap took
 * effect, so a tap that did land but was acknowledged late is not repeated.
 */
export async function tapUntil(
  target: { tap(o?: { timeout?: number }): Promise<void> },
  landed: () => Promise<boolean>,
  tries = 3,
): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await target.tap({ timeout: 8_000 });
      return;
    } catch (err) {
      if (await landed()) return;
      if (i >= tries) throw err;
    }
  }
}

export interface PersistentBrowser {
  context: BrowserContext;
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

/**
 * Chromium with a persistent profile (`profileDir` keeps service workers, IndexedDB and caches
 * across launches, as a tablet keeps them across reboots) and the NSS database of `home`
 * (homeTrusting). A tablet-sized touch screen reached by `hostRules` (a LAN name).
 */
export async function launchPersistent(opts: {
  profileDir: string;
  home: string;
  hostRules: string;
  locale?: string;
}): Promise<PersistentBrowser> {
  const context = await chromium.launchPersistentContext(opts.profileDir, {
    executablePath: CHROMIUM,
    args: [...ARGS, `--host-resolver-rules=${opts.hostRules}`],
    env: { ...process.env, HOME: opts.home },
    timeout: 30_000,
    ...TABLET,
    ...(opts.locale ? { locale: opts.locale } : {}),
  });
  context.on('page', cspSafeWaits);
  const page = context.pages()[0] ?? (await context.newPage());
  cspSafeWaits(page);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  let closed = false;
  return {
    context,
    page,
    errors,
    close: async () => {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
    },
  };
}
