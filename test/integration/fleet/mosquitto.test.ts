import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import { connectMqtt } from '../../../src/adapters/mqtt-client.js';
import { mosquittoInstalled, startTestMosquitto, type TestMosquitto } from '../../kit/mosquitto.js';

/**
 * The fleet's MQTT client on Mosquitto, the broker a deployment is likely to run: credentials,
 * retained messages and last wills as the fleet protocol uses them.
 */
if (!mosquittoInstalled())
  throw new Error('Mosquitto is not installed: run OUTPOST_DEV=1 bash scripts/system-deps.sh');

const USER = 'station';
const PASSWORD = 'correct horse';

let broker: TestMosquitto;
const clients: MqttClient[] = [];
before(async () => {
  broker = await startTestMosquitto({ username: USER, password: PASSWORD });
});
after(async () => {
  for (const c of clients) c.end(true);
  await broker?.stop();
});

const client = (password: string, o: Pick<IClientOptions, 'clientId' | 'will'> = {}): MqttClient => {
  const c = connectMqtt(
    { url: broker.url, username: USER, password },
    { ...o, keepalive: 2, reconnectPeriod: 0, connectTimeout: 2000 },
  );
  clients.push(c);
  return c;
};

const connected = (c: MqttClient): Promise<void> =>
  new Promise((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
    c.once('close', () => reject(new Error('connection closed before CONNACK')));
  });

/** The next message on `topic` (subscribed first). */
const next = async (c: MqttClient, topic: string): Promise<{ payload: string; retain: boolean }> => {
  const got = new Promise<{ payload: string; retain: boolean }>((resolve) => {
    const on = (t: string, payload: Buffer, p: { retain: boolean }): void => {
      if (t !== topic) return;
      c.off('message', on);
      resolve({ payload: payload.toString(), retain: p.retain });
    };
    c.on('message', on);
  });
  await c.subscribeAsync(topic, { qos: 1 });
  return got;
};

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref(),
    ),
  ]);

describe('fleet: the MQTT client on Mosquitto', { timeout: 30_000 }, () => {
  it('refuses a wrong password and accepts the right one', async () => {
    const bad = client('wrong');
    await assert.rejects(connected(bad), /Not authorized|Bad username or password/);
    bad.end(true);
    const good = client(PASSWORD);
    await connected(good);
    assert.ok(good.connected);
    await good.endAsync();
  });

  it('keeps a retained message for a client that subscribes later', async () => {
    const pub = client(PASSWORD);
    await connected(pub);
    const topic = `outpost-test/retained/${process.pid}`;
    await pub.publishAsync(topic, 'hello', { qos: 1, retain: true });
    await pub.endAsync();
    const sub = client(PASSWORD);
    await connected(sub);
    const m = await within(next(sub, topic), 5000, 'the retained message');
    assert.deepEqual(m, { payload: 'hello', retain: true });
    // Clear it: a retained message outlives the clients (not the broker here, persistence is off).
    await sub.publishAsync(topic, '', { qos: 1, retain: true });
    await sub.endAsync();
  });

  it('delivers the last will of a client whose connection dies without DISCONNECT', async () => {
    const topic = `outpost-test/will/${process.pid}`;
    const watcher = client(PASSWORD);
    await connected(watcher);
    const dying = client(PASSWORD, {
      clientId: `outpost-test-dying-${process.pid}`,
      will: { topic, payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    await connected(dying);
    const will = next(watcher, topic);
    // Nothing before the connection dies.
    const early = await Promise.race([will, new Promise((r) => setTimeout(() => r('none'), 300))]);
    assert.equal(early, 'none');
    // As test/kit/fleet.ts kills a station: the socket destroyed, no DISCONNECT sent.
    dying.end(true);
    (dying as unknown as { stream?: { destroy(): void } }).stream?.destroy();
    const m = await within(will, 5000, 'the last will');
    assert.deepEqual(m, { payload: 'gone', retain: false });
    await watcher.endAsync();
  });
});
