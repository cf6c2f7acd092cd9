import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Box } from '../../../../src/recorder/motion/detector.js';
import {
  EventTracker,
  eventsFromResults,
  unionBox,
  type EventUpdate,
} from '../../../../src/recorder/motion/events.js';

const FPS = 5;
type Sample = { t: number; result: { motion: boolean; score: number; box: Box | null } };

/** A 5 fps timeline from 0 to `until` s; motion during the given spans (inclusive frames). */
function timeline(until: number, spans: [number, number][], score = (_t: number) => 3): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i <= until * FPS; i++) {
    const t = i / FPS;
    const on = spans.some(([a, b]) => t >= a - 1e-9 && t <= b + 1e-9);
    out.push({
      t,
      result: on
        ? { motion: true, score: score(t), box: { x: t / 100, y: 0.5, w: 0.1, h: 0.2 } }
        : { motion: false, score: 0, box: null },
    });
  }
  return out;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;

describe('motion events', () => {
  it('adds pre-roll and post-roll around the motion', () => {
    const [ev, ...rest] = eventsFromResults(timeline(40, [[10, 12]]));
    assert.equal(rest.length, 0);
    assert.ok(ev);
    assert.ok(close(ev.motionStart, 10) && close(ev.motionEnd, 12));
    assert.ok(close(ev.start, 5) && close(ev.end, 17), `${ev.start}–${ev.end}`);
    assert.equal(ev.frames, 11);
  });

  it('merges motion separated by less than the gap, and not more', () => {
    const merged = eventsFromResults(
      timeline(60, [
        [10, 12],
        [20, 21],
      ]),
    );
    assert.equal(merged.length, 1);
    assert.ok(close(merged[0]!.motionEnd, 21) && close(merged[0]!.end, 26));
    const apart = eventsFromResults(
      timeline(60, [
        [10, 12],
        [23, 24],
      ]),
    );
    assert.equal(apart.length, 2);
    // The second clip's pre-roll does not reach back into the first clip.
    assert.ok(apart[1]!.start >= apart[0]!.end, `${apart[1]!.start} < ${apart[0]!.end}`);
  });

  it('uses the configured rolls and gap', () => {
    const evs = eventsFromResults(
      timeline(60, [
        [10, 12],
        [16, 17],
      ]),
      {
        preRollSeconds: 2,
        postRollSeconds: 1,
        mergeGapSeconds: 3,
      },
    );
    assert.equal(evs.length, 2);
    assert.ok(close(evs[0]!.start, 8) && close(evs[0]!.end, 13));
    assert.ok(close(evs[1]!.start, 14) && close(evs[1]!.end, 18));
  });

  it('debounces: isolated motion frames are not events; minFrames in a row are', () => {
    const flicker = timeline(60, [
      [10, 10],
      [11, 11],
      [30, 30],
    ]);
    assert.equal(eventsFromResults(flicker).length, 0);
    const two = eventsFromResults(timeline(60, [[10, 10.2]]));
    assert.equal(two.length, 1);
    assert.equal(eventsFromResults(timeline(60, [[10, 10.2]]), { minFrames: 3 }).length, 0);
  });

  it('keeps the peak score, its time and box, and the union of the boxes', () => {
    const [ev] = eventsFromResults(timeline(40, [[10, 14]], (t) => (close(t, 12) ? 9 : 2)));
    assert.ok(ev);
    assert.equal(ev.peakScore, 9);
    assert.ok(close(ev.peakAt, 12));
    assert.ok(close(ev.peakBox!.x, 0.12));
    assert.ok(close(ev.box!.x, 0.1) && close(ev.box!.w, 0.14 + 0.1 - 0.1), JSON.stringify(ev.box));
  });

  it('reports start when the debounce passes and end once the gap has passed', () => {
    const tr = new EventTracker();
    const updates: { t: number; u: EventUpdate }[] = [];
    for (const s of timeline(40, [[10, 12]]))
      for (const u of tr.push(s.t, s.result)) updates.push({ t: s.t, u });
    assert.deepEqual(
      updates.map((x) => [x.u.type, Math.round(x.t * 10) / 10]),
      [
        ['start', 10.2],
        ['end', 22.2],
      ],
    );
    assert.equal(tr.active, null);
  });

  it('splits an event at the maximum length and carries on', () => {
    const evs = eventsFromResults(timeline(100, [[10, 70]]), { maxEventSeconds: 25 });
    assert.ok(evs.length >= 2);
    assert.ok(close(evs[0]!.end, 35), `${evs[0]!.end}`);
    assert.ok(evs[1]!.start >= evs[0]!.end);
    assert.ok(close(evs.at(-1)!.motionEnd, 70));
  });

  it('flush closes an open event at the end of input', () => {
    const tr = new EventTracker();
    for (const s of timeline(11, [[10, 11]])) tr.push(s.t, s.result);
    assert.ok(tr.active);
    const [u] = tr.flush(11.2);
    assert.equal(u?.type, 'end');
    assert.ok(close(u!.event.end, 11.2));
    assert.deepEqual(tr.flush(12), []);
  });

  it('unionBox', () => {
    assert.equal(unionBox(null, null), null);
    const a = { x: 0.1, y: 0.1, w: 0.2, h: 0.2 };
    assert.deepEqual(unionBox(a, null), a);
    const u = unionBox(a, { x: 0.5, y: 0, w: 0.1, h: 0.1 })!;
    assert.ok(close(u.x, 0.1) && close(u.y, 0) && close(u.w, 0.5) && close(u.h, 0.3));
  });
});
