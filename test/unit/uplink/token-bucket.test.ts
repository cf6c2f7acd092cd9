import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../../../src/uplink/throttle/token-bucket.js';

describe('token bucket', () => {
  it('lets a burst through, then paces at the rate', () => {
    const b = new TokenBucket({ rateBps: 1000, burstBytes: 500, nowMs: 0 });
    assert.equal(b.take(500, 0), 0);
    assert.equal(b.take(100, 0), 100); // 100 bytes of debt at 1000 B/s
    assert.equal(b.take(100, 0), 200);
    assert.equal(b.available(200), 0);
    assert.equal(b.take(1000, 200), 1000);
  });

  it('long-run rate is exact whatever the slice size', () => {
    const b = new TokenBucket({ rateBps: 250_000, burstBytes: 4096, nowMs: 0 });
    let t = 0;
    let sent = 0;
    while (t < 60_000) {
      const d = b.take(1500, t);
      t += d + 0.7; // timers fire a bit late
      sent += 1500;
    }
    const rate = (sent * 1000) / t;
    assert.ok(Math.abs(rate - 250_000) / 250_000 < 0.01, `rate ${rate}`);
  });

  it('caps tokens at the burst after an idle spell', () => {
    const b = new TokenBucket({ rateBps: 1000, burstBytes: 300, nowMs: 0 });
    b.take(300, 0);
    assert.equal(b.available(10_000), 300);
  });

  it('changes rate at runtime; 0 pauses, Infinity is unlimited', () => {
    const b = new TokenBucket({ rateBps: 1000, burstBytes: 100, nowMs: 0 });
    b.take(100, 0);
    assert.equal(b.take(100, 0), 100);
    b.setRate(2000, 0);
    assert.equal(b.take(100, 0), 100); // 200 of debt at 2000 B/s
    b.setRate(0, 0);
    assert.equal(b.take(10, 50), Infinity);
    assert.equal(b.delayFor(10, 50), Infinity);
    b.setRate(Infinity, 60);
    assert.equal(b.take(1e9, 60), 0);
    assert.equal(b.rate, Infinity);
  });

  it('default burst follows the rate, with a floor', () => {
    const b = new TokenBucket({ rateBps: 4_000_000, nowMs: 0 });
    assert.equal(b.burstBytes, 1_000_000);
    b.setRate(1000, 0);
    assert.equal(b.burstBytes, 16 * 1024);
  });

  it('is not fooled by a clock stepping back', () => {
    const b = new TokenBucket({ rateBps: 1000, burstBytes: 100, nowMs: 1000 });
    b.take(100, 1000);
    assert.equal(b.available(500), 0);
    assert.equal(b.available(1050), 50);
  });

  it('rejects negative or NaN rates', () => {
    assert.throws(() => new TokenBucket({ rateBps: -1, nowMs: 0 }));
    assert.throws(() => new TokenBucket({ rateBps: Number.NaN, nowMs: 0 }));
  });
});
