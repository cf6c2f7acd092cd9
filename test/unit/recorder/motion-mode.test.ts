import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickSegments } from '../../../src/recorder/motion-mode.js';
import type { MotionEvent } from '../../../src/recorder/motion/events.js';

const segs = Array.from({ length: 30 }, (_, i) => ({ path: `/r/${i}.ts`, start: 100 + i, end: 101 + i }));

function ev(start: number, end: number, motionStart: number, motionEnd: number): MotionEvent {
  return {
    start,
    end,
    motionStart,
    motionEnd,
    peakScore: 3,
    peakAt: motionStart,
    peakBox: null,
    box: null,
    frames: 10,
  };
}

describe('pickSegments', () => {
  it('rounds each end of the window to the nearest segment boundary', () => {
    // Window 104.4–116.6: 104 is 60 % inside (kept), 116 is 60 % inside (kept), 117 is not.
    const p = pickSegments(segs, ev(104.4, 116.6, 109.4, 111.6));
    assert.equal(p[0]!.start, 104);
    assert.equal(p.at(-1)!.end, 117);
    // Window 104.6–116.4: the edge segments are less than half inside.
    const q = pickSegments(segs, ev(104.6, 116.4, 109.6, 111.4));
    assert.equal(q[0]!.start, 105);
    assert.equal(q.at(-1)!.end, 116);
  });

  it('never drops a segment with motion in it (no pre/post-roll)', () => {
    const p = pickSegments(segs, ev(109.9, 111.1, 109.9, 111.1));
    assert.deepEqual(
      p.map((s) => s.start),
      [109, 110, 111],
    );
  });

  it('boundaries that coincide do not pull in the neighbour', () => {
    const p = pickSegments(segs, ev(104, 117, 109, 112));
    assert.equal(p[0]!.start, 104);
    assert.equal(p.at(-1)!.end, 117);
    assert.equal(p.length, 13);
  });

  it('is empty when the ring has nothing in the window', () => {
    assert.deepEqual(pickSegments(segs, ev(10, 20, 12, 15)), []);
  });
});
