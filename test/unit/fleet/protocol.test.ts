import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_PAYLOAD,
  NAME_RE,
  commandSchema,
  desiredSchema,
  eventSchema,
  offlineSchema,
  parsePayload,
  sessionEndMs,
  stationOfTopic,
  statusSchema,
  topics,
} from '../../../src/fleet/protocol.js';

const ROOT = 'outpost/fleet';
const T = '2026-06-01T12:00:00.000Z';
const ID = 'sess_0001';
const base = { v: 1, station: 'cam1', instance: 'inst_0001', at: T };
const camera = { camera: 'front', source: '/dev/video0', mode: 'continuous' };
const session = { id: ID, group: 'north', name: 'morning', startAt: T, maxDurationS: 600, cameras: [camera] };
const desired = { v: 1, cmd: 'cmd_0001', session, sentAt: T };
const ping = { v: 1, kind: 'ping', id: 'ping_0001', sentAt: T, expiresAt: '2026-06-01T12:00:05Z' };
const status = {
  ...base,
  state: 'online',
  startedAt: '2026-06-01T11:00:00+02:00',
  cameras: [{ camera: 'front', state: 'recording', session: ID, restarts: 0, droppedFrames: 3 }],
  health: {
    freeBytes: 1_000_000_000,
    secondsUntilFull: null,
    temperatureC: 51.5,
    throttled: false,
    uplinkBacklogBytes: 0,
  },
};
const offline = { ...base, state: 'offline' };
const events = {
  accepted: { ...base, kind: 'accepted', cmd: 'cmd_0001', session: ID, receivedAt: T },
  refused: {
    ...base,
    kind: 'refused',
    cmd: 'cmd_0001',
    code: 'DISK_NEARLY_FULL',
    reason: '2 GB free',
    receivedAt: T,
  },
  pong: { ...base, kind: 'pong', cmd: 'ping_0001', receivedAt: T },
  started: {
    ...base,
    kind: 'started',
    session: ID,
    camera: 'front',
    requestedAt: T,
    actualAt: '2026-06-01T12:00:00.040Z',
    late: false,
  },
  stopped: { ...base, kind: 'stopped', session: ID, camera: 'front', reason: 'max-duration', stoppedAt: T },
  segment: {
    ...base,
    kind: 'segment',
    session: ID,
    camera: 'front',
    path: 'north/morning/front/0001.mp4',
    sha256: 'a'.repeat(64),
    start: T,
    durationS: 10,
    bytes: 4_000_000,
  },
  gap: {
    ...base,
    kind: 'gap',
    session: ID,
    camera: 'front',
    from: T,
    to: '2026-06-01T12:00:02Z',
    reason: 'camera restarted',
  },
  duplicate: { ...base, kind: 'duplicate', other: 'inst_0002' },
};

const json = (o: unknown) => JSON.stringify(o);
/** The problem of a refused payload (fails the test if it was accepted). */
function problemOf(r: { ok: true } | { ok: false; problem: string }): string {
  assert.equal(r.ok, false, 'expected the payload to be refused');
  return (r as { problem: string }).problem;
}

