import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clientAddressKey,
  createAttemptLimiter,
  isReservation,
  type AttemptLimiter,
  type LimitedKey,
  type Reservation,
} from '../../../src/auth/rate-limit.js';

function take(l: AttemptLimiter, keys: LimitedKey[], nowMs: number): Reservation {
  const r = l.attempt(keys, nowMs);
  assert.ok(isReservation(r), `refused: wait ${JSON.stringify(r)}`);
  return r;
}

function waitOf(l: AttemptLimiter, keys: LimitedKey[], nowMs: number): number {
  const r = l.attempt(keys, nowMs);
  if (isReservation(r)) {
    r.succeeded();
    return 0;
  }
  return r.retryAfterMs;
}

describe('attempt limiter', () => {
  const a = [{ key: 'ip:a', max: 3 }];

  it('allows max attempts per window, then says how long to wait', () => {
    const l = createAttemptLimiter({ windowMs: 60_000 });
    for (let i = 0; i < 3; i++) take(l, a, 1000 * i);
    assert.equal(waitOf(l, a, 5000), 55_000, 'until the first attempt leaves the window');
    assert.equal(waitOf(l, [{ key: 'ip:b', max: 3 }], 5000), 0, 'other keys are not affected');
    assert.equal(waitOf(l, a, 60_000), 0, 'the window slid past the first attempt');
  });

  it('counts an attempt when it starts: a burst gets max attempts, not one each', () => {
    const l = createAttemptLimiter({ windowMs: 60_000 });
    // Nothing has failed yet (all still being checked), and still only 3 of 50 get through.
    const got = Array.from({ length: 50 }, () => l.attempt(a, 0)).filter(isReservation);
    assert.equal(got.length, 3);
  });

  it('a successful attempt is taken back (once); failures stay', () => {
    const l = createAttemptLimiter({ windowMs: 60_000 });
    const first = take(l, a, 0);
    take(l, a, 0);
    take(l, a, 0);
    assert.ok(waitOf(l, a, 1) > 0);
    first.succeeded();
    first.succeeded();
    const again = take(l, a, 1);
    assert.ok(waitOf(l, a, 2) > 0, 'succeeded() freed exactly one slot');
    again.succeeded();
  });

  it('all keys or none: one key at its limit refuses, and counts under no key', () => {
    const l = createAttemptLimiter({ windowMs: 60_000 });
    const pair = [
      { key: 'name', max: 2 },
      { key: 'ip', max: 5 },
    ];
    take(l, pair, 0);
    take(l, pair, 0);
    assert.ok(waitOf(l, pair, 0) > 0);
    // Refused attempts did not count under `ip`: it still has 3 free slots.
    for (let i = 0; i < 3; i++) take(l, [{ key: 'ip', max: 5 }], 0);
    assert.ok(waitOf(l, [{ key: 'ip', max: 5 }], 0) > 0);
  });

  it('keeps at most maxKeys keys', () => {
    const l = createAttemptLimiter({ windowMs: 60_000, maxKeys: 2 });
    for (const k of ['a', 'b', 'c']) take(l, [{ key: k, max: 1 }], 0);
    assert.equal(waitOf(l, [{ key: 'a', max: 1 }], 1), 0, 'oldest dropped');
    assert.ok(waitOf(l, [{ key: 'c', max: 1 }], 1) > 0);
  });
});

describe('client address key', () => {
  it('IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
    assert.equal(clientAddressKey('10.0.0.7'), '10.0.0.7');
    assert.equal(clientAddressKey('::ffff:10.0.0.7'), '10.0.0.7');
    assert.equal(clientAddressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientAddressKey('2001:DB8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(clientAddressKey('2001:0db8:0001:0002::'), '2001:db8:1:2::/64');
    assert.equal(clientAddressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientAddressKey('::1'), '0:0:0:0::/64');
    assert.equal(clientAddressKey('64:ff9b::10.0.0.7'), '64:ff9b:0:0::/64');
    assert.equal(clientAddressKey('2001:db8::'), '2001:db8:0:0::/64');
  });
});
