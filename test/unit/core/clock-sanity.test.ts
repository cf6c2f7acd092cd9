import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUILD_SLACK_MS,
  CLOCK_TOLERANCE_MS,
  HLC_CAP_MS,
  assessClock,
  checkProposedTime,
  clockStep,
  formatDuration,
  newestEvidence,
  type ClockEvidence,
} from '../../../src/core/clock-sanity.js';

const DAY = 86_400_000;
const MIN = 60_000;
/** A fixed "today" (no wall clock in these tests). */
const TODAY = Date.parse('2026-12-04T09:00:00Z');
const BUILD = Date.parse('2026-09-01T00:00:00Z');

const ev = (source: ClockEvidence['source'], ms: number): ClockEvidence => ({ source, ms });

describe('clock sanity: the verdict', () => {
  it('trusts a clock after the build and after everything it has seen', () => {
    const v = assessClock({
      nowMs: TODAY,
      buildMs: BUILD,
      evidence: [ev('catalogue', TODAY - 3 * DAY), ev('last-good', TODAY - 5 * MIN), ev('hlc', TODAY - DAY)],
    });
    assert.equal(v.state, 'trusted');
    assert.equal(v.state === 'trusted' && v.basis, 'evidence');
    assert.deepEqual(v.newest, ev('last-good', TODAY - 5 * MIN));
  });

  it('a clock a week behind the newest item is suspect (behind-evidence), and says by how much', () => {
    const v = assessClock({
      nowMs: TODAY - 7 * DAY,
      buildMs: BUILD,
      evidence: [ev('catalogue', TODAY)],
    });
    assert.equal(v.state, 'suspect');
    assert.ok(v.state === 'suspect');
    assert.equal(v.reason, 'behind-evidence');
    assert.equal(v.behindMs, 7 * DAY);
    assert.match(v.message, /7 days before the newest item in the library/);
    assert.match(v.action, /tablet/);
  });

  it('a clock before the build is suspect even with no evidence (fresh station, 1970 after boot)', () => {
    const v = assessClock({ nowMs: 0, buildMs: BUILD, evidence: [] });
    assert.equal(v.state === 'suspect' && v.reason, 'before-build');
    // Within the slack is fine (the build machine's clock may be a little ahead).
    assert.equal(
      assessClock({ nowMs: BUILD - BUILD_SLACK_MS + 1, buildMs: BUILD, evidence: [] }).state,
      'trusted',
    );
  });

  it('the last good time catches a fake-hwclock restore after a power cut', () => {
    // fake-hwclock saved hourly; the station wrote its last good time 5 minutes before the cut.
    const cut = TODAY - 2 * DAY;
    const restored = cut - 50 * MIN;
    const v = assessClock({ nowMs: restored, buildMs: BUILD, evidence: [ev('last-good', cut - 5 * MIN)] });
    assert.equal(v.state === 'suspect' && v.reason, 'behind-evidence');
    assert.match(v.state === 'suspect' ? v.message : '', /last time this station knew its clock was right/);
  });

  it('small differences are tolerated (NTP slew, a partner station a few minutes ahead)', () => {
    const evidence = [ev('catalogue', TODAY + CLOCK_TOLERANCE_MS - 1)];
    assert.equal(assessClock({ nowMs: TODAY, buildMs: BUILD, evidence }).state, 'trusted');
    const beyond = [ev('catalogue', TODAY + CLOCK_TOLERANCE_MS + 1)];
    assert.equal(assessClock({ nowMs: TODAY, buildMs: BUILD, evidence: beyond }).state, 'suspect');
  });

  it('NTP synchronised wins over everything', () => {
    const v = assessClock({
      nowMs: TODAY,
      buildMs: BUILD,
      evidence: [ev('catalogue', TODAY + 30 * DAY)],
      ntpSynchronized: true,
    });
    assert.equal(v.state === 'trusted' && v.basis, 'ntp');
    // Unknown or not synchronised: the rules decide.
    for (const ntp of [false, null, undefined])
      assert.equal(
        assessClock({
          nowMs: TODAY,
          buildMs: BUILD,
          evidence: [ev('catalogue', TODAY + 30 * DAY)],
          ntpSynchronized: ntp,
        }).state,
        'suspect',
      );
  });

  it('a jump back while running is suspect; a jump within the threshold is not', () => {
    const v = assessClock({ nowMs: TODAY, buildMs: BUILD, evidence: [], jumpedBackMs: 3 * 60 * MIN });
    assert.equal(v.state === 'suspect' && v.reason, 'jumped-back');
    assert.match(v.state === 'suspect' ? v.message : '', /jumped back by 3 hours/);
    assert.equal(
      assessClock({ nowMs: TODAY, buildMs: BUILD, evidence: [], jumpedBackMs: MIN }).state,
      'trusted',
    );
  });

  it('before-build is reported before behind-evidence, behind-evidence before jumped-back', () => {
    const both = assessClock({
      nowMs: BUILD - DAY,
      buildMs: BUILD,
      evidence: [ev('catalogue', TODAY)],
      jumpedBackMs: DAY,
    });
    assert.equal(both.state === 'suspect' && both.reason, 'before-build');
    assert.equal(both.state === 'suspect' && both.behindMs, TODAY - (BUILD - DAY));
    const two = assessClock({
      nowMs: TODAY - DAY,
      buildMs: BUILD,
      evidence: [ev('catalogue', TODAY)],
      jumpedBackMs: DAY,
    });
    assert.equal(two.state === 'suspect' && two.reason, 'behind-evidence');
  });
});

