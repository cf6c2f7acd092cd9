import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { parseProcNetTcp } from '../../../src/adapters/tcp-send-queue.js';
import {
  addressKey,
  bodyVerdict,
  DEFAULT_HTTP_LIMITS,
  limitsFromConfig,
  type HttpLimits,
} from '../../../src/server/http-limits.js';

describe('addressKey: what a connection is counted under', () => {
  it('IPv4 as it is, IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(addressKey('192.168.1.20'), '192.168.1.20');
    assert.equal(addressKey('::ffff:192.168.1.20'), '192.168.1.20');
  });
  it('IPv6 by its /64, however written', () => {
    const k = addressKey('2001:db8:aa:bb:1:2:3:4');
    assert.equal(k, '2001:db8:aa:bb::/64');
    assert.equal(addressKey('2001:db8:aa:bb::99'), k);
    assert.equal(addressKey('2001:0db8:00aa:00bb:ffff::1%eth0'), k);
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.notEqual(addressKey('2001:db8:aa:bc::1'), k);
  });
});

describe('bodyVerdict', () => {
  const L: HttpLimits = {
    maxConnectionsPerAddress: 64,
    bodyIdleTimeoutMs: 30_000,
    bodyGraceMs: 10_000,
    bodyMinBytesPerSecond: 1000,
  };
  const v = (p: Partial<Parameters<typeof bodyVerdict>[0]>) =>
    bodyVerdict({ elapsedMs: 0, idleMs: 0, received: 0, slowAllowed: false, ...p }, L);

  it('a body with no byte for the idle timeout is stalled, slow uploads too', () => {
    assert.equal(v({ elapsedMs: 30_000, idleMs: 29_999, received: 1e9 }), 'ok');
    assert.equal(v({ elapsedMs: 30_000, idleMs: 30_000, received: 1e9 }), 'stalled');
    assert.equal(v({ elapsedMs: 30_000, idleMs: 30_000, slowAllowed: true }), 'stalled');
  });
  it('after the grace period the average rate must hold, unless slow is allowed', () => {
    assert.equal(v({ elapsedMs: 10_000, received: 0 }), 'ok');
    assert.equal(v({ elapsedMs: 12_000, received: 1999 }), 'too-slow');
    assert.equal(v({ elapsedMs: 12_000, received: 2000 }), 'ok');
    assert.equal(v({ elapsedMs: 600_000, received: 10, slowAllowed: true }), 'ok');
  });
});

describe('limits from config', () => {
  it('defaults: 64 connections per address, 60 s idle, 2 KiB/s after 10 s; 4 event streams, 2 views, 10 s stall', () => {
    const l = limitsFromConfig(parseConfig({}, 'test').server.limits);
    assert.deepEqual(l.http, DEFAULT_HTTP_LIMITS);
    assert.deepEqual(l.streams, { eventStreamsPerUser: 4, liveViewsPerUser: 2, stallTimeoutMs: 10_000 });
  });
  it('seconds become milliseconds; bad values are refused', () => {
    const l = limitsFromConfig(
      parseConfig(
        { server: { limits: { connectionsPerAddress: 0, bodyIdleSeconds: 5, streamStallSeconds: 3 } } },
        'test',
      ).server.limits,
    );
    assert.equal(l.http.maxConnectionsPerAddress, 0);
    assert.equal(l.http.bodyIdleTimeoutMs, 5000);
    assert.equal(l.streams.stallTimeoutMs, 3000);
    assert.throws(() => parseConfig({ server: { limits: { liveViewsPerUser: 0 } } }, 'test'));
    assert.throws(() => parseConfig({ server: { limits: { nope: 1 } } }, 'test'));
  });
});

describe('parseProcNetTcp', () => {
  it('reads tx_queue (hex) of the sockets asked for, by inode', () => {
    const text =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0 100 0 0 10 0\n' +
      '   1: 0100007F:1F90 0100007F:C350 01 0003F7A0:00000000 01:00000014 00000000     0        0 2222 1 0 20 4 30 10 -1\n';
    const out = new Map<string, number>();
    parseProcNetTcp(text, new Set(['2222', '3333']), out);
    assert.deepEqual([...out], [['2222', 0x3f7a0]]);
  });
});
