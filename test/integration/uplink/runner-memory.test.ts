import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import { transferBackoff } from '../../../src/uplink/backoff.js';
import { UplinkRunner } from '../../../src/uplink/runner.js';
import { MemoryTarget } from '../../../src/uplink/targets/memory.js';
import { addRawItem } from '../../kit/uplink.js';
import { emptyLibrary, NODE } from '../server/library.js';

type Lib = Awaited<ReturnType<typeof emptyLibrary>>;

/** A clock that moves only when the runner sleeps: runs are deterministic and take no real time. */
function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')): {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  slept: number[];
} {
  let t = start;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: (ms) => {
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
    slept,
  };
}

describe('uplink runner against the in-memory target, fake clock', { timeout: 60_000 }, () => {
  let lib: Lib;

  before(async () => {
    lib = await emptyLibrary();
  });
  after(async () => {
    await lib?.close();
  });

  it('a rejected transfer waits a jittered backoff, then goes; the bytes arrive exact', async () => {
    const photo = await addRawItem(lib.catalog, lib.drive.layout.root, {
      size: 70_000,
      type: 'photo',
      ext: 'jpg',
    });
    const target = new MemoryTarget();
    const clock = fakeClock();
    const creates: number[] = [];
    const create = target.create.bind(target);
    target.create = (...a) => {
      creates.push(clock.now());
      return create(...a);
    };
    target.failNext('create', 'rejected');
    target.failNext('create', 'rejected');
    const random = (): number => 0.75;
    const runner = new UplinkRunner(
      {
        catalog: lib.catalog,
        driveRoot: lib.drive.layout.root,
        target,
        now: clock.now,
        sleep: clock.sleep,
        log: silentLogger,
        random,
      },
      { node: NODE, pollMs: 100 },
    );
    const s = await runner.run(new AbortController().signal, { once: true });
    assert.equal(s.pendingBytes, 0, JSON.stringify(s.lastError));
    const held = [...target.objects.entries()].find(([k]) => k.startsWith(`${photo.id}/original/`));
    assert.ok(held, 'the original is held');
    assert.ok(held[1].equals(photo.bytes), 'byte-exact');
    const originals = creates.filter((_, i) => i < 3);
    assert.equal(originals.length, 3, `two rejected tries and one that went: ${JSON.stringify(creates)}`);
    // Jittered: 0.75 of the ceiling (5 s, then 10 s), not the old fixed 10 s and 20 s.
    const gap1 = originals[1]! - originals[0]!;
    const gap2 = originals[2]! - originals[1]!;
    assert.ok(
      gap1 >= transferBackoff(1, random) && gap1 < transferBackoff(1, random) + 5_100,
      `gap1 ${gap1}`,
    );
    assert.ok(
      gap2 >= transferBackoff(2, random) && gap2 < transferBackoff(2, random) + 5_100,
      `gap2 ${gap2}`,
    );
    assert.ok(gap2 < 20_000, `no more than the jittered ceiling: ${gap2}`);
  });
});
