import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  daysBetween,
  planRetention,
  type RetentionInput,
  type RetentionSnapshot,
} from '../../../src/snapshots/retention.js';

const ZONE = 'America/Santiago';
const MIN = 60_000;

/** One snapshot a minute over the camera-local days given (UTC-3 in December: local 00:00 is 03:00Z). */
function days(list: string[], size = 100_000, uploaded = false): RetentionSnapshot[] {
  const out: RetentionSnapshot[] = [];
  for (const day of list) {
    const start = Date.parse(`${day}T03:00:00Z`);
    for (let m = 0; m < 1440; m += 10)
      out.push({ id: `${day}-${m}`, day, receivedMs: start + m * MIN, size, uploaded });
  }
  return out;
}

const base = (over: Partial<RetentionInput>): RetentionInput => ({
  camera: 'gate',
  timeZone: ZONE,
  today: '2026-12-20',
  snapshots: [],
  safeDays: new Set(),
  requireUploaded: false,
  keepDays: 3,
  maxBytes: undefined,
  keepHourlyDays: 0,
  ...over,
});

test('daysBetween counts calendar days', () => {
  assert.equal(daysBetween('2026-12-01', '2026-12-20'), 19);
  assert.equal(daysBetween('2026-03-28', '2026-03-30'), 2);
});

test('past keepDays a safe day goes whole; an unsafe one stays, with a warning', () => {
  const snaps = days(['2026-12-10', '2026-12-11', '2026-12-19']);
  const p = planRetention(base({ snapshots: snaps, safeDays: new Set(['2026-12-10']) }));
  const gone = new Set(p.delete.map((d) => d.id));
  assert.equal(gone.size, 144);
  assert.ok([...gone].every((id) => id.startsWith('2026-12-10')));
  assert.equal(p.freedBytes, 144 * 100_000);
  assert.match(p.warnings.join('\n'), /144 snapshots are past keepDays but kept/);
});

test('today is never touched, even safe and over budget', () => {
  const snaps = days(['2026-12-20']);
  const p = planRetention(
    base({ snapshots: snaps, safeDays: new Set(['2026-12-20']), keepDays: 0, maxBytes: 1 }),
  );
  assert.equal(p.delete.length, 0);
  assert.ok(p.blockedBytes > 0);
  assert.match(p.warnings.join('\n'), /over its snapshot budget/);
});

test('one still per hour outlives the rest for keepHourlyDays', () => {
  const snaps = days(['2026-12-10']);
  const p = planRetention(base({ snapshots: snaps, safeDays: new Set(['2026-12-10']), keepHourlyDays: 30 }));
  const kept = snaps.filter((s) => !p.delete.some((d) => d.id === s.id));
  assert.equal(kept.length, 24);
  // The first of each local hour: minute 0 of each hour.
  assert.ok(kept.every((s) => Number(s.id.split('-').at(-1)) % 60 === 0));
  // Past the hourly days too: everything goes.
  const later = planRetention(
    base({ snapshots: snaps, safeDays: new Set(['2026-12-10']), keepHourlyDays: 5 }),
  );
  assert.equal(later.delete.length, snaps.length);
});

test('the budget takes the oldest safe non-hourly stills first, then hourly ones, never unsafe', () => {
  const snaps = days(['2026-12-17', '2026-12-18', '2026-12-19']); // all within keepDays
  const total = snaps.length * 100_000;
  const p = planRetention(
    base({
      snapshots: snaps,
      safeDays: new Set(['2026-12-17', '2026-12-18']),
      keepDays: 30,
      keepHourlyDays: Infinity,
      maxBytes: total - 150 * 100_000,
    }),
  );
  assert.equal(p.freedBytes, 150 * 100_000);
  assert.ok(p.delete.every((d) => d.reason === 'budget'));
  // 17th's 120 non-hourly, then the 18th's first 30 non-hourly; no hourly still yet.
  assert.equal(p.delete.filter((d) => d.id.startsWith('2026-12-17')).length, 120);
  assert.equal(p.delete.filter((d) => d.id.startsWith('2026-12-18')).length, 30);
  assert.ok(p.delete.every((d) => Number(d.id.split('-').at(-1)) % 60 !== 0));
  // Asking for more than the safe days hold: the unsafe day is kept and the shortfall reported.
  const tight = planRetention(
    base({
      snapshots: snaps,
      safeDays: new Set(['2026-12-17']),
      keepDays: 30,
      keepHourlyDays: Infinity,
      maxBytes: 0,
    }),
  );
  assert.equal(tight.delete.length, 144);
  assert.equal(tight.blockedBytes, 288 * 100_000);
});

test('with JPEGs going off-site, a JPEG not yet sent stays even on a safe day', () => {
  const snaps = days(['2026-12-10']).map((s, i) => ({ ...s, uploaded: i % 2 === 0 }));
  const p = planRetention(
    base({ snapshots: snaps, safeDays: new Set(['2026-12-10']), requireUploaded: true }),
  );
  assert.equal(p.delete.length, 72);
  assert.ok(p.delete.every((d) => snaps.find((s) => s.id === d.id)!.uploaded));
});
