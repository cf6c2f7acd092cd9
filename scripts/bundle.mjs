#!/usr/bin/env node
// Bundles the CLI into dist/bundle/ so `outpost` starts fast: one file instead of hundreds of small
// ESM modules (kysely alone is ~400). Native and worker-based packages stay external. Lazy
// imports (media analysis, station) become separate chunks, loaded only when needed.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names change with their content: start empty so stale chunks do not pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { outpost: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // @fastify/swagger-ui serves its own static files relative to its package directory.
  // ftp-srv: bunyan's optional dtrace-provider is a native module it loads by pattern.
  external: ['better-sqlite3', 'sharp', 'pino', 'exifr', '@fastify/swagger-ui', 'ftp-srv'],
  banner: {
    js: "import { createRequire as __outpostRequire } from 'node:module'; const require = __outpostRequire(import.meta.url);",
  },
  // A clock before the build is wrong (src/core/clock-sanity.ts, src/adapters/build-time.ts).
  define: { __OUTPOST_BUILD_TIME__: JSON.stringify(new Date().toISOString()) },
  logLevel: 'warning',
});
