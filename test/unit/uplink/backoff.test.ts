import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Backoff,
  backoffCeiling,
  backoffDelay,
  checkStall,
  transferBackoff,
} from '../../../src/uplink/backoff.js';

describe('backoff with full jitter', () => {
  it('ceilings grow exponentially up to the cap', () => {
    const o = { baseMs: 1000, capMs: 60_000, factor: 2 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffCeiling(a, o)),
      [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000],
    );
    assert.equal(backoffCeiling(1e9, o), 60_000, 'unlimited retries stay finite');
  });

  it('delays are uniform in [0, ceiling)', () => {
    assert.equal(
      backoffDelay(3, {}, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(3, {}, () => 0.5),
      4000,
    );
    assert.equal(
      backoffDelay(3, {}, () => 0.999999),
      7999,
    );
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let a = 0; a < 50; a++) {
      const d = backoffDelay(a, { capMs: 300_000 }, rnd);
      assert.ok(d >= 0 && d < backoffCeiling(a, { capMs: 300_000 }));
    }
  });

  it('counts failures, never gives up, and resets on success', () => {
    const b = new Backoff({ baseMs: 100, capMs: 1000 }, () => 0.5);
    assert.deepEqual(
      Array.from({ length: 6 }, () => b.fail()),
      [50, 100, 200, 400, 500, 500],
    );
    assert.equal(b.attempts, 6);
    for (let i = 0; i < 10_000; i++) b.fail();
    assert.equal(b.fail(), 500);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.fail(), 50);
  });
});

describe('stall detection', () => {
  it('stalls after the timeout without progress, and says how long is left', () => {
    assert.deepEqual(checkStall({ nowMs: 1000, lastProgressMs: 0 }, { stallTimeoutMs: 5000 }), {
      stalled: false,
      remainingMs: 4000,
    });
    assert.deepEqual(checkStall({ nowMs: 5000, lastProgressMs: 0 }, { stallTimeoutMs: 5000 }).stalled, true);
    assert.equal(checkStall({ nowMs: 59_999, lastProgressMs: 0 }).stalled, false);
  });

  it('optionally treats a trickle far below the expected rate as a stall', () => {
    const p = {
      nowMs: 70_000,
      lastProgressMs: 69_000,
      startedMs: 0,
      sentBytes: 70_000,
      expectedBps: 250_000,
    };
    assert.equal(checkStall(p).stalled, false, 'off by default');
    assert.equal(checkStall(p, { slowFactor: 20 }).stalled, true);
    assert.equal(
      checkStall({ ...p, nowMs: 30_000 }, { slowFactor: 20 }).stalled,
      false,
      'not before a full timeout',
    );
  });
});

describe('transfer backoff', () => {
  it('is a jittered share of a ceiling that doubles from 5 s to an hour, never under 1 s', () => {
    assert.equal(
      transferBackoff(1, () => 0.5),
      2500,
    );
    assert.equal(
      transferBackoff(2, () => 0.5),
      5000,
    );
    assert.equal(
      transferBackoff(3, () => 0.25),
      5000,
    );
    assert.equal(
      transferBackoff(1, () => 0),
      1000,
      'a draw of 0 does not spin',
    );
    assert.equal(
      transferBackoff(100, () => 0.999999),
      Math.floor(0.999999 * 3_600_000),
    );
    const draws = new Set([0.1, 0.3, 0.6, 0.9].map((r) => transferBackoff(4, () => r)));
    assert.equal(draws.size, 4, 'different draws spread the retries');
  });
});
