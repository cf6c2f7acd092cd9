/// <reference lib="webworker" />
/**
 * The app's service worker (built by web/vite.config.ts into dist/web/sw.js, with the list of
 * the build's files and a version): the app shell is precached, so the app starts with the
 * station out of reach; take-away media (web/src/offline/media-cache.ts) are answered from their
 * cache. Everything else (the API) goes to the network as before.
 */
const sw = self as unknown as ServiceWorkerGlobalScope;
declare const __PRECACHE__: string[];
declare const __VERSION__: string;

const SHELL = `outpost-shell-${__VERSION__}`;
const MEDIA = 'outpost-media';
/** A navigation waits this long for the station before the cached app is shown. */
const NAVIGATION_TIMEOUT_MS = 3000;
const MEDIA_RE = /^\/api\/items\/[0-9a-f]{64}\/(thumb|preview|poster|original)$/;
/** Pages that are not the app (the trust page, the API docs): never answered from the cache. */
const NOT_APP_RE = /^\/(api|trust)(\/|$)/;

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      await cache.addAll(__PRECACHE__);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys())
        if (name.startsWith('outpost-shell-') && name !== SHELL) await caches.delete(name);
      await sw.clients.claim();
    })(),
  );
});

async function navigation(req: Request): Promise<Response> {
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), NAVIGATION_TIMEOUT_MS));
  try {
    const res = await Promise.race([fetch(req), timeout]);
    if (res) return res;
  } catch {
    /* the station is out of reach */
  }
  return (await caches.match('/index.html', { cacheName: SHELL })) ?? Response.error();
}

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin) return;
  if (req.mode === 'navigate') {
    if (NOT_APP_RE.test(url.pathname)) return;
    event.respondWith(navigation(req));
    return;
  }
  if (__PRECACHE__.includes(url.pathname)) {
    event.respondWith((async () => (await caches.match(url.pathname, { cacheName: SHELL })) ?? fetch(req))());
    return;
  }
  if (MEDIA_RE.test(url.pathname) && !req.headers.has('range')) {
    event.respondWith((async () => (await caches.match(url.pathname, { cacheName: MEDIA })) ?? fetch(req))());
  }
});

export {};
