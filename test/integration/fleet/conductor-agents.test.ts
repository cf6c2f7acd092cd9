import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from 'mqtt';
import { startEmbeddedBroker } from '../../../src/adapters/mqtt-broker.js';
import type { CameraPlan } from '../../../src/fleet/protocol.js';
import { mosquittoInstalled, startTestMosquitto } from '../../kit/mosquitto.js';
import { freePort } from '../../kit/ports.js';
import {
  ROOT,
  plan,
  skewedClock,
  startAgent,
  startConductor,
  until,
  type TestAgent,
} from '../../kit/fleet.js';

/**
 * The fleet protocol end to end on real MQTT brokers — the embedded one (aedes) and Mosquitto
 * (Debian's) — with real clients: a conductor and in-process station agents whose camera device
 * is fake (no Pi camera here).
 */
interface Broker {
  url: string;
  /** Down (connections cut) and up again on the same port, retained messages gone. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function embedded(): Promise<Broker> {
  const port = await freePort();
  let b = await startEmbeddedBroker({ port });
  return {
    url: b.url,
    restart: async (downMs) => {
      await b.close();
      await new Promise((r) => setTimeout(r, downMs));
      b = await startEmbeddedBroker({ port });
    },
    stop: () => b.close(),
  };
}

async function mosquitto(): Promise<Broker> {
  if (!mosquittoInstalled())
    throw new Error('Mosquitto is not installed: run OUTPOST_DEV=1 bash scripts/system-deps.sh');
  const m = await startTestMosquitto();
  return {
    url: m.url,
    restart: (downMs) => m.restart(downMs),
    stop: () => m.stop(),
  };
}

for (const [kind, start] of [
  ['embedded broker (aedes)', embedded],
  ['Mosquitto', mosquitto],
] as const)
  describe(`fleet on the ${kind}`, { timeout: 180_000 }, () => {
    let broker: Broker;
    before(async () => {
      broker = await start();
    });
    after(async () => {
      await broker?.stop();
    });
    suite(() => broker);
  });

const plansFor = (stations: string[]): Map<string, CameraPlan[]> =>
  new Map(stations.map((s) => [s, [plan()]]));
const names = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

function suite(brokerOf: () => Broker): void {
  // The tests read `broker.url` when they run (the broker is started in the suite's `before`).
  const broker = {
    get url(): string {
      return brokerOf().url;
    },
  };
  it('six stations accept within 2 s, start together at the scheduled instant, stop when asked', async () => {
    const stations = names('six-', 6);
    const agents = stations.map((s) => startAgent(broker.url, s));
    const c = await startConductor(broker.url);
    try {
      await until(
        () => stations.every((s) => c.conductor.list().find((x) => x.station === s)?.online),
        5000,
        'presence',
      );
      const t0 = Date.now();
      const r = await c.conductor.startSession({
        group: 'lab',
        name: 'trial',
        plans: plansFor(stations),
        maxDurationS: 60,
        startDelayS: 2,
      });
      assert.ok(Date.now() - t0 < 4000, `answers took ${Date.now() - t0} ms`);
      assert.deepEqual(r.accepted, [...stations].sort());
      assert.deepEqual(r.refused, []);
      assert.deepEqual(r.silent, []);
      for (const s of stations)
        assert.ok(
          r.clock[s] && Math.abs(r.clock[s].offsetMs) < 50,
          `${s} offset ${JSON.stringify(r.clock[s])}`,
        );
      const startMs = Date.parse(r.session.startAt);
      assert.ok(startMs - t0 >= 2000, 'start at least 2 s ahead');
      await until(() => c.events.filter((e) => e.kind === 'started').length === 6, 6000, 'six starts');
      for (const a of agents) {
        const rec = a.cameras.recordings[0]!;
        assert.ok(
          rec.firstFrameMs >= startMs && rec.firstFrameMs - startMs < 100,
          `${a.station} began ${rec.firstFrameMs - startMs} ms after the instant`,
        );
      }
      const started = c.events.filter((e) => e.kind === 'started');
      assert.ok(started.every((e) => e.kind === 'started' && !e.late && e.requestedAt === r.session.startAt));
      assert.equal(c.conductor.sessions().length, 1);
      const stop = await c.conductor.stopSession(r.session.id);
      assert.deepEqual(stop.stopped, [...stations].sort());
      assert.deepEqual(stop.silent, []);
      for (const a of agents) assert.ok(a.cameras.recordings[0]!.stoppedMs, `${a.station} stopped`);
      assert.ok(
        c.events
          .filter((e) => e.kind === 'stopped')
          .every((e) => e.kind === 'stopped' && e.reason === 'asked'),
      );
    } finally {
      await c.close();
      await Promise.all(agents.map((a) => a.close()));
    }
  });

  it('a station offline at the start is reported silent, starts late when it comes, and stops with the session', async () => {
    const stations = names('late-', 3);
    const agents: TestAgent[] = stations.slice(0, 2).map((s) => startAgent(broker.url, s));
    const c = await startConductor(broker.url);
    try {
      await until(
        () => c.conductor.list().filter((x) => x.online && x.station.startsWith('late-')).length === 2,
        5000,
        'presence',
      );
      const r = await c.conductor.startSession({
        group: 'lab',
        name: 'late',
        plans: plansFor(stations),
        maxDurationS: 5,
        startDelayS: 2,
      });
      assert.deepEqual(r.accepted, ['late-1', 'late-2']);
      assert.deepEqual(r.silent, ['late-3']);
      await until(() => c.events.filter((e) => e.kind === 'started').length === 2, 5000, 'two starts');
      // It joins 1 s into the session: its retained desired state starts it, late.
      await new Promise((res) => setTimeout(res, 1000));
      const late = startAgent(broker.url, 'late-3');
      agents.push(late);
      await until(
        () => c.events.some((e) => e.kind === 'started' && e.station === 'late-3'),
        5000,
        'the late start',
      );
      const ev = c.events.find((e) => e.kind === 'started' && e.station === 'late-3');
      assert.ok(ev?.kind === 'started' && ev.late, 'recorded as late');
      // Everyone stops at the session's end (max duration), the late one too.
      const endMs = Date.parse(r.session.startAt) + 5000;
      await until(() => c.events.filter((e) => e.kind === 'stopped').length === 3, 9000, 'three stops');
      for (const a of agents) {
        const stopped = a.cameras.recordings[0]!.stoppedMs!;
        assert.ok(
          Math.abs(stopped - endMs) < 1000,
          `${a.station} stopped ${stopped - endMs} ms from the end`,
        );
      }
      assert.ok(
        c.events
          .filter((e) => e.kind === 'stopped')
          .every((e) => e.kind === 'stopped' && e.reason === 'max-duration'),
      );
      // Coming back after the end starts nothing.
      const after = startAgent(broker.url, 'late-3', {});
      agents.push(after);
      await new Promise((res) => setTimeout(res, 800));
      assert.equal(after.cameras.recordings.length, 0);
    } finally {
      await c.close();
      await Promise.all(agents.map((a) => a.close()));
    }
  });

  it('the conductor killed mid-session: stations record to max duration (continue) or stop after the silence (stop)', async () => {
    const stations = names('orph-', 4);
    const agents = stations.map((s) => startAgent(broker.url, s));
    const c = await startConductor(broker.url);
    try {
      await until(
        () => c.conductor.list().filter((x) => x.online && x.station.startsWith('orph-')).length === 4,
        5000,
        'presence',
      );
      const keep = await c.conductor.startSession({
        group: 'lab',
        name: 'keep',
        plans: plansFor(stations.slice(0, 2)),
        maxDurationS: 4,
        startDelayS: 2,
      });
      const quit = await c.conductor.startSession({
        group: 'lab',
        name: 'quit',
        plans: plansFor(stations.slice(2)),
        maxDurationS: 30,
        startDelayS: 2,
        onConductorLost: 'stop',
        silenceS: 1,
      });
      assert.equal(keep.accepted.length + quit.accepted.length, 4);
      await until(() => agents.every((a) => a.cameras.recordings.length === 1), 6000, 'all recording');
      c.kill();
      const killedMs = Date.now();
      await until(() => agents.every((a) => a.cameras.recordings[0]!.stoppedMs), 8000, 'all stopped');
      for (const a of agents.slice(2)) {
        const after = a.cameras.recordings[0]!.stoppedMs! - killedMs;
        assert.ok(after >= 900 && after < 2500, `${a.station} stopped ${after} ms after the conductor died`);
      }
      const endMs = Date.parse(keep.session.startAt) + 4000;
      for (const a of agents.slice(0, 2)) {
        const rec = a.cameras.recordings[0]!;
        assert.ok(
          Math.abs(rec.stoppedMs! - (rec.firstFrameMs + 4000)) < 1000,
          `${a.station} stopped ${rec.stoppedMs! - endMs} ms from max duration`,
        );
      }
    } finally {
      await c.close().catch(() => undefined);
      await Promise.all(agents.map((a) => a.close()));
    }
  });

  it('refusals say why: a camera missing, a disk nearly full, a clock 5 s off (refused, or warned as configured)', async () => {
    const a1 = startAgent(broker.url, 'ref-1', { cameras: ['left'] });
    const a2 = startAgent(broker.url, 'ref-2');
    a2.cameras.free = 1e8;
    const a3 = startAgent(broker.url, 'ref-3', { clock: skewedClock(5000) });
    const a4 = startAgent(broker.url, 'ref-4');
    const c = await startConductor(broker.url);
    try {
      await until(
        () => c.conductor.list().filter((x) => x.online && x.station.startsWith('ref-')).length === 4,
        5000,
        'presence',
      );
      const plans = new Map([
        ['ref-1', [plan('right')]],
        ['ref-2', [plan()]],
        ['ref-3', [plan()]],
        ['ref-4', [plan()]],
      ]);
      const r = await c.conductor.startSession({
        group: 'lab',
        name: 'refusals',
        plans,
        maxDurationS: 3,
        clock: { maxOffsetMs: 100, action: 'refuse' },
      });
      assert.deepEqual(r.accepted, ['ref-4']);
      const byStation = Object.fromEntries(r.refused.map((x) => [x.station, x]));
      assert.equal(byStation['ref-1']?.code, 'CAMERA_MISSING');
      assert.match(byStation['ref-1']!.reason, /no camera right .*has left/);
      assert.equal(byStation['ref-2']?.code, 'DISK_NEARLY_FULL');
      assert.equal(byStation['ref-3']?.code, 'CLOCK_OFF');
      const told = /clock (\d+\.\d+) s ahead/.exec(byStation['ref-3']!.reason);
      assert.ok(told && Math.abs(Number(told[1]) - 5) < 0.1, byStation['ref-3']!.reason);
      assert.ok(Math.abs(r.clock['ref-3']!.offsetMs - 5000) < 100, `offset ${r.clock['ref-3']!.offsetMs}`);
      // Warn instead: it starts, and the report says its clock is off.
      const w = await c.conductor.startSession({
        group: 'lab',
        name: 'warned',
        plans: new Map([['ref-3', [plan()]]]),
        maxDurationS: 3,
        clock: { maxOffsetMs: 100, action: 'warn' },
      });
      assert.deepEqual(w.accepted, ['ref-3']);
      assert.match(w.clockWarnings[0]!.message, /ahead of the conductor/);
    } finally {
      await c.close();
      await Promise.all([a1, a2, a3, a4].map((a) => a.close()));
    }
  });

  it('a station killed is shown offline; two stations with one name are detected, without flapping', async () => {
    const c = await startConductor(broker.url);
    const a = startAgent(broker.url, 'gone-1');
    const d1 = startAgent(broker.url, 'twin');
    await new Promise((r) => setTimeout(r, 300));
    const d2 = startAgent(broker.url, 'twin');
    try {
      await until(() => !!c.conductor.list().find((x) => x.station === 'gone-1')?.online, 5000, 'presence');
      const t0 = Date.now();
      a.kill();
      await until(
        () => c.conductor.list().find((x) => x.station === 'gone-1')?.online === false,
        5000,
        'offline',
      );
      assert.ok(Date.now() - t0 < 3000, `offline after ${Date.now() - t0} ms (keepalive 2 s)`);
      // Told once each way (what the manifest's offline intervals are made of).
      assert.deepEqual(
        c.presence.filter((p) => p.station === 'gone-1').map((p) => p.online),
        [true, false],
      );
      await until(() => d2.agent.duplicate !== undefined, 5000, 'the later twin steps back');
      assert.equal(d1.agent.duplicate, undefined);
      const twin = c.conductor.list().find((x) => x.station === 'twin')!;
      assert.equal(twin.instance, d1.agent.instance);
      assert.ok(twin.duplicates.includes(d2.agent.instance));
      // No flapping: for 3 s the presence stays the first twin's.
      const seen = new Set<string>();
      const end = Date.now() + 3000;
      while (Date.now() < end) {
        const t = c.conductor.list().find((x) => x.station === 'twin')!;
        if (t.online) seen.add(t.instance);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual([...seen], [d1.agent.instance]);
    } finally {
      await c.close();
      await Promise.all([d1.close(), d2.close(), a.close().catch(() => undefined)]);
    }
  });

  it('malformed and hostile payloads are ignored (logged), and everyone goes on working', async () => {
    const c = await startConductor(broker.url);
    const a = startAgent(broker.url, 'tough');
    const raw = connect(broker.url, { clientId: 'hostile' });
    try {
      await until(() => !!c.conductor.list().find((x) => x.station === 'tough')?.online, 5000, 'presence');
      if (!raw.connected) await new Promise<void>((r) => raw.once('connect', () => r()));
      const junk = [
        'not json',
        '{"v":1}',
        '[]',
        'null',
        JSON.stringify({
          v: 1,
          cmd: 'abcdefgh',
          session: { id: '../../etc', group: 'g', name: 'n' },
          sentAt: 'x',
        }),
        JSON.stringify({
          v: 2,
          kind: 'ping',
          id: 'abcdefgh',
          sentAt: new Date().toISOString(),
          expiresAt: new Date().toISOString(),
        }),
        JSON.stringify({ ['__proto__']: { polluted: true }, v: 1 }),
        'x'.repeat(200_000),
        '{"a":'.repeat(10_000),
      ];
      for (const t of ['desired', 'cmd', 'events', 'status'])
        for (const j of junk) await raw.publishAsync(`${ROOT}/tough/${t}`, j);
      await raw.publishAsync(`${ROOT}/conductor/status`, 'garbage');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      // Both still work: a session starts and stops.
      const r = await c.conductor.startSession({
        group: 'lab',
        name: 'after-junk',
        plans: plansFor(['tough']),
        maxDurationS: 10,
        startDelayS: 2,
      });
      assert.deepEqual(r.accepted, ['tough']);
      await until(() => a.cameras.recordings.length === 1, 5000, 'recording');
      const stop = await c.conductor.stopSession(r.session.id);
      assert.deepEqual(stop.stopped, ['tough']);
    } finally {
      await raw.endAsync();
      await c.close();
      await a.close();
    }
  });

  it('health: free disk, time until full while recording, temperature and throttling as the station reads them', async () => {
    const a = startAgent(broker.url, 'health-1', {
      health: () => Promise.resolve({ temperatureC: 71.5, throttled: true }),
    });
    const c = await startConductor(broker.url);
    const fill = setInterval(() => (a.cameras.free = (a.cameras.free ?? 0) - 1e9), 250);
    try {
      await until(() => !!c.conductor.list().find((x) => x.station === 'health-1')?.online, 5000, 'presence');
      const r = await c.conductor.startSession({
        group: 'lab',
        name: 'health',
        plans: plansFor(['health-1']),
        maxDurationS: 30,
        startDelayS: 2,
      });
      assert.deepEqual(r.accepted, ['health-1']);
      // 4 GB/s going, ~40 GB left when it starts: until full is some seconds, not minutes.
      await until(
        () =>
          (c.conductor.list().find((x) => x.station === 'health-1')?.status?.health.secondsUntilFull ?? 0) >
          0,
        8000,
        'time until full',
      );
      const h = c.conductor.list().find((x) => x.station === 'health-1')!.status!.health;
      assert.ok(h.secondsUntilFull! > 2 && h.secondsUntilFull! < 20, `until full ${h.secondsUntilFull} s`);
      assert.ok(h.freeBytes! < 50e9);
      assert.equal(h.temperatureC, 71.5);
      assert.equal(h.throttled, true);
      await c.conductor.stopSession(r.session.id);
    } finally {
      clearInterval(fill);
      await c.close();
      await a.close();
    }
  });

  it("cam1 never gets cam10's session (exact topics, no prefix subscriptions)", async () => {
    const cam1 = startAgent(broker.url, 'cam1');
    const cam10 = startAgent(broker.url, 'cam10');
    const c = await startConductor(broker.url);
    try {
      await until(
        () => ['cam1', 'cam10'].every((s) => c.conductor.list().find((x) => x.station === s)?.online),
        5000,
        'presence',
      );
      const r = await c.conductor.startSession({
        group: 'lab',
        name: 'prefix',
        plans: plansFor(['cam10']),
        maxDurationS: 3,
        startDelayS: 2,
      });
      assert.deepEqual(r.accepted, ['cam10']);
      await until(() => cam10.cameras.recordings.length === 1, 5000, 'cam10 recording');
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(cam1.cameras.recordings.length, 0);
      assert.ok(!c.events.some((e) => e.station === 'cam1' && e.kind !== 'pong'));
    } finally {
      await c.close();
      await Promise.all([cam1.close(), cam10.close()]);
    }
  });

  it('the broker killed and restarted: recordings go on, stations come back, max duration still holds', async () => {
    const stations = names('brk-', 3);
    const agents = stations.map((s) => startAgent(broker.url, s));
    const c = await startConductor(broker.url);
    try {
      await until(
        () => c.conductor.list().filter((x) => x.online && x.station.startsWith('brk-')).length === 3,
        5000,
        'presence',
      );
      const r = await c.conductor.startSession({
        group: 'lab',
        name: 'broker-down',
        plans: plansFor(stations),
        maxDurationS: 6,
        startDelayS: 2,
      });
      assert.equal(r.accepted.length, 3);
      await until(() => agents.every((a) => a.cameras.recordings.length === 1), 5000, 'recording');
      await brokerOf().restart(1500);
      // Nobody stopped while the broker was away.
      assert.ok(agents.every((a) => !a.cameras.recordings[0]!.stoppedMs));
      // Back: presence again (the broker kept nothing), and the stops reach the conductor.
      await until(
        () => c.conductor.list().filter((x) => x.online && x.station.startsWith('brk-')).length === 3,
        8000,
        'presence after restart',
      );
      await until(
        () => agents.every((a) => a.cameras.recordings[0]!.stoppedMs),
        8000,
        'stopped at max duration',
      );
      for (const a of agents) {
        const rec = a.cameras.recordings[0]!;
        assert.ok(
          Math.abs(rec.stoppedMs! - rec.firstFrameMs - 6000) < 1000,
          `${a.station} ran ${rec.stoppedMs! - rec.firstFrameMs} ms`,
        );
      }
      await until(
        () => c.events.filter((e) => e.kind === 'stopped' && e.session === r.session.id).length === 3,
        5000,
        'stop events',
      );
    } finally {
      await c.close();
      await Promise.all(agents.map((a) => a.close()));
    }
  });
}
