import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutpostError } from '../../../src/core/errors.js';
import {
  EXPOSURE_LOCK_LEAD_S,
  duration,
  parseFleetConfig,
  patchesByStation,
  plansByStation,
  sessionStartOf,
} from '../../../src/fleet/fleet-config.js';
import { cameraPatchSchema } from '../../../src/recorder/camera-patch.js';

const minimal = { group: 'north', maxDuration: '30m', cameras: [{ station: 'st1', source: '/dev/video0' }] };

/** The problems of a config that must be refused (fails the test if it was accepted). */
function problemsOf(raw: unknown, source = 'fleet.yaml'): string[] {
  try {
    parseFleetConfig(raw, source);
  } catch (e) {
    assert.ok(e instanceof OutpostError, String(e));
    assert.equal(e.code, 'CONFIG_INVALID');
    const details = e.details as { source: string; problems: string[] };
    assert.equal(details.source, source);
    assert.ok(e.message.startsWith(`invalid fleet config in ${source}:`), e.message);
    for (const p of details.problems) assert.ok(e.message.includes(p), `message lists ${p}`);
    return details.problems;
  }
  assert.fail('expected the fleet config to be refused');
}

/** Each expected pattern matched by its own problem, and no problem left over. */
function assertProblems(problems: string[], expected: RegExp[]): void {
  for (const re of expected)
    assert.ok(
      problems.some((p) => re.test(p)),
      `${re} in\n  ${problems.join('\n  ')}`,
    );
  assert.equal(problems.length, expected.length, problems.join('\n'));
}

