import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMountWatcher } from '../../../src/station/mount-watcher.js';
import type { MountEntry } from '../../../src/core/mountinfo.js';

const ROOT_LINE = '26 1 179:2 / / rw,noatime shared:1 - ext4 /dev/root rw';
const line = (id: number, mp: string, dev = `8:${id}`): string =>
  `${id} 26 ${dev} / ${mp} rw,relatime shared:${id} - vfat /dev/sd${id} rw`;

interface Event {
  kind: 'added' | 'removed' | 'error';
  mountPoint?: string;
}

/** A scripted mountinfo: each read returns the next state (the last one repeats). */
function harness(states: Array<string[] | Error>, roots = ['/media']) {
  let reads = 0;
  const events: Event[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const push = (e: Event): void => {
    events.push(e);
    for (const w of waiters) if (events.length >= w.n) w.resolve();
  };
  const ac = new AbortController();
  const watcher = createMountWatcher({
    roots,
    intervalMs: 2,
    signal: ac.signal,
    readMountInfo: async () => {
      const s = states[Math.min(reads, states.length - 1)];
      reads++;
      if (s instanceof Error) throw s;
      return [ROOT_LINE, ...(s ?? [])].join('\n');
    },
    onAdded: (e: MountEntry) => push({ kind: 'added', mountPoint: e.mountPoint }),
    onRemoved: (e: MountEntry) => push({ kind: 'removed', mountPoint: e.mountPoint }),
    onError: () => push({ kind: 'error' }),
  });
  const waitFor = (n: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (events.length >= n) return resolve();
      const t = setTimeout(() => reject(new Error(`timed out: ${JSON.stringify(events)}`)), 2000);
      waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  return { events, watcher, ac, waitFor, reads: () => reads };
}

describe('createMountWatcher', () => {
  it('reports mounts present at start once, then additions and removals under the roots only', async () => {
    const h = harness([
      [line(1, '/media/pi/CARD1'), line(9, '/media2/x')],
      [line(1, '/media/pi/CARD1'), line(9, '/media2/x')],
      [line(1, '/media/pi/CARD1'), line(2, '/media/pi/CARD2'), line(9, '/media2/x')],
      [line(2, '/media/pi/CARD2')],
    ]);
    await h.watcher.ready;
    await h.waitFor(3);
    // Let a few more polls run to prove nothing is reported twice.
    while (h.reads() < 8) await new Promise((r) => setTimeout(r, 2));
    h.ac.abort();
    await h.watcher.done;
    assert.deepEqual(h.events, [
      { kind: 'added', mountPoint: '/media/pi/CARD1' },
      { kind: 'added', mountPoint: '/media/pi/CARD2' },
      { kind: 'removed', mountPoint: '/media/pi/CARD1' },
    ]);
    assert.deepEqual(
      h.watcher.current().map((e) => e.mountPoint),
      ['/media/pi/CARD2'],
    );
  });

  it('survives read errors without reporting removals, then carries on', async () => {
    const h = harness([
      [line(1, '/media/a')],
      new Error('EIO'),
      new Error('EIO'),
      [line(1, '/media/a'), line(2, '/media/b')],
    ]);
    await h.waitFor(4);
    h.ac.abort();
    await h.watcher.done;
    assert.deepEqual(h.events, [
      { kind: 'added', mountPoint: '/media/a' },
      { kind: 'error' },
      { kind: 'error' },
      { kind: 'added', mountPoint: '/media/b' },
    ]);
  });

  it('sees a swap at the same mount point (removal first) even with a reused mount id', async () => {
    const h = harness([[line(42, '/media/card', '8:1')], [line(42, '/media/card', '8:17')]]);
    await h.waitFor(3);
    h.ac.abort();
    await h.watcher.done;
    assert.deepEqual(
      h.events.map((e) => e.kind),
      ['added', 'removed', 'added'],
    );
  });

  it('keeps going when a callback throws or rejects', async () => {
    const ac = new AbortController();
    const errors: unknown[] = [];
    const seen: string[] = [];
    let n = 0;
    const w = createMountWatcher({
      roots: ['/media'],
      intervalMs: 2,
      signal: ac.signal,
      readMountInfo: async () => {
        n++;
        return [ROOT_LINE, line(1, '/media/a'), ...(n > 1 ? [line(2, '/media/b')] : [])].join('\n');
      },
      onAdded: (e) => {
        seen.push(e.mountPoint);
        if (e.mountPoint === '/media/a') throw new Error('sync boom');
        return Promise.reject(new Error('async boom'));
      },
      onRemoved: () => undefined,
      onError: (err) => errors.push(err),
    });
    while (errors.length < 2) await new Promise((r) => setTimeout(r, 2));
    ac.abort();
    await w.done;
    assert.deepEqual(seen, ['/media/a', '/media/b']);
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ['sync boom', 'async boom'],
    );
  });

  it('stops polling on abort, and does nothing when aborted before it starts', async () => {
    const h = harness([[line(1, '/media/a')]]);
    await h.waitFor(1);
    h.ac.abort();
    await h.watcher.done;
    const reads = h.reads();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(h.reads(), reads);

    const ac = new AbortController();
    ac.abort();
    let called = 0;
    const w = createMountWatcher({
      roots: ['/media'],
      intervalMs: 1,
      signal: ac.signal,
      readMountInfo: async () => {
        called++;
        return '';
      },
      onAdded: () => undefined,
      onRemoved: () => undefined,
    });
    await w.done;
    await w.ready;
    assert.equal(called, 0);
  });
});
