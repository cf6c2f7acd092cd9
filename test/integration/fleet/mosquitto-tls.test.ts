import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { connectMqtt, explainMqttError, type MqttSettings } from '../../../src/adapters/mqtt-client.js';
import type { FleetAgent } from '../../../src/fleet/agent.js';
import { createFleetAgent } from '../../../src/station/fleet-agent.js';
import { FakeCameras, ROOT, plan, startConductor, until } from '../../kit/fleet.js';
import { mosquittoInstalled, startTestMosquitto, type TestMosquitto } from '../../kit/mosquitto.js';
import { makeTestCa } from '../../kit/tls.js';

/**
 * The fleet over mqtts:// on Mosquitto with a private CA and a password, as a deployment on a
 * shared network runs it: it works with the CA file, and every wrong setting is refused with a
 * sentence saying what to check (in the agent's log, once, while it retries).
 */
if (!mosquittoInstalled())
  throw new Error('Mosquitto is not installed: run OUTPOST_DEV=1 bash scripts/system-deps.sh');

const USER = 'station';
const PASSWORD = 'correct horse';

let broker: TestMosquitto;
let dir: string;
let otherCa: string;
before(async () => {
  broker = await startTestMosquitto({ username: USER, password: PASSWORD, tls: true });
  dir = await mkdtemp(join(tmpdir(), 'outpost-tls-test-'));
  otherCa = (await makeTestCa(dir, 'other')).certFile;
});
after(async () => {
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const settings = (o: Partial<MqttSettings> = {}): MqttSettings => ({
  url: broker.url,
  username: USER,
  password: PASSWORD,
  ca: broker.caFile,
  ...o,
});

/** The first error of a client that does not retry (undefined: it connected). */
const firstError = (s: MqttSettings): Promise<unknown> => {
  const c: MqttClient = connectMqtt(s, { reconnectPeriod: 0, connectTimeout: 3000 });
  return new Promise((resolve) => {
    c.once('connect', () => resolve(undefined));
    c.once('error', resolve);
  }).finally(() => c.end(true));
};

/** A station's agent as `outpost station` makes it, its log lines kept. */
const agentWith = (s: MqttSettings, station: string): { agent: FleetAgent; lines: string[] } => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const agent = createFleetAgent({
    station,
    broker: s,
    root: ROOT,
    keepaliveSeconds: 2,
    minFreeBytes: 0,
    port: new FakeCameras(['cam'], { now: () => new Date() }),
    clock: { now: () => new Date() },
    log,
    runner: { run: () => Promise.reject(new Error('no vcgencmd here')) },
  });
  agent.start();
  return { agent, lines };
};

const messages = (lines: string[], level: number): string[] =>
  lines
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .flatMap((l) => (l.level === level ? [l.msg] : []));

describe('fleet over mqtts:// on Mosquitto (private CA, password)', { timeout: 60_000 }, () => {
  it('an agent and the conductor work with the CA file: presence, a session accepted and started', async () => {
    const { agent, lines } = agentWith(settings(), 'tls-1');
    const c = await startConductor(settings());
    try {
      await until(() => c.conductor.list().some((x) => x.station === 'tls-1' && x.online), 5000, 'presence');
      const r = await c.conductor.startSession({
        group: 'lab',
        name: 'tls',
        plans: new Map([['tls-1', [plan()]]]),
        maxDurationS: 3,
        startDelayS: 2,
      });
      assert.deepEqual(r.accepted, ['tls-1']);
      await until(() => c.events.some((e) => e.kind === 'started' && e.station === 'tls-1'), 5000, 'started');
      await c.conductor.stopSession(r.session.id);
      await until(() => c.events.some((e) => e.kind === 'stopped' && e.station === 'tls-1'), 5000, 'stopped');
      assert.deepEqual(messages(lines, 50), []);
    } finally {
      await agent.close();
      await c.close();
    }
  });

  it('refuses a client without the CA, or with another CA, saying to set the CA file', async () => {
    const without = await firstError(settings({ ca: undefined }));
    assert.ok(without, 'connected without the CA');
    assert.match(
      explainMqttError(without, settings({ ca: undefined })),
      /TLS certificate no CA of this machine trusts .*set the broker's CA file/,
    );
    const other = await firstError(settings({ ca: otherCa }));
    assert.ok(other, 'connected with another CA');
    assert.match(
      explainMqttError(other, settings({ ca: otherCa })),
      new RegExp(`not signed by the CA in ${otherCa}.*check that this file is the CA`),
    );

    // The agent says so once in its log while it retries, and never shows up.
    const { agent, lines } = agentWith(settings({ ca: undefined }), 'tls-noca');
    try {
      await until(() => messages(lines, 50).length > 0, 5000, 'the error in the log');
      await new Promise((r) => setTimeout(r, 2500)); // two more attempts
      const errors = messages(lines, 50);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(
        errors[0]!,
        /^fleet: the broker at mqtts:\/\/127\.0\.0\.1:\d+ has a TLS certificate no CA of this machine trusts.*\(retrying\)/,
      );
    } finally {
      await agent.close();
    }
  });

  it('refuses a wrong password over TLS, naming the username and password', async () => {
    const bad = settings({ password: 'wrong-pw-x7' });
    const err = await firstError(bad);
    assert.ok(err, 'connected with a wrong password');
    assert.match(
      explainMqttError(err, bad),
      /refused the username or password .*check the broker's username/,
    );
    const { agent, lines } = agentWith(bad, 'tls-badpw');
    try {
      await until(() => messages(lines, 50).length > 0, 5000, 'the error in the log');
      assert.match(messages(lines, 50)[0]!, /refused the username or password/);
      assert.ok(!lines.join('').includes('wrong-pw-x7'), 'the password is in the log');
    } finally {
      await agent.close();
    }
  });

  it('says an unreadable CA file at once (CONFIG_INVALID)', () => {
    assert.throws(
      () => connectMqtt(settings({ ca: join(dir, 'missing.pem') }), { reconnectPeriod: 0 }),
      (e: Error & { code?: string }) =>
        e.code === 'CONFIG_INVALID' && /CA file .*missing\.pem cannot be read \(ENOENT\)/.test(e.message),
    );
  });
});