describe('clock sanity: the evidence', () => {
  it('a future-poisoned HLC does not make every clock look behind', () => {
    // A stamp from 2077 merged into the op log: the HLC wall is far ahead of everything else.
    const poisoned = [
      ev('catalogue', TODAY - DAY),
      ev('last-good', TODAY - 5 * MIN),
      ev('hlc', Date.parse('2077-01-01')),
    ];
    assert.deepEqual(newestEvidence(poisoned), ev('last-good', TODAY - 5 * MIN));
    assert.equal(assessClock({ nowMs: TODAY, buildMs: BUILD, evidence: poisoned }).state, 'trusted');
    // Within a day of the rest it counts (ops from a partner a few hours ahead).
    const close = [ev('catalogue', TODAY - DAY), ev('hlc', TODAY - DAY + HLC_CAP_MS)];
    assert.deepEqual(newestEvidence(close), ev('hlc', TODAY - DAY + HLC_CAP_MS));
  });

  it('the HLC alone counts (a library with edits only)', () => {
    assert.deepEqual(newestEvidence([ev('hlc', TODAY)]), ev('hlc', TODAY));
  });

  it('evidence a person overruled no longer counts; newer evidence does again', () => {
    const wrongAhead = Date.parse('2027-06-01T00:00:00Z');
    const evidence = [ev('catalogue', wrongAhead), ev('hlc', wrongAhead - MIN)];
    assert.equal(assessClock({ nowMs: TODAY, buildMs: BUILD, evidence }).state, 'suspect');
    assert.equal(
      assessClock({ nowMs: TODAY, buildMs: BUILD, evidence, overruledUpToMs: wrongAhead }).state,
      'trusted',
    );
    const later = [...evidence, ev('catalogue', wrongAhead + DAY)];
    assert.equal(
      assessClock({ nowMs: TODAY, buildMs: BUILD, evidence: later, overruledUpToMs: wrongAhead }).state,
      'suspect',
    );
  });

  it('the last good time is never overruled (the station rewrites it when the clock is set)', () => {
    const lastGood = [ev('last-good', TODAY)];
    assert.deepEqual(newestEvidence(lastGood, TODAY + DAY), ev('last-good', TODAY));
  });

  it('ignores evidence that is not a number', () => {
    assert.equal(newestEvidence([ev('catalogue', Number.NaN)]), undefined);
  });
});

describe('clock sanity: jumps against the monotonic clock', () => {
  it('measures steps of the wall clock, not the passing of time', () => {
    const a = { wallMs: TODAY, monoMs: 1000 };
    assert.equal(clockStep(a, { wallMs: TODAY + 30_000, monoMs: 31_000 }), 0);
    assert.equal(clockStep(a, { wallMs: TODAY - 7 * DAY + 30_000, monoMs: 31_000 }), -7 * DAY);
    assert.equal(clockStep(a, { wallMs: TODAY + DAY + 30_000, monoMs: 31_000 }), DAY);
  });
});

describe('clock sanity: setting the clock from a tablet', () => {
  const evidence = [ev('catalogue', TODAY - DAY)];
  it('accepts a plausible time', () => {
    assert.deepEqual(checkProposedTime({ proposedMs: TODAY, buildMs: BUILD, evidence }), { ok: true });
  });

  it('never accepts a time before the build (the tablet is wrong too)', () => {
    const r = checkProposedTime({
      proposedMs: BUILD - 2 * BUILD_SLACK_MS,
      buildMs: BUILD,
      evidence,
      overrule: true,
    });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'before-build');
    assert.equal(!r.ok && r.overrulable, false);
  });

  it('a time before the evidence needs a second confirmation, which overrules that evidence', () => {
    const r = checkProposedTime({ proposedMs: TODAY - 3 * DAY, buildMs: BUILD, evidence });
    assert.equal(!r.ok && r.reason, 'behind-evidence');
    assert.equal(!r.ok && r.overrulable, true);
    const again = checkProposedTime({
      proposedMs: TODAY - 3 * DAY,
      buildMs: BUILD,
      evidence,
      overrule: true,
    });
    assert.deepEqual(again, { ok: true, overrules: TODAY - DAY });
  });

  it('refuses while NTP keeps the clock, and refuses nonsense', () => {
    const r = checkProposedTime({ proposedMs: TODAY, buildMs: BUILD, evidence, ntpSynchronized: true });
    assert.equal(!r.ok && r.reason, 'ntp');
    assert.match(!r.ok ? r.message : '', /NTP/);
    assert.equal(checkProposedTime({ proposedMs: Number.NaN, buildMs: BUILD, evidence }).ok, false);
  });
});

describe('clock sanity: words', () => {
  it('formats durations by their largest unit', () => {
    assert.equal(formatDuration(7 * DAY + 5 * MIN), '7 days');
    assert.equal(formatDuration(MIN), '1 minute');
    assert.equal(formatDuration(-3 * 3_600_000), '3 hours');
  });
});
