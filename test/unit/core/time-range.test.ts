import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTimeRange } from '../../../src/core/time-range.js';

const NOW = Date.parse('2026-11-21T20:00:00Z'); // 15:00 in Lima
const LIMA = 'America/Lima';
const iso = (r: { fromMs: number; toMs: number }): [string, string] => [
  new Date(r.fromMs).toISOString(),
  new Date(r.toMs).toISOString(),
];

describe('parseTimeRange', () => {
  it('a date and time without offset is the station’s wall clock; a bare end is on the same day', () => {
    assert.deepEqual(iso(parseTimeRange('2026-11-21T14:02', '14:37', LIMA, NOW)), [
      '2026-11-21T19:02:00.000Z',
      '2026-11-21T19:37:00.000Z',
    ]);
  });

  it('offsets, Z, seconds and fractions', () => {
    assert.deepEqual(iso(parseTimeRange('2026-11-21T14:02:05.25-03:00', '2026-11-21T17:10:00Z', LIMA, NOW)), [
      '2026-11-21T17:02:05.250Z',
      '2026-11-21T17:10:00.000Z',
    ]);
  });

  it('bare times are today; an end before its start is the next day', () => {
    assert.deepEqual(iso(parseTimeRange('23:50', '00:10', LIMA, NOW)), [
      '2026-11-22T04:50:00.000Z',
      '2026-11-22T05:10:00.000Z',
    ]);
  });

  it('a time that happens twice (DST ends) is its first occurrence; one that never happens is refused', () => {
    const r = parseTimeRange('2026-11-01T01:30', '2026-11-01T03:00', 'America/New_York', NOW);
    assert.equal(new Date(r.fromMs).toISOString(), '2026-11-01T05:30:00.000Z');
    assert.throws(() => parseTimeRange('2026-03-08T02:30', '03:30', 'America/New_York', NOW), /no such time/);
  });

  it('refuses nonsense and an end not after the start', () => {
    assert.throws(() => parseTimeRange('yesterday', '14:00', LIMA, NOW), /give a time like/);
    assert.throws(() => parseTimeRange('2026-11-21T14:00Z', '2026-11-21T13:00Z', LIMA, NOW), /not after/);
  });
});
