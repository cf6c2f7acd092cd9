import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('package.json not found above the test kit');
    d = up;
  }
  return d;
}

/** The checkout root (tests run compiled from dist/, so never hard-code depth). */
export const REPO_ROOT = findRepoRoot();
const corpusSetting = process.env.OUTPOST_TEST_CORPUS;
/**
 * The real-camera corpus: `../shared/corpus` beside the checkout (never copied into the
 * project), or `OUTPOST_TEST_CORPUS`; `OUTPOST_TEST_CORPUS=none` runs as a fresh clone does.
 */
export const CORPUS =
  corpusSetting && corpusSetting !== 'none'
    ? resolve(corpusSetting)
    : resolve(REPO_ROOT, '..', 'shared', 'corpus');
export const CORPUS_PHOTOS = join(CORPUS, 'photos');
/** The corpus is there: its tier runs, and the kit's photo helpers use its files. */
export const HAVE_CORPUS = corpusSetting !== 'none' && existsSync(CORPUS_PHOTOS);
/**
 * For `{ skip: CORPUS_TIER_SKIP }` on corpus-tier tests: false when the corpus is there, else
 * the reason node:test prints beside each skipped test (never counted as passed).
 */
export const CORPUS_TIER_SKIP: string | false = HAVE_CORPUS
  ? false
  : `corpus tier did not run: real-camera corpus not found at ${CORPUS_PHOTOS}`;
export const OUTPOST_BIN = join(REPO_ROOT, 'bin', 'outpost');
