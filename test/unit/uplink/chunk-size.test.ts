import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkSizer } from '../../../src/uplink/chunk-size.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('adaptive chunk size', () => {
  it('starts at the initial size, then targets ~15 s of transfer', () => {
    const c = new ChunkSizer();
    assert.equal(c.next(), 256 * KiB);
    c.observe(250_000 * 10, 10_000); // 2 Mbit/s
    assert.equal(c.throughputBps, 250_000);
    const size = c.next();
    assert.ok(Math.abs(size - 15 * 250_000) <= 16 * KiB, `chunk ${size}`);
    assert.equal(size % (16 * KiB), 0);
  });

  it('is bounded and never larger than what remains', () => {
    const c = new ChunkSizer({ minBytes: 64 * KiB, maxBytes: 8 * MiB });
    c.observe(100, 1000);
    assert.equal(c.next(), 64 * KiB);
    for (let i = 0; i < 20; i++) c.observe(100 * MiB, 1000);
    assert.equal(c.next(), 8 * MiB);
    assert.equal(c.next(1234), 1234);
    assert.equal(c.next(0), 0);
  });

  it('shrinks fast when the link drops and grows slowly when it recovers', () => {
    const c = new ChunkSizer();
    for (let i = 0; i < 10; i++) c.observe(250_000 * 15, 15_000);
    c.observe(32_000 * 15, 15_000); // the link fell to 256 kbit/s
    assert.equal(c.throughputBps, 32_000, 'a drop below half is taken at once');
    for (let i = 0; i < 40; i++) c.observe(200_000 * 15, 15_000);
    c.observe(150_000 * 15, 15_000); // a moderate dip: weighted heavily, not taken whole
    const dip = c.throughputBps as number;
    assert.ok(Math.abs(dip - 165_000) < 100, `dip ${dip}`);
    c.observe(32_000 * 15, 15_000);
    const low = c.throughputBps as number;
    c.observe(250_000 * 15, 15_000);
    const up = c.throughputBps as number;
    assert.ok(up - low < (250_000 - low) * 0.3, 'growth is gradual');
  });

  it('halves on a stall and ignores samples too short to mean anything', () => {
    const c = new ChunkSizer();
    c.observe(1_000_000, 10);
    assert.equal(c.throughputBps, undefined);
    c.observeStall();
    assert.equal(c.next(), 64 * KiB);
    c.reset();
    c.observe(100_000 * 15, 15_000);
    c.observeStall();
    assert.equal(c.throughputBps, 50_000);
    c.reset();
    assert.equal(c.throughputBps, undefined);
  });

  it('rejects nonsense options', () => {
    assert.throws(() => new ChunkSizer({ minBytes: 10, maxBytes: 5 }));
    assert.throws(() => new ChunkSizer({ fallWeight: 0 }));
  });

  it('a small send that was quick says nothing about the rate; a small send that crawled does', () => {
    const c = new ChunkSizer();
    c.observe(4 * MiB, 1000); // 4 MiB/s
    // A 12 KB thumbnail answered in 600 ms (a busy server): not a 20 KB/s link.
    c.observe(12_000, 600);
    assert.equal(c.throughputBps, 4 * MiB);
    // 12 KB in 3 s is a slow link whatever the server did.
    c.observe(12_000, 3000);
    assert.equal(c.throughputBps, 4000);
  });
});
