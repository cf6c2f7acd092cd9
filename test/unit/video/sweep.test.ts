import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sweepScratch } from '../../../src/video/control.js';

describe('sweepScratch', () => {
  it('discards what a killed job left (an hour old), keeps fresh scratch and anything else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outpost-sweep-'));
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const n of ['video-0123456789ab', 'export-12-1700000000000.mp4.part', 'edit-9-1700000000000.mp4']) {
      const p = join(dir, n);
      if (n.startsWith('video-')) await mkdir(p);
      else await writeFile(p, 'x');
      await utimes(p, old, old);
    }
    await mkdir(join(dir, 'video-ba9876543210')); // a job running now
    await writeFile(join(dir, 'stage-abc'), 'x');
    await utimes(join(dir, 'stage-abc'), old, old); // not video scratch
    const removed = await sweepScratch(dir, Date.now());
    assert.deepEqual(removed.sort(), [
      'edit-9-1700000000000.mp4',
      'export-12-1700000000000.mp4.part',
      'video-0123456789ab',
    ]);
    assert.deepEqual((await readdir(dir)).sort(), ['stage-abc', 'video-ba9876543210']);
    await rm(dir, { recursive: true, force: true });
  });
});
