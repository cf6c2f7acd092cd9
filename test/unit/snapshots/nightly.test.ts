import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextLocalTime } from '../../../src/snapshots/service.js';

test("the nightly pass: the next time the camera's wall clock reads `at`, across zones and DST", () => {
  // Madrid (UTC+1 in winter): 00:10 local is 23:10Z the day before.
  assert.equal(
    new Date(nextLocalTime(Date.parse('2026-12-04T12:00:00Z'), '00:10', 'Europe/Madrid')).toISOString(),
    '2026-12-04T23:10:00.000Z',
  );
  // Just past it: tomorrow's.
  assert.equal(
    new Date(nextLocalTime(Date.parse('2026-12-04T23:10:30Z'), '00:10', 'Europe/Madrid')).toISOString(),
    '2026-12-05T23:10:00.000Z',
  );
  // Santiago skips 00:00–00:59 when summer time starts (2026-09-06): 00:10 does not exist that
  // night, so the pass runs the next night rather than never.
  const t = nextLocalTime(Date.parse('2026-09-06T02:00:00Z'), '00:10', 'America/Santiago');
  assert.equal(new Date(t).toISOString(), '2026-09-07T03:10:00.000Z');
  // New York's fall-back night: 01:30 happens twice; the first one.
  assert.equal(
    new Date(nextLocalTime(Date.parse('2026-11-01T00:00:00Z'), '01:30', 'America/New_York')).toISOString(),
    '2026-11-01T05:30:00.000Z',
  );
});
