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
/** `../shared/corpus` beside the checkout (never copied into the project). */
export const CORPUS = resolve(REPO_ROOT, '..', 'shared', 'corpus');
export const CORPUS_PHOTOS = join(CORPUS, 'photos');
export const OUTPOST_BIN = join(REPO_ROOT, 'bin', 'outpost');
