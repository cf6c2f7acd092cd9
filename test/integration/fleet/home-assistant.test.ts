import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type MqttClient } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/adapters/mqtt-broker.js';
import { topics } from '../../../src/fleet/protocol.js';
import { templateProblems } from '../../kit/home-assistant.js';
import { ROOT, startAgent, until, type TestAgent } from '../../kit/fleet.js';

/**
 * Home Assistant discovery on a real broker (the embedded one): what Home Assistant would find
 * when it subscribes, retained, reading the status the agent really publishes.
 */
let broker: EmbeddedBroker;
const agents: TestAgent[] = [];
const clients: MqttClient[] = [];
before(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
});
after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  for (const c of clients) c.end(true);
  await broker?.close();
});

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A client (as Home Assistant) subscribed to `filters`, keeping what it receives. */
async function listen(...filters: string[]): Promise<{ client: MqttClient; got: Received[] }> {
  const client = connect(broker.url, { reconnectPeriod: 0 });
  clients.push(client);
  const got: Received[] = [];
  client.on('message', (topic, payload, p) =>
    got.push({ topic, payload: payload.toString(), retain: p.retain }),
  );
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(filters, { qos: 1 });
  return { client, got };
}

describe('fleet: Home Assistant discovery on the broker', { timeout: 30_000 }, () => {
  it('a subscriber to homeassistant/# gets retained configs whose templates read the real status', async () => {
    const a = startAgent(broker.url, 'ha-1', {
      cameras: ['cam', 'top.1'],
      homeAssistant: { prefix: 'homeassistant' },
    });
    agents.push(a);
    const status = topics(ROOT).status('ha-1');
    // The agent published (its status comes after its configs); Home Assistant starts later.
    const early = await listen(status);
    await until(() => early.got.length > 0, 5000, 'the status');
    const ha = await listen('homeassistant/#', status);
    await until(
      () =>
        ha.got.filter((m) => m.topic.endsWith('/config')).length === 4 &&
        ha.got.some((m) => m.topic === status),
      5000,
      'four configs and the status',
    );
    const configs = ha.got.filter((m) => m.topic.endsWith('/config'));
    assert.ok(
      configs.every((m) => m.retain),
      'configs are retained',
    );
    const names = configs.map((m) => m.topic).sort();
    assert.deepEqual(
      names.filter((t) => !t.includes('top_1')),
      [
        'homeassistant/binary_sensor/outpost_ha-1/cam_recording/config',
        'homeassistant/sensor/outpost_ha-1/free_disk/config',
        'homeassistant/sensor/outpost_ha-1/temperature/config',
      ],
    );
    assert.match(
      names.find((t) => t.includes('top_1')) ?? '',
      /^homeassistant\/binary_sensor\/outpost_ha-1\/top_1_[0-9a-f]{6}_recording\/config$/,
    );
    const real = JSON.parse(ha.got.find((m) => m.topic === status)!.payload) as { state: string };
    assert.equal(real.state, 'online');
    for (const m of configs) {
      const c = JSON.parse(m.payload) as Record<string, string>;
      assert.equal(c.state_topic, status);
      assert.equal(c.availability_topic, status);
      assert.deepEqual(templateProblems(c.value_template!, real), [], `${m.topic}: ${c.value_template}`);
      assert.deepEqual(templateProblems(c.availability_template!, real), []);
    }

    // Home Assistant restarted (its birth message): the configs come again.
    const before = ha.got.length;
    await ha.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await until(
      () => ha.got.slice(before).filter((m) => m.topic.endsWith('/config')).length === 4,
      5000,
      'configs again after the birth message',
    );
  });

  it('publishes nothing for Home Assistant unless asked to', async () => {
    const ha = await listen('homeassistant/#');
    const a = startAgent(broker.url, 'ha-off');
    agents.push(a);
    const seen = await listen(topics(ROOT).status('ha-off'));
    await until(() => seen.got.length > 0, 5000, 'the status');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      ha.got.filter((m) => m.topic.includes('ha-off')),
      [],
    );
  });
});
