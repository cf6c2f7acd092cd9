import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StartReport } from '../../../src/fleet/conductor.js';
import { applyClockSample, applyPresence, newManifest } from '../../../src/fleet/manifest.js';
import { plan as cameraPlan } from '../../kit/fleet.js';

const plan = cameraPlan();

function manifest() {
  const report: StartReport = {
    session: {
      id: 'sess-0001abcd',
      group: 'lab',
      name: 'trial',
      startAt: '2026-12-06T10:00:00.000Z',
      maxDurationS: 600,
      onConductorLost: 'continue',
      silenceS: 60,
      cameras: [],
      stations: ['a', 'b'],
    },
    accepted: ['a'],
    refused: [{ station: 'b', code: 'CAMERA_MISSING', reason: 'no camera' }],
    silent: [],
    clock: {},
    answerMs: {},
    clockWarnings: [],
  };
  return newManifest(
    report,
    new Map([
      ['a', [plan]],
      ['b', [plan]],
    ]),
    new Date('2026-12-06T09:59:57Z'),
  );
}

describe('session manifest: stations out of contact', () => {
  it('keeps offline intervals of accepted stations while the session runs', () => {
    const m = manifest();
    assert.equal(applyPresence(m, 'a', false, '2026-12-06T10:01:00.000Z'), true);
    assert.equal(applyPresence(m, 'a', false, '2026-12-06T10:01:05.000Z'), false, 'already away');
    assert.deepEqual(m.stations.a!.offline, [{ from: '2026-12-06T10:01:00.000Z', to: null }]);
    assert.equal(applyPresence(m, 'a', true, '2026-12-06T10:02:00.000Z'), true);
    assert.equal(applyPresence(m, 'a', true, '2026-12-06T10:02:30.000Z'), false, 'already back');
    assert.deepEqual(m.stations.a!.offline, [
      { from: '2026-12-06T10:01:00.000Z', to: '2026-12-06T10:02:00.000Z' },
    ]);
  });

  it('ignores refused and unknown stations, and a station leaving after the end', () => {
    const m = manifest();
    assert.equal(applyPresence(m, 'b', false, '2026-12-06T10:01:00.000Z'), false);
    assert.equal(applyPresence(m, 'zed', false, '2026-12-06T10:01:00.000Z'), false);
    assert.equal(applyPresence(m, 'a', false, '2026-12-06T10:10:00.000Z'), false, 'the session has ended');
    assert.deepEqual(m.stations.a!.offline, []);
  });

  it('keeps clock samples measured during the session, for accepted stations only', () => {
    const m = manifest();
    const sample = { offsetMs: 12.5, rttMs: 3, at: '2026-12-06T10:01:00.000Z' };
    assert.equal(applyClockSample(m, 'a', sample), true);
    assert.equal(applyClockSample(m, 'b', sample), false);
    assert.deepEqual(m.stations.a!.clockSamples, [sample]);
    assert.equal(m.stations.b!.clockSamples, undefined);
  });
});
