import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  combineShift,
  correctedTime,
  dateFolder,
  formatOffset,
  offsetFromAnchor,
  parseOffset,
  planShift,
  shiftedLibraryPath,
  shiftLocalIso,
} from '../../../src/core/time-shift.js';

const H = 3_600_000;

describe('parseOffset', () => {
  it('reads signed compound offsets', () => {
    assert.equal(parseOffset('+1h30m'), 1.5 * H);
    assert.equal(parseOffset('-2d'), -48 * H);
    assert.equal(parseOffset('1d 2h 3m 4s'), 26 * H + 3 * 60_000 + 4_000);
    assert.equal(parseOffset(' 90s '), 90_000);
  });
  it('rejects unreadable text', () => {
    for (const bad of ['', '+', '1x', '1h1h', '30m1h', '1.5h', 'h', '++1h']) {
      assert.equal(parseOffset(bad), undefined, bad);
    }
  });
  it('formatOffset is its inverse', () => {
    for (const s of ['+1d2h3m4s', '-30m', '+1h30m', '-2d']) assert.equal(formatOffset(parseOffset(s)!), s);
    assert.equal(formatOffset(0), '0s');
  });
});

describe('shifting capture times', () => {
  it('derives the offset from an anchor photo', () => {
    const cam = Date.parse('2026-03-01T06:00:00Z');
    const truth = Date.parse('2026-03-01T07:15:00Z');
    assert.equal(offsetFromAnchor(cam, truth), 1.25 * H);
  });
  it('keeps the original and adds the winning offset', () => {
    assert.equal(correctedTime(1000, null), 1000);
    assert.equal(correctedTime(1000, { offsetMs: 500 }), 1500);
  });
  it('offsets add up and a full undo clears the correction', () => {
    const a = combineShift(null, H);
    assert.deepEqual(a, { offsetMs: H });
    assert.deepEqual(combineShift(a, 30 * 60_000), { offsetMs: 1.5 * H });
    assert.equal(combineShift(a, -H), null);
  });
  it('plans which items change date folder', () => {
    const items = [
      { id: 'a', capturedMs: Date.parse('2026-03-01T23:30:00Z') },
      { id: 'b', capturedMs: Date.parse('2026-03-01T10:00:00Z') },
    ];
    const plan = planShift(items, H);
    assert.equal(plan.moving, 1);
    assert.deepEqual(
      plan.entries.map((e) => [e.id, e.moves, dateFolder(e.newMs)]),
      [
        ['a', true, '2026-03-02'],
        ['b', false, '2026-03-01'],
      ],
    );
  });
});

describe('shiftLocalIso / shiftedLibraryPath', () => {
  it('moves the wall clock and keeps the offset and fractions', () => {
    assert.equal(shiftLocalIso('2024-05-01T23:30:00', 3_600_000), '2024-05-02T00:30:00');
    assert.equal(shiftLocalIso('2024-05-01T10:20:30+02:00', -86_400_000), '2024-04-30T10:20:30+02:00');
    assert.equal(shiftLocalIso('2024-03-01T00:00:00.250Z', -1000), '2024-02-29T23:59:59.250Z');
    assert.equal(shiftLocalIso('not a time', 1000), undefined);
  });
  it('renames a file stamped with its capture time; the download-day folder stays', () => {
    assert.equal(
      shiftedLibraryPath(
        'library/Ana/2024-06-01/20240501-233000_abcd.jpg',
        '2024-05-01T23:30:00',
        '2024-05-02T00:30:00',
      ),
      'library/Ana/2024-06-01/20240502-003000_abcd.jpg',
    );
    assert.equal(
      shiftedLibraryPath('library/Ana/2024-06-01/IMG_1.JPG', '2024-05-01T10:00:00', '2024-05-03T11:00:00'),
      undefined,
    );
  });
});
