import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  discoveryId,
  healthTemplate,
  homeAssistantDiscovery,
  recordingTemplate,
  type DiscoveryInput,
} from '../../../src/fleet/home-assistant.js';
import { fleetSchema } from '../../../src/config/fleet.js';
import { cameraStatusSchema, statusSchema } from '../../../src/fleet/protocol.js';
import { homeAssistantOf } from '../../../src/station/fleet-agent.js';
import { templateProblems } from '../../kit/home-assistant.js';

const input: DiscoveryInput = {
  station: 'pi-07',
  cameras: ['cam', 'top'],
  root: 'outpost/fleet',
  prefix: 'homeassistant',
};
type Config = Record<string, unknown> & {
  unique_id: string;
  value_template: string;
  device: { identifiers: string[]; name: string; manufacturer: string; model: string };
};
const configs = (i: DiscoveryInput = input): { topic: string; config: Config }[] =>
  homeAssistantDiscovery(i).map((m) => ({ topic: m.topic, config: JSON.parse(m.payload) as Config }));

/** A status as the agent publishes it (checked with the protocol's schema). */
const status = statusSchema.parse({
  v: 1,
  station: 'pi-07',
  instance: 'inst_0001',
  at: '2026-06-01T12:00:00.000Z',
  state: 'online',
  startedAt: '2026-06-01T11:00:00.000Z',
  cameras: [
    { camera: 'cam', state: 'recording', session: 'sess_0001', restarts: 0, droppedFrames: 0 },
    { camera: 'top', state: 'idle', session: null, restarts: 0, droppedFrames: 0 },
  ],
  health: {
    freeBytes: null,
    secondsUntilFull: null,
    temperatureC: null,
    throttled: null,
    uplinkBacklogBytes: null,
  },
});

describe('fleet: Home Assistant discovery', () => {
  it('one recording binary sensor per camera, free disk and temperature sensors, under the prefix', () => {
    assert.deepEqual(
      configs().map((c) => c.topic),
      [
        'homeassistant/binary_sensor/outpost_pi-07/cam_recording/config',
        'homeassistant/binary_sensor/outpost_pi-07/top_recording/config',
        'homeassistant/sensor/outpost_pi-07/free_disk/config',
        'homeassistant/sensor/outpost_pi-07/temperature/config',
      ],
    );
    assert.match(configs({ ...input, prefix: 'ha/discovery' })[0]!.topic, /^ha\/discovery\/binary_sensor\//);
  });

  it('every entity reads the retained status, which is also its availability, on one device', () => {
    const all = configs();
    for (const { config } of all) {
      assert.equal(config.state_topic, 'outpost/fleet/pi-07/status');
      assert.equal(config.availability_topic, 'outpost/fleet/pi-07/status');
      assert.equal(config.availability_template, '{{ value_json.state }}');
      assert.equal(config.payload_available, 'online');
      assert.equal(config.payload_not_available, 'offline');
      assert.deepEqual(config.device, {
        identifiers: ['outpost_pi-07'],
        name: 'pi-07',
        manufacturer: 'Outpost',
        model: 'Outpost station',
      });
      assert.equal((config.origin as { name: string }).name, 'Outpost');
    }
    // The availability values are the status's own states.
    assert.deepEqual(statusSchema.shape.state.options, ['online', 'offline']);
    const ids = all.map((c) => c.config.unique_id);
    assert.deepEqual(ids, [
      'outpost_pi-07_cam_recording',
      'outpost_pi-07_top_recording',
      'outpost_pi-07_free_disk',
      'outpost_pi-07_temperature',
    ]);
    const [, , disk, temp] = all.map((c) => c.config);
    assert.equal(disk!.device_class, 'data_size');
    assert.equal(disk!.unit_of_measurement, 'GB');
    assert.equal(temp!.device_class, 'temperature');
    assert.equal(temp!.unit_of_measurement, '°C');
    assert.equal(all[0]!.config.name, 'cam recording');
  });

  it('templates read fields the status has: the camera by name, its state, health numbers', () => {
    for (const { config } of configs())
      assert.deepEqual(templateProblems(config.value_template, status), [], config.value_template);
    assert.equal(
      recordingTemplate('top'),
      "{% set c = (value_json.cameras | default([]) | selectattr('camera', 'eq', 'top') | first) %}" +
        "{{ 'ON' if c is defined and c.state == 'recording' else 'OFF' }}",
    );
    assert.ok(cameraStatusSchema.shape.state.options.includes('recording'));
    assert.equal(
      healthTemplate('freeBytes', 1e9, 2),
      '{{ ((value_json.health.freeBytes / 1000000000) | round(2)) if value_json.health is defined and value_json.health.freeBytes is number else None }}',
    );
    // The checker itself: a field the status lacks, a camera it does not have.
    assert.deepEqual(templateProblems(healthTemplate('fanRpm'), status), [
      'value_json.health.fanRpm is not in the status',
    ]);
    assert.deepEqual(templateProblems(recordingTemplate('side'), status), [
      'no cameras item with camera "side" in the status',
    ]);
  });

  it('sanitizes ids: a "." becomes "_" with a hash, so different names stay apart', () => {
    assert.equal(discoveryId('pi_07'), 'pi_07');
    assert.match(discoveryId('pi.07'), /^pi_07_[0-9a-f]{6}$/);
    assert.notEqual(discoveryId('a.b'), discoveryId('a_b'));
    assert.equal(discoveryId('a.b'), discoveryId('a.b'));
    for (const { topic, config } of configs({ ...input, station: 'lab.pi.7', cameras: ['cam.left'] })) {
      const [, , node, object] = topic.split('/');
      assert.match(node!, /^outpost_lab_pi_7_[0-9a-f]{6}$/);
      assert.match(object!, /^[A-Za-z0-9_-]+$/);
      assert.equal(topic.split('/').length, 5);
      assert.equal(config.device.name, 'lab.pi.7');
      assert.equal(config.state_topic, 'outpost/fleet/lab.pi.7/status');
    }
  });

  it('refuses names, roots and prefixes that would reach other topics', () => {
    const bad: Partial<DiscoveryInput>[] = [
      { station: 'a/b' },
      { station: '+' },
      { station: '#' },
      { station: '' },
      { cameras: ['cam', 'x/config'] },
      { cameras: ["it's"] },
      { prefix: 'homeassistant/#' },
      { prefix: 'home//assistant' },
      { prefix: '/homeassistant' },
      { root: 'outpost/+' },
      { root: 'outpost/fleet/' },
    ];
    for (const b of bad)
      assert.throws(
        () => homeAssistantDiscovery({ ...input, ...b }),
        (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /cannot be used/.test(e.message),
        JSON.stringify(b),
      );
  });

  it('is off unless fleet.homeAssistant.enabled (the station config), with its prefix', () => {
    assert.equal(homeAssistantOf(fleetSchema.parse({})), undefined);
    assert.deepEqual(homeAssistantOf(fleetSchema.parse({ homeAssistant: { enabled: true } })), {
      prefix: 'homeassistant',
    });
    assert.deepEqual(homeAssistantOf(fleetSchema.parse({ homeAssistant: { enabled: true, prefix: 'ha' } })), {
      prefix: 'ha',
    });
  });
});
