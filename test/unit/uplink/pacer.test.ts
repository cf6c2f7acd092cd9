import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer } from '../../../src/uplink/pacer.js';

describe('Pacer', () => {
  it('does not pace before the link was measured', () => {
    assert.equal(new Pacer().rate(undefined), Infinity);
  });

  it('shrinks its headroom when requests end with a queue, grows it when they do not', () => {
    const p = new Pacer({ initialHeadroom: 0.15 });
    p.observe(300); // base round trip 300 ms
    const start = p.headroom;
    for (let i = 0; i < 5; i++) p.observe(300 + 800); // 800 ms of queue each time
    assert.ok(p.headroom < start);
    assert.equal(p.headroom, -0.05, 'bounded below');
    assert.ok(p.rate(100_000) < 100_000, 'paced under the measured rate to drain the queue');
    for (let i = 0; i < 20; i++) p.observe(310);
    assert.equal(p.headroom, 0.15, 'bounded above');
    assert.ok(Math.abs(p.rate(100_000) - 115_000) < 1e-6);
  });

  it('learns the bare round trip from small idle requests, so queued drains count as queue', () => {
    const p = new Pacer({ initialHeadroom: 0.1 });
    // Every paced request ends with 3 s of queue: alone, 3 s would pass for the round trip.
    for (let i = 0; i < 3; i++) p.observe(3300);
    assert.equal(p.baseMs, 3300);
    const before = p.headroom;
    p.observeRtt(300); // a HEAD on an idle link
    assert.equal(p.baseMs, 300);
    assert.equal(p.headroom, before, 'a round-trip sample alone does not steer');
    p.observe(3300);
    assert.ok(p.headroom < before, 'now the 3 s are seen as queue');
  });

  it('settles where the queue at the end of a request is near the target on a simulated link', () => {
    // Link 250 kB/s, round trip 300 ms, 15 s requests: the queue a request leaves is
    // (pace - link) * 15 s while pace > link.
    const link = 250_000;
    const p = new Pacer();
    let est = 200_000;
    const queues: number[] = [];
    for (let i = 0; i < 60; i++) {
      const pace = Math.min(p.rate(est), 10 * link);
      const queueMs = pace > link ? ((pace - link) * 15 * 1000) / link : 0;
      p.observe(300 + queueMs);
      est = Math.min(pace, link);
      queues.push(queueMs);
    }
    const tail = queues.slice(-20);
    assert.ok(Math.max(...tail) < 1000, `queue stays small: ${tail.map(Math.round).join(',')}`);
    assert.ok(est > 0.9 * link, `the link is used: ${est}`);
  });
});
