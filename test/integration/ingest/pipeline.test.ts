/**
 * Ingest with several files in flight (library intake): outcomes are counted in card order, so
 * duplicates, failures and the "not copied" count are what one file at a time would give.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fixedClock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { parseConfig } from '../../../src/config/load.js';
import { ingestCard } from '../../../src/ingest/ingest.js';
import { listItems } from '../../../src/library/catalog/items.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { hashFile } from '../../../src/library/intake/index.js';
import type { MediaAnalyzer } from '../../../src/media/types.js';
import { makeTempDir, registerMountCleanup } from '../../kit/mounts.js';

registerMountCleanup();

const T0 = Date.UTC(2026, 11, 4, 9);
let dir: string;
before(async () => {
  dir = await makeTempDir('outpost-ingest-pipeline-');
});

/** A card of big random "videos" (several are read at once from a fast source); `same` repeats bytes. */
function card(name: string, sizes: number[], same: [number, number][] = []): string {
  const root = join(dir, name);
  const d = join(root, 'DCIM', '100MEDIA');
  mkdirSync(d, { recursive: true });
  const bodies = sizes.map((s) => randomBytes(s));
  for (const [a, b] of same) bodies[b] = bodies[a]!;
  bodies.forEach((b, i) => {
    const p = join(d, `MVI_${1000 + i}.MP4`);
    writeFileSync(p, b);
    utimesSync(p, new Date(T0), new Date(T0 - i * 1000));
  });
  return root;
}

/** Probes instantly, or fails for one file; never derives anything. */
function analyzer(opts: { failOn?: number; failWith?: () => Error } = {}): MediaAnalyzer {
  let probes = 0;
  return {
    async probe() {
      probes++;
      // The failing file's probe waits a little: the files after it are in flight by then.
      if (probes === opts.failOn) {
        await new Promise((r) => setTimeout(r, 200));
        throw opts.failWith!();
      }
      return { facts: {}, warnings: [] };
    },
    async derive() {
      return { thumb: false, preview: false, poster: false, warnings: [] };
    },
    async videoCopy() {
      return { video: false, warnings: [] };
    },
  };
}

async function run(root: string, drive: Drive, a: MediaAnalyzer) {
  return ingestCard(
    {
      cardRoot: root,
      card: { id: `card-${root}`, kind: 'dir' },
      drive,
      settings: parseConfig({}, 'test').ingest,
      timeZone: 'UTC',
      node: 'test',
    },
    { analyzer: a, clock: fixedClock(new Date(T0)), log: silentLogger },
  );
}

async function state(
  drive: Drive,
): Promise<{ stored: string[]; pending: number; tmp: string[]; folders: Record<string, number> }> {
  const cat = await openCatalog(drive.layout.catalog);
  try {
    const rows = await listItems(cat);
    for (const r of rows) assert.equal(await hashFile(join(drive.layout.root, r.path)), r.id, r.path);
    return {
      stored: rows.filter((r) => r.state === 'stored').map((r) => r.id),
      pending: rows.filter((r) => r.state !== 'stored').length,
      tmp: readdirSync(drive.layout.tmpDir),
      // Where the catalogue says each stored item is: library/MONITOR/DATE/…
      folders: rows
        .filter((r) => r.state === 'stored')
        .reduce<Record<string, number>>((acc, r) => {
          const f = r.path.split('/').slice(1, -1).join('/');
          acc[f] = (acc[f] ?? 0) + 1;
          return acc;
        }, {}),
    };
  } finally {
    await cat.close();
  }
}

describe('ingest: several files in flight', () => {
  it('same bytes twice on one card: stored once, the other counted a duplicate', async () => {
    const sizes = [9, 7, 9, 5, 8, 6].map((m) => m * 1024 * 1024);
    const root = card('dups', sizes, [
      [0, 2],
      [1, 5],
    ]);
    const drive = await initDrive(join(dir, 'drive-dups'), { label: 'A', now: new Date(T0) });
    const s = await run(root, drive, analyzer());
    assert.equal(s.error, undefined, JSON.stringify(s.error));
    assert.equal(s.copied, 4);
    assert.equal(s.duplicates, 2);
    assert.equal(s.notCopied, 0);
    const st = await state(drive);
    assert.equal(st.stored.length, 4);
    // The summary says where the new items were filed, as the catalogue has them.
    assert.deepEqual(Object.fromEntries(s.folders.map((f) => [f.folder, f.items])), st.folders);
    assert.ok(s.folders.length > 0 && s.folders.every((f) => f.folder.startsWith('_unassigned/')));
    assert.equal(st.pending, 0);
    assert.deepEqual(st.tmp, []);
    const again = await run(root, drive, analyzer());
    assert.equal(again.skipped, 6);
    assert.equal(again.copied, 0);
  });

  it('a drive failure on one file stops the run: files after it are not copied, nothing half done', async () => {
    const root = card(
      'fail',
      Array.from({ length: 8 }, () => 6 * 1024 * 1024),
    );
    const drive = await initDrive(join(dir, 'drive-fail'), { label: 'A', now: new Date(T0) });
    const enospc = (): Error => Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const s = await run(root, drive, analyzer({ failOn: 3, failWith: enospc }));
    assert.equal(s.error?.code, 'DRIVE_FULL', JSON.stringify(s));
    assert.match(s.error!.message, new RegExp(`drive full: ${s.notCopied} files not copied`));
    assert.ok(s.copied >= 2, JSON.stringify(s));
    assert.ok(s.notCopied >= 1);
    assert.equal(s.copied + s.duplicates + s.notCopied, 8, JSON.stringify(s));
    const st = await state(drive);
    assert.equal(st.stored.length, s.copied);
    assert.equal(st.pending, 0, 'files in flight when the run stopped are rolled back');
    assert.deepEqual(st.tmp, []);
    // Space again: the next run copies exactly what was not.
    const again = await run(root, drive, analyzer());
    assert.equal(again.error, undefined);
    assert.equal(again.skipped, s.copied);
    assert.equal(again.copied, 8 - s.copied);
  });

  it('a bug (an unexpected error) ends the run with the error, after the files in flight settle', async () => {
    const root = card(
      'bug',
      Array.from({ length: 6 }, () => 4 * 1024 * 1024),
    );
    const drive = await initDrive(join(dir, 'drive-bug'), { label: 'A', now: new Date(T0) });
    await assert.rejects(
      run(root, drive, analyzer({ failOn: 2, failWith: () => new TypeError('a bug') })),
      /a bug/,
    );
    const st = await state(drive);
    assert.equal(st.pending, 0);
    assert.deepEqual(st.tmp, []);
  });
});
