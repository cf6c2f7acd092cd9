import preact from '@preact/preset-vite';
import { build as esbuild } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/web', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * The service worker (web/sw/service-worker.ts) is built after the app, with the list of the
 * build's files to precache and a version taken from their contents: a new build is a new
 * service worker, and the old shell's cache is dropped when it takes over.
 */
function serviceWorker(): Plugin {
  return {
    name: 'outpost-service-worker',
    apply: 'build',
    async closeBundle() {
      const files = filesUnder(outDir)
        .map((f) => relative(outDir, f).split('\\').join('/'))
        .filter((f) => f !== 'sw.js' && !f.endsWith('.map') && !f.startsWith('src/'))
        .sort();
      const hash = createHash('sha256');
      for (const f of files) hash.update(f).update(readFileSync(join(outDir, f)));
      await esbuild({
        entryPoints: [join(here, 'sw', 'service-worker.ts')],
        outfile: join(outDir, 'sw.js'),
        bundle: true,
        format: 'iife',
        target: 'es2020',
        minify: true,
        logLevel: 'warning',
        define: {
          __PRECACHE__: JSON.stringify(files.map((f) => `/${f}`)),
          __VERSION__: JSON.stringify(hash.digest('hex').slice(0, 16)),
        },
      });
    },
  };
}

/**
 * The web app: built into dist/web (served by src/server/routes/webapp.ts). `npm run build` runs
 * this before tsc: emptying dist/web would otherwise delete the compiled web modules that tests
 * import (dist/web/src).
 */
export default defineConfig({
  root: here,
  base: '/',
  plugins: [preact(), serviceWorker()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