describe('fleet topics', () => {
  it('names each station exactly, so cam1 never shares a topic with cam10', () => {
    const t = topics(ROOT);
    assert.equal(t.status('cam1'), 'outpost/fleet/cam1/status');
    assert.equal(t.desired('cam1'), 'outpost/fleet/cam1/desired');
    assert.equal(t.cmd('cam1'), 'outpost/fleet/cam1/cmd');
    assert.equal(t.events('cam1'), 'outpost/fleet/cam1/events');
    assert.equal(t.cmd('cam10'), 'outpost/fleet/cam10/cmd');
    for (const kind of ['status', 'desired', 'cmd', 'events'] as const) {
      assert.notEqual(t[kind]('cam1'), t[kind]('cam10'));
      assert.equal(stationOfTopic(ROOT, t[kind]('cam10')), 'cam10');
      assert.equal(stationOfTopic(ROOT, t[kind]('cam1')), 'cam1');
    }
    assert.equal(t.conductor, 'outpost/fleet/conductor/status');
    assert.equal(t.allStatus, 'outpost/fleet/+/status');
    assert.equal(t.allEvents, 'outpost/fleet/+/events');
    assert.equal(t.allDesired, 'outpost/fleet/+/desired');
    assert.equal(topics('site-a').status('cam1'), 'site-a/cam1/status');
  });

  it('finds the station of <root>/<station>/<kind> and nothing else', () => {
    for (const kind of ['status', 'events', 'desired', 'cmd'])
      assert.equal(stationOfTopic(ROOT, `outpost/fleet/cam-2.b_x/${kind}`), 'cam-2.b_x');
    for (const topic of [
      'other/fleet/cam1/status',
      'outpost/fleet2/cam1/status',
      'outpost/cam1/status',
      'outpost/fleet/conductor/status',
      'outpost/fleet/cam1',
      'outpost/fleet/cam1/status/extra',
      'outpost/fleet/site/cam1/status',
      'outpost/fleet//status',
      'outpost/fleet/+/status',
      'outpost/fleet/#/status',
      'outpost/fleet/cam+1/status',
      'outpost/fleet/cam#/status',
      'outpost/fleet/.hidden/status',
      'outpost/fleet/-dash/status',
      'outpost/fleet/..//status',
      `outpost/fleet/${'a'.repeat(64)}/status`,
    ])
      assert.equal(stationOfTopic(ROOT, topic), undefined, topic);
    assert.equal(stationOfTopic(ROOT, `outpost/fleet/${'a'.repeat(63)}/status`), 'a'.repeat(63));
  });

  it('NAME_RE allows a single topic level that is also a safe folder name', () => {
    for (const ok of ['cam1', 'A', '0', 'a.b_c-d', 'cam..1', 'a'.repeat(63)]) assert.ok(NAME_RE.test(ok), ok);
    for (const bad of [
      '',
      '.',
      '..',
      '.cam',
      '-cam',
      '_cam',
      'a/b',
      'a+b',
      'a#b',
      'a b',
      'café',
      'cam1\n',
      'a'.repeat(64),
    ])
      assert.ok(!NAME_RE.test(bad), JSON.stringify(bad));
  });
});

