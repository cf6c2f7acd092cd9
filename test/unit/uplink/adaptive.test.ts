import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdaptiveRate } from '../../../src/uplink/throttle/adaptive.js';

/**
 * A toy bottleneck: a queue drained at `capacity` bytes/s, fed at the controller's rate.
 * RTT = base + queue / capacity.
 */
function simulate(
  ctl: AdaptiveRate,
  capacity: (tMs: number) => number,
  fromMs: number,
  toMs: number,
  state = { queue: 0 },
  baseRtt = 300,
): { rates: number[]; rtts: number[] } {
  const step = 100;
  const rates: number[] = [];
  const rtts: number[] = [];
  for (let t = fromMs; t < toMs; t += step) {
    const cap = capacity(t);
    state.queue = Math.max(0, state.queue + ((ctl.rate - cap) * step) / 1000);
    const rtt = baseRtt + (state.queue / cap) * 1000;
    ctl.observe({ rttMs: rtt, nowMs: t });
    rates.push(ctl.rate);
    rtts.push(rtt);
  }
  return { rates, rtts };
}

const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('adaptive (LEDBAT-like) rate', () => {
  it('converges near the link capacity with queueing delay around the target', () => {
    const ctl = new AdaptiveRate({ initialRateBps: 16_000, increaseBpsPerSec: 32_000 });
    const cap = 250_000; // 2 Mbit/s
    const { rates, rtts } = simulate(ctl, () => cap, 0, 120_000);
    const tailRates = rates.slice(-300);
    const tailRtts = rtts.slice(-300);
    assert.ok(avg(tailRates) > 0.8 * cap, `uses the link: ${avg(tailRates)}`);
    assert.ok(avg(tailRates) < 1.1 * cap, `does not overshoot: ${avg(tailRates)}`);
    assert.ok(avg(tailRtts) - 300 < 250, `queueing delay stays bounded: ${avg(tailRtts) - 300} ms`);
    assert.equal(ctl.baseRttMs, 300);
  });

  it('backs off when RTT rises (someone else uses the link)', () => {
    const ctl = new AdaptiveRate({ initialRateBps: 16_000, increaseBpsPerSec: 32_000 });
    const state = { queue: 0 };
    simulate(ctl, () => 250_000, 0, 60_000, state);
    const before = ctl.rate;
    // Capacity left to us drops to 64 KB/s.
    const { rates } = simulate(ctl, () => 64_000, 60_000, 90_000, state);
    assert.ok(before > 150_000);
    assert.ok(avg(rates.slice(-100)) < 100_000, `backed off to ${avg(rates.slice(-100))}`);
  });

  it('cuts multiplicatively, at most once per interval', () => {
    const ctl = new AdaptiveRate({ initialRateBps: 100_000, decreaseFactor: 0.5, cutIntervalMs: 1000 });
    ctl.observe({ rttMs: 100, nowMs: 0 });
    ctl.observe({ rttMs: 500, nowMs: 10 });
    ctl.observe({ rttMs: 500, nowMs: 20 });
    ctl.observe({ rttMs: 500, nowMs: 30 });
    const grown = ctl.rate; // the filter still held the 100 ms sample: tiny growth so far
    ctl.observe({ rttMs: 500, nowMs: 40 }); // the filter's minimum is now 500: queue 400 ms
    assert.equal(ctl.rate, grown * 0.5);
    ctl.observe({ rttMs: 500, nowMs: 500 });
    assert.equal(ctl.rate, grown * 0.5);
    ctl.observe({ rttMs: 500, nowMs: 1040 });
    assert.equal(ctl.rate, grown * 0.25);
  });

  it('grows additively in proportion to the room under the target', () => {
    const ctl = new AdaptiveRate({ initialRateBps: 10_000, increaseBpsPerSec: 1000, targetDelayMs: 100 });
    ctl.observe({ rttMs: 200, nowMs: 0 });
    ctl.observe({ rttMs: 200, nowMs: 1000 });
    assert.equal(ctl.rate, 11_000);
    for (let i = 0; i < 4; i++) ctl.observe({ rttMs: 250, nowMs: 1001 + i });
    const r = ctl.rate;
    ctl.observe({ rttMs: 250, nowMs: 2004 }); // queue 50 ms for 1 s: half the room
    assert.ok(Math.abs(ctl.rate - r - 500) < 1, `${ctl.rate - r}`);
  });

  it('stays within the floor and the ceiling; a ceiling of 0 pauses', () => {
    const ctl = new AdaptiveRate({ initialRateBps: 1e9, ceilingBps: 200_000, minRateBps: 5000 });
    assert.equal(ctl.rate, 200_000);
    for (let i = 0; i < 50; i++) ctl.observe({ rttMs: i === 0 ? 50 : 5000, nowMs: i * 2000 });
    assert.equal(ctl.rate, 5000);
    ctl.setCeiling(0);
    assert.equal(ctl.rate, 0);
    ctl.setCeiling(Infinity);
    assert.equal(ctl.rate, 5000);
  });

  it('does not grow far past what the link delivers', () => {
    const ctl = new AdaptiveRate({ initialRateBps: 50_000, increaseBpsPerSec: 1e6 });
    for (let i = 0; i < 100; i++) ctl.observe({ rttMs: 100, nowMs: i * 1000, deliveredBps: 40_000 });
    assert.ok(ctl.rate <= 80_000, `${ctl.rate}`);
  });

  it('forgets an old base RTT after the window (route change)', () => {
    const ctl = new AdaptiveRate({ baseWindowMs: 2 * 60_000 });
    ctl.observe({ rttMs: 50, nowMs: 0 });
    for (let t = 1000; t < 5 * 60_000; t += 1000) ctl.observe({ rttMs: 300, nowMs: t });
    assert.equal(ctl.baseRttMs, 300);
  });
});
