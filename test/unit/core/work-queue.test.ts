import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { WorkQueue } from '../../../src/ingest/derive-queue.js';

describe('bounded work queue', () => {
  it('never runs more than its concurrency and finishes every job', async () => {
    const q = new WorkQueue(2, 3);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    for (let i = 0; i < 10; i++) {
      await q.push(async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(5);
        running--;
        done.push(i);
      });
    }
    await q.idle();
    assert.equal(peak, 2);
    assert.deepEqual(
      [...done].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });

  it('a failing job does not stop the queue', async () => {
    const q = new WorkQueue(1, 1);
    let ran = 0;
    await q.push(async () => {
      throw new Error('boom');
    });
    await q.push(async () => {
      ran++;
    });
    await q.idle();
    assert.equal(ran, 1);
  });
});
