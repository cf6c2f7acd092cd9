import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Vite names built assets `<name>-<hash>.<ext>` under assets/: safe to cache for ever. */
const HASHED = /^assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/**
 * A client-side page of the app (web/src/App.tsx: /status, /cards, /cameras, and any page added
 * later): a path whose last segment has no file extension, outside assets/. Served index.html so it
 * survives a reload or a bookmark. Files (`x.js`, `assets/…`) that do not exist stay a 404.
 */
export function isAppPage(path: string): boolean {
  if (path === 'assets' || path.startsWith('assets/')) return false;
  const last = path.split('/').pop() ?? '';
  return !last.includes('.');
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
export async function registerWebApp(app: FastifyInstance, root = defaultWebRoot()): Promise<void> {
  const { default: fastifyStatic } = await import('@fastify/static');
  const abs = resolve(root);
  await app.register(fastifyStatic, { root: abs, serve: false });

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
      if (path === '' || path === 'index.html') return sendIndex(reply);
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
