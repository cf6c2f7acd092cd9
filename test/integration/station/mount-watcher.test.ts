import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { createMountWatcher, nodeReadMountInfo } from '../../../src/station/mount-watcher.js';
import type { MountEntry } from '../../../src/core/mountinfo.js';
import {
  CANNOT_MOUNT_MESSAGE,
  canMount,
  lazyUnmount,
  loopMount,
  makeExt4Image,
  makeTempDir,
  mountTmpfs,
  registerMountCleanup,
} from '../../kit/mounts.js';

registerMountCleanup();

type Ev = { kind: 'added' | 'removed'; entry: MountEntry };

/** Collects watcher events and lets a test wait for one that matches. */
function recorder() {
  const events: Ev[] = [];
  const waiters: Array<{ match: (e: Ev) => boolean; resolve: (e: Ev) => void }> = [];
  const push = (e: Ev): void => {
    events.push(e);
    for (const w of [...waiters]) {
      if (w.match(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  };
  const waitFor = (kind: Ev['kind'], mountPoint: string, timeoutMs = 5000): Promise<Ev> => {
    const match = (e: Ev): boolean => e.kind === kind && e.entry.mountPoint === mountPoint;
    const seen = events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `no ${kind} event for ${mountPoint} within ${timeoutMs} ms; saw: ${JSON.stringify(
                events.map((e) => [e.kind, e.entry.mountPoint]),
              )}`,
            ),
          ),
        timeoutMs,
      );
      waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        },
      });
    });
  };
  return {
    events,
    waitFor,
    onAdded: (entry: MountEntry) => push({ kind: 'added', entry }),
    onRemoved: (entry: MountEntry) => push({ kind: 'removed', entry }),
  };
}

describe('createMountWatcher on the real mount table', () => {
  before(async () => {
    if (!(await canMount())) assert.fail(CANNOT_MOUNT_MESSAGE);
  });

  it('reports a mount present at start, then mounts and unmounts below the root only', async () => {
    const base = await makeTempDir('outpost-watch-');
    const root = join(base, 'media');
    await mkdir(root);
    const early = await mountTmpfs(join(root, 'early'), 1024 * 1024);
    // Same name prefix, outside the root: must not be reported.
    await mountTmpfs(join(base, 'media2', 'other'), 1024 * 1024);

    const rec = recorder();
    const ac = new AbortController();
    const errors: unknown[] = [];
    const watcher = createMountWatcher({
      readMountInfo: nodeReadMountInfo,
      roots: [root],
      intervalMs: 25,
      signal: ac.signal,
      onAdded: rec.onAdded,
      onRemoved: rec.onRemoved,
      onError: (e) => errors.push(e),
    });
    try {
      await watcher.ready;
      const pre = await rec.waitFor('added', join(root, 'early'));
      assert.equal(pre.entry.fsType, 'tmpfs');

      const card = await mountTmpfs(join(root, 'card'), 1024 * 1024);
      await rec.waitFor('added', join(root, 'card'));
      await card.unmount();
      await rec.waitFor('removed', join(root, 'card'));

      await early.unmount();
      await rec.waitFor('removed', join(root, 'early'));

      assert.deepEqual(
        rec.events.map((e) => [e.kind, e.entry.mountPoint]),
        [
          ['added', join(root, 'early')],
          ['added', join(root, 'card')],
          ['removed', join(root, 'card')],
          ['removed', join(root, 'early')],
        ],
      );
      assert.deepEqual(errors, []);
    } finally {
      ac.abort();
      await watcher.done;
    }
  });

  it('sees a loop-mounted card appear, and disappear when pulled with files open (lazy unmount)', async () => {
    const base = await makeTempDir('outpost-watch-loop-');
    const root = join(base, 'media');
    await mkdir(root);
    const { imagePath } = await makeExt4Image({
      sizeMB: 8,
      uuid: randomUUID(),
      label: 'CARD',
      files: { 'DCIM/100NIKON/DSC_0001.JPG': 'x'.repeat(10_000) },
    });

    const rec = recorder();
    const ac = new AbortController();
    const watcher = createMountWatcher({
      readMountInfo: nodeReadMountInfo,
      roots: [root],
      intervalMs: 25,
      signal: ac.signal,
      onAdded: rec.onAdded,
      onRemoved: rec.onRemoved,
    });
    try {
      await watcher.ready;
      assert.deepEqual(rec.events, []);
      const mp = join(root, 'CARD');
      const m = await loopMount(imagePath, mp);
      const added = await rec.waitFor('added', mp);
      assert.equal(added.entry.fsType, 'ext4');
      assert.equal(added.entry.source, m.device);

      const fh = await open(join(mp, 'DCIM', '100NIKON', 'DSC_0001.JPG'), 'r');
      try {
        await lazyUnmount(mp);
        await rec.waitFor('removed', mp);
      } finally {
        await fh.close();
      }
    } finally {
      ac.abort();
      await watcher.done;
    }
    // Stopped: a new mount is no longer seen.
    const count = rec.events.length;
    await mountTmpfs(join(root, 'late'), 64 * 1024);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(rec.events.length, count);
  });
});
