import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAttemptLimiter } from '../../../src/auth/rate-limit.js';

describe('attempt limiter', () => {
  it('allows max failures per window, then says how long to wait', () => {
    const l = createAttemptLimiter({ max: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      assert.equal(l.retryAfterMs('ip:a', 1000 * i), 0);
      l.fail('ip:a', 1000 * i);
    }
    assert.equal(l.retryAfterMs('ip:a', 5000), 55_000, 'until the first failure leaves the window');
    assert.equal(l.retryAfterMs('ip:b', 5000), 0, 'other keys are not affected');
    assert.equal(l.retryAfterMs('ip:a', 60_000), 0, 'the window slid past the first failure');
    l.reset('ip:a');
    assert.equal(l.retryAfterMs('ip:a', 1), 0);
  });

  it('keeps at most maxKeys keys', () => {
    const l = createAttemptLimiter({ max: 1, windowMs: 60_000, maxKeys: 2 });
    l.fail('a', 0);
    l.fail('b', 0);
    l.fail('c', 0);
    assert.equal(l.retryAfterMs('a', 1), 0, 'oldest dropped');
    assert.ok(l.retryAfterMs('c', 1) > 0);
  });
});
