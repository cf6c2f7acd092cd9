import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeHlc } from '../../../src/core/hlc.js';
import { checkOp, MAX_CLOCK_AHEAD_MS, type OpPolicy } from '../../../src/core/op-check.js';
import type { Op } from '../../../src/core/ops.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const ID = 'ab'.repeat(32);
const op = (field: string, value: unknown, o: Partial<Op> & { wall?: number } = {}): Op => {
  const origin = o.origin ?? 'station-1';
  return {
    entity: o.entity ?? 'item',
    id: o.id ?? ID,
    field,
    value,
    hlc: o.hlc ?? encodeHlc({ wall: o.wall ?? NOW - 1000, counter: 0, node: origin }),
    origin,
  };
};
const open: OpPolicy = { nowMs: NOW, mayMove: () => true };
const code = (o: Op, p: OpPolicy = open) => checkOp(o, p)?.code;

describe('op check (the one check before every merge)', () => {
  it('takes what an edit through the API records', () => {
    for (const [f, v] of [
      ['event', 'RIVER-2024'],
      ['event', null],
      ['rating', 0],
      ['rating', 5],
      ['rating', null],
      ['priority', true],
      ['tags', ['fox', 'dusk']],
      ['tags', []],
      ['notes', 'line one\nline two'],
      ['location', { lat: -12.05, lon: -77.04 }],
      ['location', null],
      ['monitor', 'Ana María'],
      ['monitor', '_unassigned'],
      ['deleted', true],
      ['deleted', false],
    ] as const)
      assert.equal(checkOp(op(f, v), open), undefined, `${f} ${JSON.stringify(v)}`);
    assert.equal(code(op('monitor', 'Ana', { entity: 'card', id: 'uuid:1234-ABCD' })), undefined);
  });

  it('refuses fields and values no edit could make', () => {
    for (const [f, v] of [
      ['rating', 99],
      ['rating', 2.5],
      ['rating', '5'],
      ['tags', [1, 2]],
      ['tags', ['fox', 'fox']],
      ['tags', [' fox']],
      ['tags', 'fox'],
      ['event', ' padded '],
      ['event', ''],
      ['notes', 7],
      ['location', { lat: 91, lon: 0 }],
      ['location', { lat: 1, lon: 2, alt: 3 }],
      ['priority', 'yes'],
      ['deleted', 1],
      ['monitor', '../.outpost/tmp'],
      ['monitor', '../../../../tmp/pwned'],
      ['monitor', 'a/b'],
      ['monitor', ' Ana'],
      ['monitor', null],
      ['path', 'library/x'],
      ['state', 'stored'],
      ['__proto__', 1],
    ] as const)
      assert.equal(code(op(f, v)), 'OP_INVALID', `${f} ${JSON.stringify(v)}`);
    assert.equal(code(op('rating', 1, { id: '../x' })), 'OP_INVALID');
    assert.equal(code(op('rating', 1, { id: ID.toUpperCase() })), 'OP_INVALID');
    assert.equal(code(op('label', 'x', { entity: 'card', id: 'uuid:1' })), 'OP_INVALID');
    assert.equal(code(op('monitor', 'Ana', { entity: 'card', id: '../../x' })), 'OP_INVALID');
    assert.equal(code(op('rating', 1, { entity: 'user' as never })), 'OP_INVALID');
    assert.equal(code(op('rating', 1, { origin: 'a b' })), 'OP_INVALID');
    assert.equal(code(op('rating', 1, { hlc: 'yesterday' })), 'OP_INVALID');
  });

  it("a stamp's node must be the op's origin", () => {
    const o = op('rating', 1, {
      origin: 'station-2',
      hlc: encodeHlc({ wall: NOW, counter: 0, node: 'station-1' }),
    });
    assert.equal(code(o), 'OP_INVALID');
    assert.equal(code(op('rating', 1, { origin: 'station-1:tablet' })), undefined);
  });

  it('refuses stamps more than a few minutes ahead of the receiving clock', () => {
    assert.equal(code(op('rating', 1, { wall: NOW + MAX_CLOCK_AHEAD_MS - 1 })), undefined);
    const far = checkOp(op('rating', 1, { wall: NOW + 51 * 365 * 86_400_000 }), open);
    assert.equal(far?.code, 'OP_CLOCK_AHEAD');
    assert.match(far!.message, /51 years ahead/);
    assert.equal(code(op('rating', 1, { wall: NOW + 3_600_000 })), 'OP_CLOCK_AHEAD');
    assert.equal(
      code(op('rating', 1, { wall: NOW + 51 * 365 * 86_400_000 }), { ...open, maxAheadMs: Infinity }),
      undefined,
    );
  });

  it('moves and deletes (and card assignments) need the authority the receiver grants', () => {
    const onlyOwner: OpPolicy = { nowMs: NOW, mayMove: (o) => o.origin === 'station-1' };
    assert.equal(code(op('monitor', 'Ana', { origin: 'station-2' }), onlyOwner), 'OP_FORBIDDEN');
    assert.equal(code(op('deleted', true, { origin: 'station-2' }), onlyOwner), 'OP_FORBIDDEN');
    assert.equal(
      code(op('monitor', 'Ana', { origin: 'station-2', entity: 'card', id: 'idf:1' }), onlyOwner),
      'OP_FORBIDDEN',
    );
    assert.equal(
      code(op('rating', 3, { origin: 'station-2' }), onlyOwner),
      undefined,
      'attributes are not moves',
    );
    assert.equal(code(op('deleted', true), onlyOwner), undefined);
    const writeOwn: OpPolicy = { ...open, mayWrite: (o) => o.id === ID || 'not yours' };
    assert.deepEqual(checkOp(op('rating', 3, { id: 'cd'.repeat(32) }), writeOwn), {
      code: 'OP_FORBIDDEN',
      message: 'not yours',
    });
  });
});