describe('fleet config', () => {
  it('fills in every default of a minimal config', () => {
    assert.deepEqual(parseFleetConfig(minimal, 'fleet.yaml'), {
      group: 'north',
      session: 'session',
      broker: { url: 'mqtt://127.0.0.1:1883', root: 'outpost/fleet' },
      maxDuration: 1800,
      clock: { maxOffsetMs: 100, action: 'refuse' },
      onConductorLost: 'continue',
      silence: 60,
      startDelay: 3,
      defaults: {},
      cameras: [{ station: 'st1', camera: 'cam', source: '/dev/video0' }],
    });
  });

  it('keeps what is given and defaults the rest of a section', () => {
    const c = parseFleetConfig(
      {
        ...minimal,
        session: 'dawn-chorus',
        broker: { url: 'mqtts://broker.lan:8883', username: 'fleet' },
        clock: { action: 'warn' },
        onConductorLost: 'stop',
        silence: '2m',
        startDelay: 10,
      },
      'fleet.yaml',
    );
    assert.equal(c.session, 'dawn-chorus');
    assert.deepEqual(c.broker, { url: 'mqtts://broker.lan:8883', username: 'fleet', root: 'outpost/fleet' });
    assert.deepEqual(c.clock, { maxOffsetMs: 100, action: 'warn' });
    assert.equal(c.onConductorLost, 'stop');
    assert.equal(c.silence, 120);
    assert.equal(c.startDelay, 10);
  });

  it('reads durations as seconds', () => {
    const cases: [string | number, number][] = [
      ['90s', 90],
      ['15m', 900],
      ['2h', 7200],
      [45, 45],
      ['45', 45],
      ['1.5m', 90],
      [0.5, 0.5],
    ];
    for (const [input, seconds] of cases) assert.equal(duration.parse(input), seconds, String(input));
    for (const bad of ['1d', '90 s', '-5m', 'm', '', '1h30m', '2H', 0, -1, null, true])
      assert.equal(duration.safeParse(bad).success, false, JSON.stringify(bad));
    assert.equal(parseFleetConfig({ ...minimal, maxDuration: '2h' }, 'f').maxDuration, 7200);
    assert.equal(parseFleetConfig({ ...minimal, maxDuration: 45 }, 'f').maxDuration, 45);
    assertProblems(problemsOf({ ...minimal, maxDuration: '2 days' }), [/^maxDuration: /]);
  });

  it('refuses an empty file, naming what is missing', () => {
    for (const raw of [null, undefined, {}])
      assertProblems(problemsOf(raw), [/^group: /, /^maxDuration: /, /^cameras: /]);
    assertProblems(problemsOf({ ...minimal, cameras: [] }), [/^cameras: /]);
  });

  it('lists every bad value in one error', () => {
    const problems = problemsOf(
      {
        ...minimal,
        extra: true,
        broker: { url: 'http://broker.lan', root: 'outpost/+/fleet' },
        clock: { maxOffsetMs: 0 },
        startDelay: 1,
        cameras: [
          { station: 'a/b', source: 'x' },
          { station: 'st2', source: 'x', rotation: 45 },
          { station: 'st3', source: 'x', resolution: '1280by720' },
          { station: 'st4', source: 'x', mode: 'timelapse', controls: { Brightness: 1 } },
        ],
      },
      'north.yaml',
    );
    assertProblems(problems, [
      /^\(root\): unknown key\(s\) "extra"$/,
      /^broker\.url: mqtt:\/\/host:port/,
      /^broker\.root: /,
      /^clock\.maxOffsetMs: /,
      /^startDelay: /,
      /^cameras\.0\.station: /,
      /^cameras\.1\.rotation: /,
      /^cameras\.2\.resolution: WIDTHxHEIGHT/,
      /^cameras\.3\.mode: /,
      /^cameras\.3\.controls\.Brightness: /,
      /^cameras\.3\.controls: camera controls are for Pi cameras/,
    ]);
  });

  it('checks Pi camera controls at load: only for rpicam: sources, each value in range', () => {
    const problems = problemsOf({
      ...minimal,
      defaults: { controls: { awb: 'daylight' } },
      cameras: [
        { station: 'st1', source: 'rpicam:?width=640&height=480', controls: { shutter: 0, roi: '0,0,1' } },
        { station: 'st2', source: 'rtsp://cam/1', controls: { gain: 2 } },
        { station: 'st3', source: 'rpicam:', controls: { exposure: 'auto', bogus: 1 } },
      ],
    });
    assertProblems(problems, [
      /^cameras\.0\.controls\.shutter: 0 is not microseconds/,
      /^cameras\.0\.controls\.roi: "0,0,1" is not "x,y,w,h"/,
      /^cameras\.1\.controls: camera controls are for Pi cameras/,
      /^cameras\.2\.controls\.exposure: "auto" is not normal, sport or long/,
      /^cameras\.2\.controls\.bogus: not a Pi camera control/,
    ]);
    const ok = parseFleetConfig(
      { ...minimal, cameras: [{ station: 'st1', source: 'rpicam:', controls: { gain: 2, awb: 'cloudy' } }] },
      'f',
    );
    assert.deepEqual(plansByStation(ok).get('st1')![0]!.controls, { gain: 2, awb: 'cloudy' });
  });

  it('lists every camera listed twice or without a source, with unknown keys', () => {
    const problems = problemsOf({
      ...minimal,
      extra: 1,
      cameras: [
        { station: 'st1', source: 'x' },
        { station: 'st1', camera: 'cam', source: 'y' },
        { station: 'st2', camera: 'left', source: 'x', bogus: 1 },
        { station: 'st2', camera: 'left', source: 'x' },
        { station: 'st3' },
      ],
    });
    assertProblems(problems, [
      /^\(root\): unknown key\(s\) "extra"$/,
      /^cameras\.2: unknown key\(s\) "bogus"$/,
      /^cameras\.1: st1\/cam is listed twice$/,
      /^cameras\.3: st2\/left is listed twice$/,
      /^cameras\.4\.source: no source/,
    ]);
    // The same camera name on another station is another camera; a default source serves all.
    const c = parseFleetConfig(
      {
        ...minimal,
        defaults: { source: '/dev/video0' },
        cameras: [{ station: 'st1' }, { station: 'st2' }, { station: 'st2', camera: 'rear' }],
      },
      'f',
    );
    assert.equal(c.cameras.length, 3);
  });

  // A bad value inside `cameras` must not hide the cross-camera checks (duplicates, sources).
  it('lists every mistake of a config with several at once', () => {
    const problems = problemsOf({
      ...minimal,
      extra: true,
      cameras: [
        { station: 'a/b', source: 'x' },
        { station: 'st2', source: 'x', rotation: 45 },
        { station: 'st3', source: 'x', resolution: '1280by720' },
        { station: 'st4', source: 'x' },
        { station: 'st4', source: 'x' },
        { station: 'st5' },
      ],
    });
    assertProblems(problems, [
      /^\(root\): unknown key\(s\) "extra"$/,
      /^cameras\.0\.station: /,
      /^cameras\.1\.rotation: /,
      /^cameras\.2\.resolution: /,
      /^cameras\.4: st4\/cam is listed twice$/,
      /^cameras\.5\.source: no source/,
    ]);
  });

  it('refuses at load what every station would refuse in the session plan', () => {
    const accepted = [
      { maxDuration: '0s' },
      { maxDuration: '169h' },
      { silence: '0' },
      { silence: '25h' },
      { cameras: [{ station: 'st1', source: 'x', resolution: '10x10' }] },
      { cameras: [{ station: 'st1', source: 'x', resolution: '00x00' }] },
      { cameras: [{ station: 'st1', source: 'x', segment: '2h' }] },
      { cameras: [{ station: 'st1', source: 'x', segment: '0s' }] },
      // Its status topic would be the conductor's.
      { cameras: [{ station: 'conductor', source: 'x' }] },
    ].filter((bad) => {
      try {
        parseFleetConfig({ ...minimal, ...bad }, 'f');
        return true;
      } catch (e) {
        if (e instanceof OutpostError && e.code === 'CONFIG_INVALID') return false;
        throw e;
      }
    });
    assert.deepEqual(accepted, []);
  });
});

