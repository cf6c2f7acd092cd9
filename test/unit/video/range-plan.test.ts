import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mismatches, planRange, type SegmentRef } from '../../../src/video/range-plan.js';

const T = Date.parse('2026-11-21T14:00:00Z');
const seg = (i: number, startS: number, lenS = 10, over: Partial<SegmentRef> = {}): SegmentRef => ({
  id: `s${i}`,
  path: `/d/${i}.mp4`,
  startMs: T + startS * 1000,
  videoS: lenS,
  audioS: lenS,
  codec: 'h264',
  width: 640,
  height: 360,
  ...over,
});

describe('planRange', () => {
  it('takes the part of each segment inside the range', () => {
    const p = planRange([seg(0, 0), seg(1, 10), seg(2, 20)], T + 5_000, T + 25_000);
    assert.deepEqual(
      p.pieces.map((x) => [x.seg.id, x.inS, x.outS]),
      [
        ['s0', 5, 10],
        ['s1', 0, 10],
        ['s2', 0, 5],
      ],
    );
    assert.deepEqual(p.gaps, []);
    assert.equal(p.durationS, 20);
    assert.deepEqual(p.spans, [{ fromMs: T + 5_000, toMs: T + 25_000 }]);
  });

  it('names what is missing: before, between and after the footage', () => {
    const p = planRange([seg(0, 10), seg(1, 40)], T, T + 60_000);
    assert.deepEqual(
      p.gaps.map((g) => [g.reason, (g.fromMs - T) / 1000, (g.toMs - T) / 1000]),
      [
        ['not-recorded', 0, 10],
        ['not-recorded', 20, 40],
        ['not-recorded', 50, 60],
      ],
    );
    assert.equal(p.spans.length, 2);
  });

  it('never takes the same instant twice (overlapping runs), and ignores rounding under the tolerance', () => {
    const p = planRange([seg(0, 0), seg(1, 5), seg(2, 15.2)], T, T + 25_000);
    assert.deepEqual(
      p.pieces.map((x) => [x.seg.id, x.inS, x.outS]),
      [
        ['s0', 0, 10],
        ['s1', 5, 10],
        ['s2', 0, 9.8],
      ],
    );
    assert.deepEqual(p.gaps, []);
  });

  it('an unusable segment is a gap of its own, with the reason', () => {
    const p = planRange(
      [seg(0, 0), seg(1, 10, 10, { unusable: 'moov atom not found' }), seg(2, 20)],
      T,
      T + 30_000,
    );
    assert.deepEqual(
      p.gaps.map((g) => [g.reason, g.segment, g.detail]),
      [['unreadable', 's1', 'moov atom not found']],
    );
    assert.deepEqual(
      p.pieces.map((x) => x.seg.id),
      ['s0', 's2'],
    );
  });

  it('nothing recorded: no pieces, one gap', () => {
    const p = planRange([seg(0, 100)], T, T + 50_000);
    assert.equal(p.pieces.length, 0);
    assert.equal(p.gaps.length, 1);
  });

  it('mismatches: size, codec or sound against the first piece', () => {
    const p = planRange(
      [seg(0, 0), seg(1, 10, 10, { width: 320, height: 240 }), seg(2, 20, 10, { audioS: null })],
      T,
      T + 30_000,
    );
    assert.deepEqual(
      mismatches(p.pieces).map((m) => [m.piece.seg.id, m.differs]),
      [
        ['s1', 'size 320×240 ≠ 640×360'],
        ['s2', 'no sound'],
      ],
    );
  });
});
