import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AlertTracker,
  START_GRACE_MS,
  alertConditions,
  describeAlert,
  type StationView,
} from '../../../src/fleet/alerts.js';
import type { Desired } from '../../../src/fleet/protocol.js';

const T0 = Date.parse('2026-12-06T10:00:00Z');
type CamState = 'idle' | 'starting' | 'recording' | 'failed';
const cam = (camera: string, state: CamState, session: string | null = null) => ({
  camera,
  state,
  session,
  restarts: 0,
  droppedFrames: 0,
});
const station = (name: string, online: boolean, cameras?: ReturnType<typeof cam>[]): StationView => ({
  station: name,
  online,
  lastSeenMs: T0 - 5000,
  ...(cameras ? { status: { cameras } } : {}),
});
const desired = (startMs: number, cameras: string[], o: { stopAt?: number; maxS?: number } = {}): Desired =>
  ({
    v: 1,
    cmd: 'cmd-00000001',
    sentAt: new Date(startMs - 3000).toISOString(),
    ...(o.stopAt ? { stopAt: new Date(o.stopAt).toISOString() } : {}),
    session: {
      id: 'sess-0001',
      group: 'lab',
      name: 'run',
      startAt: new Date(startMs).toISOString(),
      maxDurationS: o.maxS ?? 600,
      onConductorLost: 'continue',
      silenceS: 60,
      cameras: cameras.map((camera) => ({ camera })),
    },
  }) as unknown as Desired;

describe('alertConditions', () => {
  it('an offline station it saw online, or one a session waits for; not a stale last will', () => {
    const c = alertConditions(
      [station('a', false, []), station('stale', false), station('b', false)],
      new Map([['b', desired(T0, ['cam'])]]),
      T0,
    );
    assert.deepEqual(
      c.map((x) => [x.kind, x.station, x.sinceMs]),
      [
        ['station-offline', 'a', T0 - 5000],
        ['station-offline', 'b', T0 - 5000],
      ],
    );
  });

  it('a failed camera, always; a session camera not recording, after the grace and before the end', () => {
    const d = new Map([['s', desired(T0, ['cam1', 'cam2', 'cam3'])]]);
    const cams = [
      cam('cam1', 'recording', 'sess-0001'),
      cam('cam2', 'idle'),
      cam('cam3', 'failed'),
      cam('x', 'failed'),
    ];
    const during = alertConditions([station('s', true, cams)], d, T0 + START_GRACE_MS);
    assert.deepEqual(during.map((x) => `${x.kind}:${x.camera}`).sort(), [
      'camera-failed:cam3',
      'camera-failed:x',
      'camera-not-recording:cam2',
    ]);
    // Within the grace after the start: only the failures.
    const early = alertConditions([station('s', true, cams)], d, T0 + START_GRACE_MS - 1);
    assert.deepEqual(early.map((x) => x.kind).sort(), ['camera-failed', 'camera-failed']);
    // After the end (max duration), and after a stop asked for: nobody should be recording.
    assert.equal(
      alertConditions([station('s', true, cams)], d, T0 + 600_000).filter(
        (x) => x.kind === 'camera-not-recording',
      ).length,
      0,
    );
    const stopped = new Map([['s', desired(T0, ['cam2'], { stopAt: T0 + 20_000 })]]);
    assert.equal(
      alertConditions([station('s', true, cams)], stopped, T0 + 20_000).filter(
        (x) => x.kind === 'camera-not-recording',
      ).length,
      0,
    );
  });

  it('a camera recording another session is not recording this one', () => {
    const d = new Map([['s', desired(T0, ['cam'])]]);
    const c = alertConditions([station('s', true, [cam('cam', 'recording', 'other-0001')])], d, T0 + 60_000);
    assert.deepEqual(
      c.map((x) => x.kind),
      ['camera-not-recording'],
    );
  });
});

describe('AlertTracker', () => {
  it('raised once the condition lasted the delay, once; cleared when it ends', () => {
    const t = new AlertTracker(15_000);
    const off = { kind: 'station-offline' as const, station: 'a', sinceMs: T0 };
    assert.deepEqual(t.update([off], T0 + 14_999), { raised: [], cleared: [] });
    const r = t.update([off], T0 + 15_000);
    assert.equal(r.raised.length, 1);
    assert.equal(r.raised[0]!.since, new Date(T0).toISOString());
    assert.deepEqual(t.update([off], T0 + 20_000), { raised: [], cleared: [] });
    assert.equal(t.active().length, 1);
    const gone = t.update([], T0 + 21_000);
    assert.equal(gone.cleared.length, 1);
    assert.deepEqual(t.active(), []);
  });

  it('a restart shorter than the delay is never an alert; a new occurrence counts from its own start', () => {
    const t = new AlertTracker(10_000);
    const failed = { kind: 'camera-failed' as const, station: 's', camera: 'cam' };
    t.update([failed], T0);
    t.update([], T0 + 5000);
    assert.deepEqual(t.update([failed], T0 + 9000).raised, []);
    assert.deepEqual(t.update([failed], T0 + 18_999).raised, []);
    assert.equal(t.update([failed], T0 + 19_000).raised.length, 1);
  });

  it('describes each kind in one line', () => {
    const since = new Date(T0).toISOString();
    assert.match(describeAlert({ kind: 'station-offline', station: 'a', since }), /^a is offline since/);
    assert.match(
      describeAlert({ kind: 'camera-failed', station: 'a', camera: 'c', since }),
      /^a\/c: the camera's pipeline failed/,
    );
    assert.match(
      describeAlert({ kind: 'camera-not-recording', station: 'a', camera: 'c', session: 'sess-0001', since }),
      /^a\/c is not recording session sess-0001/,
    );
  });
});