/** The plan's defaults for what the configs here leave out. */
const PLAN_DEFAULTS = {
  live: true,
  timestamp: { enabled: true, position: 'top-left', inRecording: false },
  motionHighlight: false,
  rtsp: false,
} as const;

describe('plans by station', () => {
  it('resolves a camera with nothing but a source to the plan defaults', () => {
    const plans = plansByStation(parseFleetConfig(minimal, 'f'));
    assert.deepEqual(
      [...plans],
      [
        [
          'st1',
          [
            {
              camera: 'cam',
              source: '/dev/video0',
              mode: 'continuous',
              rotation: 0,
              hflip: false,
              vflip: false,
              segmentSeconds: 10,
              controls: {},
              ...PLAN_DEFAULTS,
            },
          ],
        ],
      ],
    );
  });

  it('puts defaults under each camera, its own settings over them, one list per station', () => {
    const c = parseFleetConfig(
      {
        group: 'north',
        maxDuration: '1h',
        defaults: {
          source: 'rpicam:',
          mode: 'motion',
          resolution: '1920x1080',
          fps: 25,
          rotation: 180,
          hflip: true,
          segment: '30s',
          controls: { brightness: 0.1 },
        },
        cameras: [
          // Falsy overrides (0, false) count as set.
          { station: 'st1', camera: 'front', resolution: '1280x720', rotation: 0, hflip: false },
          { station: 'st2', vflip: true, segment: 2, mode: 'continuous' },
          { station: 'st1', camera: 'back', source: 'rtsp://cam.lan/back', fps: 12.5 },
        ],
      },
      'f',
    );
    const plans = plansByStation(c);
    assert.deepEqual(
      [...plans],
      [
        [
          'st1',
          [
            {
              camera: 'front',
              source: 'rpicam:',
              mode: 'motion',
              width: 1280,
              height: 720,
              fps: 25,
              rotation: 0,
              hflip: false,
              vflip: false,
              segmentSeconds: 30,
              controls: { brightness: 0.1 },
              ...PLAN_DEFAULTS,
            },
            {
              camera: 'back',
              source: 'rtsp://cam.lan/back',
              mode: 'motion',
              width: 1920,
              height: 1080,
              fps: 12.5,
              rotation: 180,
              hflip: true,
              vflip: false,
              segmentSeconds: 30,
              // Default controls are for the Pi cameras: not passed to an RTSP camera.
              controls: {},
              ...PLAN_DEFAULTS,
            },
          ],
        ],
        [
          'st2',
          [
            {
              camera: 'cam',
              source: 'rpicam:',
              mode: 'continuous',
              width: 1920,
              height: 1080,
              fps: 25,
              rotation: 180,
              hflip: true,
              vflip: true,
              segmentSeconds: 2,
              controls: { brightness: 0.1 },
              ...PLAN_DEFAULTS,
            },
          ],
        ],
      ],
    );
  });
});

