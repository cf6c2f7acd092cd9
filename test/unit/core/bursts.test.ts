import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupBursts, type BurstCandidate } from '../../../src/core/bursts.js';

const T0 = Date.parse('2026-03-01T06:00:00Z');
const photo = (id: string, s: number | null, camera: string | null = 'cam1'): BurstCandidate => ({
  id,
  camera,
  captureMs: s === null ? null : T0 + s * 1000,
  isPhoto: true,
});

describe('groupBursts', () => {
  it('stacks frames of one camera a few seconds apart, each to the previous one', () => {
    const page = [photo('a', 0), photo('b', 1), photo('c', 2), photo('d', 6), photo('e', 40), photo('f', 41)];
    assert.deepEqual(
      groupBursts(page, 5000).map((g) => g.ids),
      [
        ['a', 'b', 'c', 'd'],
        ['e', 'f'],
      ],
    );
  });

  it('the threshold is configurable; 0 turns stacking off', () => {
    const page = [photo('a', 0), photo('b', 3), photo('c', 6)];
    assert.deepEqual(
      groupBursts(page, 2000).map((g) => g.ids),
      [['a'], ['b'], ['c']],
    );
    assert.deepEqual(
      groupBursts(page, 3000).map((g) => g.ids),
      [['a', 'b', 'c']],
    );
    assert.equal(groupBursts(page, 0).length, 3);
  });

  it('never stacks across cameras, undated items, unknown cameras or videos', () => {
    const video = { ...photo('v', 2), isPhoto: false };
    const page = [
      photo('a', 0),
      photo('b', 1, 'cam2'),
      photo('c', null),
      video,
      photo('d', 2, null),
      photo('e', 3),
    ];
    assert.deepEqual(
      groupBursts(page, 5000).map((g) => g.ids),
      [['a'], ['b'], ['c'], ['v'], ['d'], ['e']],
    );
  });

  it('works in descending page order too and keeps every item exactly once', () => {
    const page = [photo('c', 2), photo('b', 1), photo('a', 0), photo('z', -100)];
    const groups = groupBursts(page);
    assert.deepEqual(
      groups.map((g) => g.ids),
      [['c', 'b', 'a'], ['z']],
    );
    assert.deepEqual(groups.flatMap((g) => g.ids).sort(), ['a', 'b', 'c', 'z']);
  });

  it('is linear: 100k items group quickly', () => {
    const page = Array.from({ length: 100_000 }, (_, i) => photo(`i${i}`, Math.floor(i / 5) * 60 + (i % 5)));
    const t0 = performance.now();
    const groups = groupBursts(page);
    assert.ok(performance.now() - t0 < 3000, 'linear, not quadratic (generous: CI shares its cores)');
    assert.equal(groups.length, 20_000);
    assert.ok(groups.every((g) => g.ids.length === 5));
  });
});
