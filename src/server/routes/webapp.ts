import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Vite names built assets `<name>-<hash>.<ext>` under assets/: safe to cache for ever. */
const HASHED = /^assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/**
 * First path segments of the app's client-side pages (web/src/App.tsx's PAGES, and the login
 * form): served index.html so a page survives a reload or a bookmark. A page added to the app is
 * added here (test/e2e/webapp-gallery.test.ts reloads every page of the nav); any other path stays
 * the API's JSON 404, so a mistyped address or a stale bundle fails loudly.
 */
const APP_PAGES = new Set([
  'status',
  'cards',
  'cameras',
  'fleet',
  'snapshots',
  'video',
  'edit',
  'map',
  'events',
  'offline',
  'login',
]);

export function isAppPage(path: string): boolean {
  return APP_PAGES.has(path.split('/')[0]!);
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Outpost</title>
<h1>Outpost</h1>
<p>The web app is not built. Run <code>npm run build</code> (or <code>npm run build:web</code>) and reload.</p>
<p>The API is available: <a href="/api/docs">/api/docs</a>.</p>`;

/**
 * Where the built app is: `dist/web` of the checkout or install, found by walking up from this
 * module (it runs from dist/src/server/routes in tests and from dist/bundle in the CLI bundle).
 */
export function defaultWebRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json'))) return join(d, 'dist', 'web');
    const up = dirname(d);
    if (up === d) return resolve('dist', 'web');
    d = up;
  }
}

/**
 * Serves the web app (single-page app) from `root`: its files as they are, and index.html for
 * its client-side pages so they survive a reload; every other URL is the API's JSON 404. Public (the login form
 * lives in the app); the API checks access on every call.
 */
/** Items in the gallery's first page (web/src/item-list.ts FIRST_PAGE). */
const FIRST_PAGE = '100';

/**
 * What the gallery asks first (who is logged in, the first page of items), asked of the API
 * itself (same access checks, with the visitor's own cookie) and put into the page as a data
 * block, which the Content-Security-Policy leaves alone (it is never run). On a slow, far link
 * that saves the round trips between the page, its script and the API. Nothing when the
 * visitor is not logged in: the app asks as usual and shows the login form.
 */
async function bootBlock(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const headers = { cookie: req.headers.cookie ?? '', host: req.headers.host ?? 'localhost' };
  if (!headers.cookie) return '';
  const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers });
  const user = me.statusCode === 200 ? (me.json() as { user?: unknown }).user : undefined;
  if (!user) return '';
  // The session's renewed cookie, as /api/auth/me would have set it.
  const cookie = me.headers['set-cookie'];
  if (cookie) void reply.header('set-cookie', cookie);
  const query = new URLSearchParams(req.url.split('?')[1] ?? '');
  query.set('limit', FIRST_PAGE);
  const items = await app.inject({ method: 'GET', url: `/api/items?${query}`, headers });
  const page = items.statusCode === 200 ? (items.json() as BootPage) : undefined;
  const boot = { me: me.json(), ...(page ? { items: { query: query.toString(), page } } : {}) };
  // `<` escaped: the data can never close its own script element.
  const data = `<script type="application/json" id="outpost-boot">${JSON.stringify(boot).replace(/</g, '\\u003c')}</script>`;
  return [data, ...preloadThumbs(page)].join('\n  ');
}

type BootPage = { items?: { links?: { thumb?: string | null } }[] };

/** Thumbnails fetched with the page's own script and style (about a phone's first screen). */
const PRELOAD_THUMBS = 12;

/**
 * The first screen's thumbnails, asked for by the page itself: the browser fetches them while the
 * script downloads instead of after it ran (over 1 Mbit/s and 300 ms that is most of a second),
 * and the gallery's images find them ready. High priority, or Chromium holds image preloads back
 * until the page's script and style are in. Only the API's own thumbnail paths.
 */
function preloadThumbs(page: BootPage | undefined): string[] {
  return (page?.items ?? [])
    .map((i) => i.links?.thumb)
    .filter((u): u is string => typeof u === 'string' && /^\/api\/items\/[0-9a-f]{64}\/thumb$/.test(u))
    .slice(0, PRELOAD_THUMBS)
    .map((u) => `<link rel="preload" as="image" href="${u}" fetchpriority="high">`);
}

export async function registerWebApp(app: FastifyInstance, root = defaultWebRoot()): Promise<void> {
  const { default: fastifyStatic } = await import('@fastify/static');
  const abs = resolve(root);
  await app.register(fastifyStatic, { root: abs, serve: false });

  const sendGallery = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    let html: string;
    try {
      html = await readFile(join(abs, 'index.html'), 'utf8');
    } catch {
      return sendIndex(reply);
    }
    const boot = await bootBlock(app, req, reply).catch(() => '');
    // Someone's own items: never kept by a cache, and another visitor's page is another page.
    return reply
      .header('cache-control', 'no-store')
      .header('vary', 'cookie')
      .type('text/html; charset=utf-8')
      .send(boot ? html.replace('</head>', `  ${boot}\n  </head>`) : html);
  };

  const sendIndex = (reply: FastifyReply): FastifyReply => {
    if (!existsSync(join(abs, 'index.html')))
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(NOT_BUILT);
    void reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', abs, { cacheControl: false });
  };

  app.route({
    method: 'GET',
    url: '/*',
    config: { role: 'public' },
    schema: { hide: true },
    handler: async (req, reply) => {
      let path: string;
      try {
        path = decodeURIComponent((req.url.split('?')[0] ?? '/').replace(/^\/+/, ''));
      } catch {
        return reply.callNotFound(); // malformed %-escape
      }
      // A NUL byte makes statSync throw (500): no file name has one, so it is simply not found.
      if (path === 'api' || path.startsWith('api/') || path.includes('\0')) return reply.callNotFound();
      if (path === '') return sendGallery(req, reply);
      if (path === 'index.html') return sendIndex(reply);
      const file = resolve(abs, path);
      const inside = file.startsWith(abs + sep);
      if (inside && statSync(file, { throwIfNoEntry: false })?.isFile()) {
        if (HASHED.test(path)) return reply.sendFile(path, abs, { immutable: true, maxAge: '365d' });
        void reply.header('cache-control', 'no-cache');
        return reply.sendFile(path, abs, { cacheControl: false });
      }
      // Only the app's pages get index.html; missing files stay a JSON 404 (a stale index.html
      // asking for an old bundle fails loudly instead of loading HTML as JavaScript).
      if (isAppPage(path)) return sendIndex(reply);
      return reply.callNotFound();
    },
  });
}