describe('live view, timestamp, motion, stream, sound, exposure lock and TTL settings', () => {
  const cfg = {
    group: 'lab',
    maxDuration: '10m',
    defaults: {
      source: 'rpicam:',
      timestamp: { position: 'bottom-right' },
      motion: { threshold: 12 },
      exposureLock: '3s',
    },
    cameras: [
      {
        station: 'a',
        camera: 'top',
        live: false,
        motionHighlight: true,
        rtsp: true,
        audio: 'alsa:plughw:1,0',
        ttl: { output: { line: 17 }, input: { lines: [22, 23] } },
      },
      { station: 'a', camera: 'side', timestamp: false, exposureLock: false },
      { station: 'b', source: 'rtsp://cam.lan/x', timestamp: { inRecording: true } },
    ],
  };

  it('resolves each camera: defaults under its own, Pi-only settings only for Pi cameras', () => {
    const plans = plansByStation(parseFleetConfig(cfg, 'f'));
    const [top, side] = plans.get('a')!;
    const [ip] = plans.get('b')!;
    assert.deepEqual(top!.timestamp, { enabled: true, position: 'bottom-right', inRecording: false });
    assert.equal(top!.live, false);
    assert.equal(top!.motionHighlight, true);
    assert.equal(top!.rtsp, true);
    assert.equal(top!.audio, 'alsa:plughw:1,0');
    assert.deepEqual(top!.motion, { threshold: 12 });
    assert.equal(top!.exposureLockS, 3);
    assert.deepEqual(top!.ttl, {
      output: { chip: 'gpiochip0', line: 17, on: 'frame', pulseMs: 2, activeLow: false },
      input: { chip: 'gpiochip0', lines: [22, 23], edges: 'both', activeLow: false },
    });
    assert.equal(side!.timestamp.enabled, false);
    assert.equal(side!.exposureLockS, undefined, 'its own false wins over the default');
    assert.equal(ip!.exposureLockS, undefined, 'a default lock is for the Pi cameras only');
    assert.deepEqual(ip!.timestamp, { enabled: true, position: 'top-left', inRecording: true });
  });

  it('starts far enough ahead for the exposure to be metered', () => {
    const c = parseFleetConfig(cfg, 'f');
    assert.equal(sessionStartOf(c).startDelayS, 3 + EXPOSURE_LOCK_LEAD_S);
    assert.equal(sessionStartOf(parseFleetConfig(minimal, 'f')).startDelayS, 3);
  });

  it('lists every bad setting', () => {
    const problems = problemsOf({
      ...minimal,
      cameras: [
        {
          station: 'st1',
          source: 'rtsp://x/y',
          exposureLock: true,
          audio: 'alsa:hw:1;reboot',
          timestamp: { position: 'middle' },
          motion: { threshold: 0 },
          ttl: { output: { line: 2000, on: 'always' } },
        },
      ],
    });
    const text = problems.join('\n');
    for (const k of [
      'exposureLock',
      'audio',
      'timestamp',
      'motion.threshold',
      'ttl.output.line',
      'ttl.output.on',
    ])
      assert.match(text, new RegExp(`cameras\\.0\\.${k.replace(/\./g, '\\.')}`), text);
  });
});

describe('config push', () => {
  it('sends the picture and segments always, the other settings only where the config states them', () => {
    const c = parseFleetConfig(
      {
        group: 'lab',
        maxDuration: '1h',
        defaults: { source: 'rpicam:', rotation: 180, timestamp: { position: 'top-right' } },
        cameras: [
          {
            station: 'a',
            camera: 'top',
            motion: { threshold: 9 },
            controls: { brightness: 0.2 },
            rtsp: true,
          },
          { station: 'a', camera: 'side', source: 'rtsp://cam/x', live: false },
          { station: 'b' },
        ],
      },
      'f',
    );
    const p = patchesByStation(c);
    assert.deepEqual(p.get('a')!.top, {
      rotation: 180,
      hflip: false,
      vflip: false,
      width: null,
      height: null,
      fps: null,
      segmentSeconds: 10,
      timestamp: true,
      timestampPosition: 'top-right',
      motionThreshold: 9,
      rtsp: true,
      controls: { brightness: 0.2 },
    });
    const side = p.get('a')!.side!;
    assert.equal(side.live, false);
    assert.equal(side.controls, undefined, 'not a Pi camera: no controls sent');
    assert.equal(side.rtsp, undefined, 'not stated: left as the station has it');
    assert.equal(p.get('b')!.cam!.motionThreshold, undefined);
    for (const [, cams] of p)
      for (const patch of Object.values(cams)) assert.ok(cameraPatchSchema.safeParse(patch).success);
  });
});
