import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestOffset, judgeOffset, offsetSample, type OffsetSample } from '../../../src/fleet/clock-offset.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const sample = (offsetMs: number, rttMs: number): OffsetSample => ({
  offsetMs,
  rttMs,
  at: '2026-06-01T12:00:00.000Z',
});

describe('clock offset sample', () => {
  it('puts the station reading at the middle of the round trip', () => {
    assert.deepEqual(offsetSample(1000, 6050, 1100), {
      offsetMs: 5000,
      rttMs: 100,
      at: '1970-01-01T00:00:01.100Z',
    });
    // A station behind the conductor: negative.
    assert.deepEqual(offsetSample(T0, T0 - 2960, T0 + 80), {
      offsetMs: -3000,
      rttMs: 80,
      at: '2026-06-01T12:00:00.080Z',
    });
    // In step: the station read the middle of the round trip.
    assert.equal(offsetSample(T0, T0 + 250, T0 + 500).offsetMs, 0);
    assert.equal(offsetSample(T0, T0 + 250, T0 + 500).rttMs, 500);
  });

  it('gives whole milliseconds and never a negative round trip', () => {
    assert.equal(offsetSample(0, 10, 3).offsetMs, 9);
    assert.ok(Number.isInteger(offsetSample(T0, T0 + 1234, T0 + 7).offsetMs));
    // The conductor's clock stepped back between sending and receiving.
    assert.equal(offsetSample(T0, T0, T0 - 40).rttMs, 0);
  });
});

describe('best offset', () => {
  it('is the sample with the shortest round trip', () => {
    assert.equal(bestOffset([]), undefined);
    const slow = sample(900, 300);
    const fast = sample(40, 12);
    const medium = sample(-200, 80);
    assert.equal(bestOffset([slow, fast, medium]), fast);
    assert.equal(bestOffset([fast, medium, slow]), fast);
    assert.equal(bestOffset([medium, slow, fast]), fast);
    assert.equal(bestOffset([slow]), slow);
    assert.equal(bestOffset([slow, sample(0, 0)])?.rttMs, 0);
  });
});

describe('judging an offset', () => {
  it('is ok within the limit, either way', () => {
    assert.deepEqual(judgeOffset(sample(0, 10), 100), { ok: true });
    assert.deepEqual(judgeOffset(sample(99, 0), 100), { ok: true });
    assert.deepEqual(judgeOffset(sample(-100, 0), 100), { ok: true });
  });

  it('says how far off, which way and the limit when over it', () => {
    assert.deepEqual(judgeOffset(offsetSample(1000, 6050, 1100), 100), {
      ok: false,
      offsetMs: 5000,
      message: "clock 5.000 s ahead of the conductor's (limit 100 ms)",
    });
    assert.deepEqual(judgeOffset(sample(-2500, 20), 250), {
      ok: false,
      offsetMs: -2500,
      message: "clock 2.500 s behind the conductor's (limit 250 ms)",
    });
    const v = judgeOffset(sample(101, 0), 100);
    assert.ok(!v.ok);
    assert.match(v.message, /^clock 0\.101 s ahead of /);
  });

  it('gives the half round trip of uncertainty to the station', () => {
    assert.deepEqual(judgeOffset(sample(130, 80), 100), { ok: true });
    assert.deepEqual(judgeOffset(sample(-130, 80), 100), { ok: true });
    assert.deepEqual(judgeOffset(sample(140, 80), 100), { ok: true });
    assert.equal(judgeOffset(sample(141, 80), 100).ok, false);
    assert.equal(judgeOffset(sample(130, 40), 100).ok, false);
    assert.equal(judgeOffset(sample(-130, 40), 100).ok, false);
  });
});
