/**
 * Home Assistant's MQTT discovery of a station (docs/fleet.md "Home Assistant"). Pure: the
 * retained config messages that make Home Assistant show the station as a device — per camera a
 * `recording` binary sensor, and the station's free disk and temperature — all reading the status
 * the agent already publishes (`<root>/<station>/status`, retained, last will `offline`), which is
 * also their availability. Nothing new is published for them.
 *
 * Topics are `<prefix>/<component>/<node_id>/<object_id>/config`; Home Assistant takes only
 * `[A-Za-z0-9_-]` in node and object ids, so names are sanitized (a `.` becomes `_`, with a short
 * hash of the name so `a.b` and `a_b` stay apart). Names that are not the fleet's names, a prefix or
 * root with wildcards or empty levels, are refused: nothing can land on another topic.
 */
import { createHash } from 'node:crypto';
import { OutpostError } from '../core/errors.js';
import { NAME_RE, topics } from './protocol.js';

export const DEFAULT_HA_PREFIX = 'homeassistant';

/** Topic levels of letters, digits, `_`, `-` (no wildcard, no empty level). */
const LEVELS_RE = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

export interface DiscoveryInput {
  station: string;
  cameras: readonly string[];
  /** The fleet's topic root (`outpost/fleet`). */
  root: string;
  /** Home Assistant's discovery prefix (`homeassistant`). */
  prefix: string;
  /** Outpost's version, shown on the device. */
  version?: string;
}

export interface DiscoveryMessage {
  topic: string;
  /** JSON, published retained. */
  payload: string;
}

/** A node or object id Home Assistant accepts, distinct for distinct names. */
export function discoveryId(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_');
  return safe === name ? name : `${safe}_${createHash('sha256').update(name).digest('hex').slice(0, 6)}`;
}

/** The Jinja expression of `value_json`'s camera `camera` (undefined when it has none). */
const cameraOf = (camera: string): string =>
  `(value_json.cameras | default([]) | selectattr('camera', 'eq', '${camera}') | first)`;

/** Recording: `ON`/`OFF` (a binary sensor's default payloads). */
export const recordingTemplate = (camera: string): string =>
  `{% set c = ${cameraOf(camera)} %}{{ 'ON' if c is defined and c.state == 'recording' else 'OFF' }}`;

/**
 * A number of `value_json.health` (null while unknown: no drive, not a Pi), scaled; `None` is
 * what Home Assistant takes as unknown.
 */
export const healthTemplate = (field: string, scale = 1, digits = 1): string => {
  const v = `value_json.health.${field}`;
  const scaled = scale === 1 ? v : `(${v} / ${scale})`;
  return `{{ (${scaled} | round(${digits})) if value_json.health is defined and ${v} is number else None }}`;
};

export function homeAssistantDiscovery(i: DiscoveryInput): DiscoveryMessage[] {
  const bad = [
    ...(NAME_RE.test(i.station) ? [] : [`station name "${i.station}"`]),
    ...i.cameras.filter((c) => !NAME_RE.test(c)).map((c) => `camera name "${c}"`),
    ...(LEVELS_RE.test(i.root) ? [] : [`topic root "${i.root}"`]),
    ...(LEVELS_RE.test(i.prefix) ? [] : [`discovery prefix "${i.prefix}"`]),
  ];
  if (bad.length)
    throw new OutpostError('CONFIG_INVALID', `Home Assistant discovery: ${bad.join(', ')} cannot be used`, {
      hint: 'Names are letters, digits, ".", "_" or "-"; a prefix or root is topic levels of letters, digits, "_" or "-".',
    });
  const node = `outpost_${discoveryId(i.station)}`;
  const status = topics(i.root).status(i.station);
  const common = {
    state_topic: status,
    availability_topic: status,
    availability_template: '{{ value_json.state }}',
    payload_available: 'online',
    payload_not_available: 'offline',
    device: {
      identifiers: [node],
      name: i.station,
      manufacturer: 'Outpost',
      model: 'Outpost station',
      ...(i.version ? { sw_version: i.version } : {}),
    },
    origin: { name: 'Outpost', ...(i.version ? { sw_version: i.version } : {}) },
  };
  const entity = (component: string, object: string, config: Record<string, unknown>): DiscoveryMessage => ({
    topic: `${i.prefix}/${component}/${node}/${object}/config`,
    payload: JSON.stringify({ ...config, unique_id: `${node}_${object}`, ...common }),
  });
  return [
    ...i.cameras.map((camera) =>
      entity('binary_sensor', `${discoveryId(camera)}_recording`, {
        name: `${camera} recording`,
        icon: 'mdi:record-rec',
        value_template: recordingTemplate(camera),
      }),
    ),
    entity('sensor', 'free_disk', {
      name: 'Free disk',
      device_class: 'data_size',
      unit_of_measurement: 'GB',
      state_class: 'measurement',
      suggested_display_precision: 1,
      value_template: healthTemplate('freeBytes', 1e9, 2),
    }),
    entity('sensor', 'temperature', {
      name: 'Temperature',
      device_class: 'temperature',
      unit_of_measurement: '°C',
      state_class: 'measurement',
      entity_category: 'diagnostic',
      value_template: healthTemplate('temperatureC'),
    }),
  ];
}
