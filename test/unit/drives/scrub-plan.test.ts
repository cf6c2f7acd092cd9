import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { parseEvery } from '../../../src/core/durations.js';
import { indicatorViews, IDLE_STATION } from '../../../src/core/indicators.js';
import {
  bytesPerSecondOf,
  judgeFile,
  nextScrubAt,
  quarantineRelPath,
  scrubDue,
} from '../../../src/drives/scrub-plan.js';
import { makeThrottle } from '../../../src/drives/scrub-hash.js';
import { StationEvents } from '../../../src/station/events.js';
import { trackScrub } from '../../../src/station/scrub-tracker.js';
import { stationState } from '../../../src/indicators/station-state.js';
import { DEFAULT_DRIVE_HEALTH } from '../../../src/core/drive-health.js';

const DAY = 86_400_000;
const H = 'ab'.repeat(32);

describe('parseEvery', () => {
  it('reads days as numbers and m/h/d/w strings', () => {
    assert.equal(parseEvery(7), 7 * DAY);
    assert.equal(parseEvery(0.5), DAY / 2);
    assert.equal(parseEvery('7d'), 7 * DAY);
    assert.equal(parseEvery('12h'), DAY / 2);
    assert.equal(parseEvery('90m'), 90 * 60_000);
    assert.equal(parseEvery('2w'), 14 * DAY);
    assert.equal(parseEvery(' 1.5d '), 1.5 * DAY);
  });
  it('refuses nonsense', () => {
    for (const v of ['', 'weekly', '7', '7x', '-1d', '0d', 0, -3, Infinity])
      assert.equal(parseEvery(v), undefined, String(v));
  });
  it('config: default weekly, invalid values listed', () => {
    const c = parseConfig({}, 'test');
    assert.equal(c.scrub.every, '7d');
    assert.equal(c.scrub.rateMBps, 25);
    assert.equal(c.scrub.everyMs, 7 * DAY);
    assert.equal(parseConfig({ scrub: { every: 3 } }, 'test').scrub.every, 3);
    assert.equal(parseConfig({ scrub: { every: '12h' } }, 'test').scrub.everyMs, DAY / 2);
    assert.throws(() => parseConfig({ scrub: { every: 'weekly' } }, 'test'), /scrub\.every/);
    assert.throws(() => parseConfig({ scrub: { rateMBps: -1 } }, 'test'), /scrub\.rateMBps/);
  });
});

describe('scrubDue', () => {
  const now = new Date('2024-07-10T12:00:00Z');
  it('is due when never completed', () => assert.equal(scrubDue({}, now, 7 * DAY), true));
  it('is due while a cycle is open (resume), however recent the last one', () =>
    assert.equal(scrubDue({ cursor: 'aa', lastCompletedAt: '2024-07-10T11:00:00Z' }, now, 7 * DAY), true));
  it('waits `every` after the last completed cycle', () => {
    assert.equal(scrubDue({ lastCompletedAt: '2024-07-04T12:00:01Z' }, now, 7 * DAY), false);
    assert.equal(scrubDue({ lastCompletedAt: '2024-07-03T12:00:00Z' }, now, 7 * DAY), true);
    assert.deepEqual(
      nextScrubAt({ lastCompletedAt: '2024-07-04T12:00:01Z' }, now, 7 * DAY),
      new Date('2024-07-11T12:00:01Z'),
    );
  });
  it('a damaged timestamp counts as never', () =>
    assert.equal(scrubDue({ lastCompletedAt: 'yesterday' }, now, DAY), true));
});

describe('judgeFile', () => {
  const exp = { size: 10, sha256: H };
  it('right size and hash: fine', () =>
    assert.equal(judgeFile(exp, { kind: 'read', size: 10, sha256: H }), undefined));
  it('names what is wrong', () => {
    assert.equal(judgeFile(exp, { kind: 'missing' })?.code, 'MISSING');
    assert.equal(judgeFile(exp, { kind: 'unreadable', error: 'EIO' })?.code, 'UNREADABLE');
    assert.equal(judgeFile(exp, { kind: 'read', size: 9 })?.code, 'SIZE_MISMATCH');
    const c = judgeFile(exp, { kind: 'read', size: 10, sha256: 'cd'.repeat(32) });
    assert.equal(c?.code, 'CORRUPT');
    assert.equal(c?.actual, 'cd'.repeat(32));
  });
});

describe('helpers', () => {
  it('rates are decimal MB/s; 0 is no limit', () => {
    assert.equal(bytesPerSecondOf(25), 25e6);
    assert.equal(bytesPerSecondOf(0), Infinity);
    assert.equal(bytesPerSecondOf(undefined), Infinity);
  });
  it('quarantine path keeps the drive-relative path under a time stamp', () =>
    assert.equal(
      quarantineRelPath('library/Ana/2024-06-01/x.jpg', new Date('2024-07-10T12:34:56.789Z')),
      '.outpost/quarantine/20240710T123456Z/library/Ana/2024-06-01/x.jpg',
    ));
  it('throttle: unlimited never waits; aborted signal rejects', async () => {
    const t = makeThrottle(Infinity, () => 0);
    await t.take(1e9, undefined);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(t.take(1, ac.signal));
    const slow = makeThrottle(1000, () => performance.now());
    const ac2 = new AbortController();
    const p = slow.take(3e6, ac2.signal); // beyond the 1 MiB burst: must wait
    ac2.abort();
    await assert.rejects(p);
  });
});

describe('station: scrub state → BACKUP', () => {
  const facts = {
    ingest: null,
    space: { freeBytes: 5e11, totalBytes: 1e12 },
    thresholds: DEFAULT_DRIVE_HEALTH,
    uplink: null,
  };
  it('unrepaired damage flashes BACKUP red, over the mirror state', () => {
    const events = new StationEvents();
    const t = trackScrub(events);
    events.emit('scrub-damage', { files: 2 });
    const v = indicatorViews(stationState({ ...facts, scrub: t.current() }));
    assert.equal(v.BACKUP.look, 'red-flash');
    assert.match(v.BACKUP.reason, /2 damaged file/);
    events.emit('scrub-done', {
      summary: {
        checked: 3,
        bytes: 1,
        bad: [],
        repaired: [],
        unrepaired: [],
        seconds: 0,
        complete: true,
        aborted: false,
        openDamage: 0,
      },
    });
    assert.equal(indicatorViews(stationState({ ...facts, scrub: t.current() })).BACKUP.look, 'off');
    t.stop();
  });
  it('no scrub: BACKUP as before', () =>
    assert.deepEqual(stationState({ ...facts, scrub: null }).backup, IDLE_STATION.backup));
});
