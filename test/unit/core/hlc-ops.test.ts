import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeHlc, encodeHlc, hlcReceive, hlcTick } from '../../../src/core/hlc.js';
import { foldOps, type Op } from '../../../src/core/ops.js';

describe('hybrid logical clock', () => {
  it('ticks monotonically even when the wall clock goes backwards', () => {
    let h = hlcTick(undefined, 1000, 'a');
    const seen = [encodeHlc(h)];
    for (const t of [1000, 999, 500, 1001, 1001]) {
      h = hlcTick(h, t, 'a');
      seen.push(encodeHlc(h));
    }
    const sorted = [...seen].sort();
    assert.deepEqual(seen, sorted);
    assert.equal(new Set(seen).size, seen.length);
  });

  it('receiving a stamp from a node with a fast clock moves us past it', () => {
    const remote = { wall: 5000, counter: 3, node: 'b' };
    const local = hlcReceive({ wall: 1000, counter: 0, node: 'a' }, remote, 1200, 'a');
    assert.ok(encodeHlc(local) > encodeHlc(remote));
    const next = hlcTick(local, 1300, 'a');
    assert.ok(encodeHlc(next) > encodeHlc(local));
  });

  it('encodes and decodes losslessly', () => {
    const h = { wall: 1_732_000_000_000, counter: 17, node: 'station-1' };
    assert.deepEqual(decodeHlc(encodeHlc(h)), h);
    assert.throws(() => decodeHlc('garbage'));
  });
});

describe('op folding (last writer wins)', () => {
  const op = (field: string, value: unknown, wall: number, node = 'a'): Op => ({
    entity: 'item',
    id: 'x',
    field,
    value,
    hlc: encodeHlc({ wall, counter: 0, node }),
    origin: node,
  });

  it('is order-independent and idempotent', () => {
    const ops = [op('rating', 3, 10), op('rating', 5, 30, 'b'), op('rating', 1, 20), op('event', 'E1', 5)];
    const a = foldOps(ops);
    const b = foldOps([...ops].reverse());
    const c = foldOps([...ops, ...ops]);
    for (const m of [b, c]) assert.deepEqual([...m.entries()].sort(), [...a.entries()].sort());
    assert.equal([...a.values()].find((o) => o.field === 'rating')?.value, 5);
  });

  it('breaks wall-clock ties by node so every replica agrees', () => {
    const x = foldOps([op('rating', 1, 10, 'a'), op('rating', 2, 10, 'b')]);
    const y = foldOps([op('rating', 2, 10, 'b'), op('rating', 1, 10, 'a')]);
    assert.equal([...x.values()][0]?.value, [...y.values()][0]?.value);
  });
});