describe('fleet payloads', () => {
  it('parses a desired state, with the session defaults filled in', () => {
    const r = parsePayload(desiredSchema, Buffer.from(json(desired)));
    assert.deepEqual(r, {
      ok: true,
      value: {
        v: 1,
        cmd: 'cmd_0001',
        sentAt: T,
        session: {
          id: ID,
          group: 'north',
          name: 'morning',
          startAt: T,
          maxDurationS: 600,
          onConductorLost: 'continue',
          silenceS: 60,
          cameras: [
            {
              camera: 'front',
              source: '/dev/video0',
              mode: 'continuous',
              rotation: 0,
              hflip: false,
              vflip: false,
              segmentSeconds: 10,
              controls: {},
              live: true,
              timestamp: { enabled: true, position: 'top-left', inRecording: false },
              motionHighlight: false,
              rtsp: false,
            },
          ],
        },
      },
    });
    const none = parsePayload(desiredSchema, json({ v: 1, cmd: 'cmd_0002', session: null, sentAt: T }));
    assert.deepEqual(none, { ok: true, value: { v: 1, cmd: 'cmd_0002', session: null, sentAt: T } });
    assert.ok(parsePayload(desiredSchema, json({ ...desired, stopAt: '2026-06-01T12:05:00Z' })).ok);
  });

  it('parses a ping, every kind of event, a status and a goodbye', () => {
    assert.deepEqual(parsePayload(commandSchema, json(ping)), { ok: true, value: ping });
    for (const [kind, e] of Object.entries(events))
      assert.deepEqual(parsePayload(eventSchema, Buffer.from(json(e))), { ok: true, value: e }, kind);
    assert.deepEqual(parsePayload(statusSchema, json(status)), { ok: true, value: status });
    assert.deepEqual(parsePayload(offlineSchema, json(offline)), { ok: true, value: offline });
  });

  it('refuses what is not a JSON object', () => {
    for (const p of ['', 'nope', '{"v":1', "{'v':1}", Buffer.from([0xff, 0xfe, 0x00])])
      assert.equal(problemOf(parsePayload(offlineSchema, p)), 'not JSON');
    assert.match(problemOf(parsePayload(offlineSchema, 'null')), /^\(root\): .*null/);
    assert.match(problemOf(parsePayload(offlineSchema, json([offline]))), /^\(root\): .*array/);
    assert.match(problemOf(parsePayload(offlineSchema, '"offline"')), /^\(root\): /);
    assert.match(problemOf(parsePayload(eventSchema, '42')), /^\(root\): /);
  });

  it('refuses another protocol version', () => {
    assert.match(problemOf(parsePayload(desiredSchema, json({ ...desired, v: 2 }))), /^v: /);
    assert.match(problemOf(parsePayload(commandSchema, json({ ...ping, v: 2 }))), /^v: /);
    assert.match(problemOf(parsePayload(eventSchema, json({ ...events.pong, v: 2 }))), /^v: /);
    assert.match(problemOf(parsePayload(statusSchema, json({ ...status, v: 2 }))), /^v: /);
    assert.match(problemOf(parsePayload(offlineSchema, json({ ...offline, v: '1' }))), /^v: /);
    assert.match(problemOf(parsePayload(offlineSchema, json({ ...offline, v: undefined }))), /^v: /);
  });

  it('refuses unknown keys, at every level, naming them', () => {
    const cases: [unknown, object, RegExp][] = [
      [desiredSchema, { ...desired, extra: 1 }, /^\(root\): .*"extra"/],
      [desiredSchema, { ...desired, session: { ...session, extra: 1 } }, /^session: .*"extra"/],
      [
        desiredSchema,
        { ...desired, session: { ...session, cameras: [{ ...camera, extra: 1 }] } },
        /^session\.cameras\.0: .*"extra"/,
      ],
      [commandSchema, { ...ping, replyTo: 'x' }, /^\(root\): .*"replyTo"/],
      [eventSchema, { ...events.started, extra: true }, /^\(root\): .*"extra"/],
      // A key of another kind of event is unknown to this one.
      [eventSchema, { ...events.pong, code: 'BUSY' }, /^\(root\): .*"code"/],
      [statusSchema, { ...status, health: { ...status.health, gpu: 1 } }, /^health: .*"gpu"/],
      [statusSchema, { ...status, cameras: [{ ...status.cameras[0], fps: 25 }] }, /^cameras\.0: .*"fps"/],
      [offlineSchema, { ...offline, cameras: [] }, /^\(root\): .*"cameras"/],
    ];
    for (const [schema, o, re] of cases)
      assert.match(problemOf(parsePayload(schema as typeof offlineSchema, json(o))), re);
  });

  it('refuses ids and names that could climb out of a folder', () => {
    const bad = '../../etc';
    const cases: [unknown, object, RegExp][] = [
      [desiredSchema, { ...desired, cmd: bad }, /^cmd: /],
      [desiredSchema, { ...desired, session: { ...session, id: bad } }, /^session\.id: /],
      [desiredSchema, { ...desired, session: { ...session, group: '..' } }, /^session\.group: /],
      [desiredSchema, { ...desired, session: { ...session, name: 'a/b' } }, /^session\.name: /],
      [
        desiredSchema,
        { ...desired, session: { ...session, cameras: [{ ...camera, camera: '..' }] } },
        /^session\.cameras\.0\.camera: /,
      ],
      [commandSchema, { ...ping, id: bad }, /^id: /],
      [eventSchema, { ...events.started, session: bad }, /^session: /],
      [eventSchema, { ...events.segment, camera: '../x' }, /^camera: /],
      [eventSchema, { ...events.pong, station: '..' }, /^station: /],
      [statusSchema, { ...status, instance: bad }, /^instance: /],
      [offlineSchema, { ...offline, station: bad }, /^station: /],
    ];
    for (const [schema, o, re] of cases)
      assert.match(problemOf(parsePayload(schema as typeof offlineSchema, json(o))), re);
    // Ids are 8 to 64 of [A-Za-z0-9_-].
    assert.ok(parsePayload(commandSchema, json({ ...ping, id: 'a'.repeat(8) })).ok);
    assert.ok(parsePayload(commandSchema, json({ ...ping, id: 'a'.repeat(64) })).ok);
    for (const id of ['a'.repeat(7), 'a'.repeat(65), 'abcd.efgh', 'abcd efgh', 'abcd/efgh'])
      assert.match(problemOf(parsePayload(commandSchema, json({ ...ping, id }))), /^id: /, id);
  });

  it('refuses a payload larger than MAX_PAYLOAD before parsing it', () => {
    const text = json(offline);
    const exact = Buffer.from(text + ' '.repeat(MAX_PAYLOAD - text.length));
    assert.equal(exact.length, MAX_PAYLOAD);
    assert.ok(parsePayload(offlineSchema, exact).ok);
    const over = Buffer.from(text + ' '.repeat(MAX_PAYLOAD - text.length + 1));
    assert.equal(problemOf(parsePayload(offlineSchema, over)), 'payload of 65537 bytes (max 65536)');
    assert.match(
      problemOf(parsePayload(offlineSchema, Buffer.alloc(1_000_000, 0x20))),
      /^payload of 1000000 /,
    );
  });

  it('refuses times that are not ISO instants with an offset, naming the field', () => {
    for (const at of [
      '2026-06-01T12:00:00',
      '2026-06-01',
      '2026-13-01T12:00:00Z',
      '2026-02-30T12:00:00Z',
      '2026-06-01T25:00:00Z',
      '2026-06-01 12:00:00Z',
      'yesterday',
      '',
      1780315200000,
    ])
      assert.match(problemOf(parsePayload(offlineSchema, json({ ...offline, at }))), /^at: /, String(at));
    assert.ok(parsePayload(offlineSchema, json({ ...offline, at: '2026-06-01T14:00:00.5+02:00' })).ok);
    assert.match(
      problemOf(parsePayload(desiredSchema, json({ ...desired, session: { ...session, startAt: 'now' } }))),
      /^session\.startAt: /,
    );
    assert.match(
      problemOf(parsePayload(commandSchema, json({ ...ping, expiresAt: '12:00:05Z' }))),
      /^expiresAt: /,
    );
    assert.match(problemOf(parsePayload(eventSchema, json({ ...events.gap, to: 'later' }))), /^to: /);
  });

  it('refuses a __proto__ key without touching Object.prototype', () => {
    const polluting = `{"__proto__":{"polluted":true},${json(offline).slice(1)}`;
    assert.match(problemOf(parsePayload(offlineSchema, polluting)), /__proto__/);
    const nested = json({
      ...desired,
      session: { ...session, cameras: [{ ...camera, controls: { placeholder: 1 } }] },
    }).replace('"placeholder":1', '"__proto__":{"polluted":true}');
    // In a record (source controls) it is dropped, never assigned: the result keeps its prototype.
    const r = parsePayload(desiredSchema, Buffer.from(nested));
    assert.ok(r.ok);
    const controls = r.value.session!.cameras[0]!.controls;
    assert.deepEqual(controls, {});
    assert.equal(Object.getPrototypeOf(controls), Object.prototype);
    assert.equal((controls as Record<string, unknown>).polluted, undefined);
    const inHealth = json(status).replace('"freeBytes"', '"__proto__":{"polluted":true},"freeBytes"');
    assert.match(problemOf(parsePayload(statusSchema, inHealth)), /^health: .*__proto__/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  });

  it('names the failing field of each kind of message', () => {
    assert.match(problemOf(parsePayload(commandSchema, json({ ...ping, kind: 'reboot' }))), /^kind: /);
    assert.match(problemOf(parsePayload(eventSchema, json({ ...events.refused, code: 'NOPE' }))), /^code: /);
    assert.match(
      problemOf(parsePayload(eventSchema, json({ ...events.segment, sha256: 'A'.repeat(64) }))),
      /^sha256: /,
    );
    assert.match(problemOf(parsePayload(eventSchema, json({ ...events.segment, bytes: -1 }))), /^bytes: /);
    assert.match(
      problemOf(parsePayload(eventSchema, json({ ...events.stopped, reason: 'bored' }))),
      /^reason: /,
    );
    assert.match(
      problemOf(
        parsePayload(statusSchema, json({ ...status, cameras: [{ ...status.cameras[0], restarts: 1.5 }] })),
      ),
      /^cameras\.0\.restarts: /,
    );
    assert.match(
      problemOf(
        parsePayload(
          desiredSchema,
          json({ ...desired, session: { ...session, cameras: [{ ...camera, rotation: 45 }] } }),
        ),
      ),
      /^session\.cameras\.0\.rotation: /,
    );
    assert.match(
      problemOf(parsePayload(desiredSchema, json({ ...desired, session: { ...session, cameras: [] } }))),
      /^session\.cameras: /,
    );
    assert.match(
      problemOf(parsePayload(desiredSchema, json({ ...desired, session: { ...session, maxDurationS: 0 } }))),
      /^session\.maxDurationS: /,
    );
    assert.match(problemOf(parsePayload(offlineSchema, json({ ...offline, state: 'online' }))), /^state: /);
    // Several problems: the first three, in one line.
    const many = problemOf(
      parsePayload(offlineSchema, json({ v: 2, station: '..', instance: 'x', at: 'y' })),
    );
    assert.equal(many.split('; ').length, 3);
    assert.doesNotMatch(many, /\n/);
  });
});

describe('session end', () => {
  it('is the scheduled start plus the max duration', () => {
    assert.equal(sessionEndMs({ startAt: T, maxDurationS: 90 }), Date.UTC(2026, 5, 1, 12, 1, 30));
    assert.equal(
      sessionEndMs({ startAt: '2026-06-01T12:00:00+02:00', maxDurationS: 3600 }),
      Date.UTC(2026, 5, 1, 11, 0, 0),
    );
    assert.equal(sessionEndMs({ startAt: T, maxDurationS: 0.25 }), Date.UTC(2026, 5, 1, 12, 0, 0, 250));
  });
});
