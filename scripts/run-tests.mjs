#!/usr/bin/env node
// Runs the compiled test suite with node's test runner.
// Usage: node scripts/run-tests.mjs [unit|integration|e2e ...] — default: all tiers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'e2e'];
const files = [];
const walk = (dir) => {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (e.endsWith('.test.js')) files.push(p);
  }
};
for (const t of tiers) walk(join('dist', 'test', t));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

// The real-camera corpus beside the checkout (test/kit/paths.ts decides the same way): its tier
// runs when it is there; otherwise its tests are reported as skipped and this says so.
const root = fileURLToPath(new URL('..', import.meta.url));
const corpusSetting = process.env.OUTPOST_TEST_CORPUS;
const corpusPhotos = join(
  corpusSetting && corpusSetting !== 'none'
    ? resolve(corpusSetting)
    : resolve(root, '..', 'shared', 'corpus'),
  'photos',
);
const haveCorpus = corpusSetting !== 'none' && existsSync(corpusPhotos);
const countJpegs = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? countJpegs(join(dir, e.name)) : /\.jpe?g$/i.test(e.name) ? 1 : 0),
    0,
  );

// The generated photo set, made once for the whole run (the kit makes its own when run alone).
const scratch = mkdtempSync(join(tmpdir(), 'outpost-test-run-'));
const media = join(scratch, 'photos');
const gen = spawnSync(process.execPath, [join('dist', 'test', 'kit', 'generated-media.js'), media], {
  stdio: 'inherit',
});
if (gen.status !== 0) {
  rmSync(scratch, { recursive: true, force: true });
  console.error('could not generate the test photos');
  process.exit(gen.status ?? 1);
}
const tap = join(scratch, 'results.tap');
let status = 1;
try {
  const res = spawnSync(
    process.execPath,
    [
      '--enable-source-maps',
      '--test',
      '--test-concurrency=2',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    { stdio: 'inherit', env: { ...process.env, OUTPOST_TEST_MEDIA: media } },
  );
  status = res.status ?? 1;
  const skipped = existsSync(tap)
    ? readFileSync(tap, 'utf8')
        .split('\n')
        .filter((l) => /# SKIP corpus tier did not run/.test(l)).length
    : 0;
  console.log(
    haveCorpus
      ? `corpus tier: ran (${countJpegs(corpusPhotos)} real-camera photos from ${corpusPhotos})`
      : `corpus tier: did not run (no real-camera corpus at ${corpusPhotos}); ${skipped} tests skipped, not passed; the other tests used generated photos`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
