/**
 * The fleet agent as a station runs it (docs/fleet.md "A station in the fleet"): `fleet:` in the
 * config, the library drive the station has attached now, and the station's cameras handed to a
 * session for its length (their standing recorders stop and come back after). `outpost fleet
 * agent` makes the same agent around a drive given on the command line.
 */
import { hostname } from 'node:os';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import { connectMqtt, explainMqttError, type MqttSettings } from '../adapters/mqtt-client.js';
import { readPiHealth } from '../adapters/pi-health.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import type { FleetSettings } from '../config/fleet.js';
import type { CameraPatch } from '../recorder/camera-patch.js';
import { OutpostError } from '../core/errors.js';
import { FleetAgent, type RecordingPort } from '../fleet/agent.js';
import { NAME_RE } from '../fleet/protocol.js';
import type { Drive } from '../library/drive.js';
import { recorderDeps } from '../recorder/deps.js';
import { cameraSettingsOf, recorderSettingsOf } from './camera-settings.js';
import type { StationCameras } from './cameras.js';
import type { StationRtsp } from './rtsp.js';
import type { StationEvents } from './events.js';
import { RecorderRecordingPort } from './fleet-recording.js';
import type { StationDeps } from './station.js';

/** The broker settings of `fleet.broker` as the MQTT adapter takes them. */
export function mqttSettingsOf(b: FleetSettings['broker']): MqttSettings {
  return { url: b.url, username: b.username, password: b.password, ca: b.caFile };
}

/** Home Assistant discovery as the agent takes it: `fleet.homeAssistant` when enabled. */
export function homeAssistantOf(f: FleetSettings): { prefix: string } | undefined {
  return f.homeAssistant.enabled ? { prefix: f.homeAssistant.prefix } : undefined;
}

/** The station's name on the broker: as configured, else the host name (checked either way). */
export function fleetStationName(configured: string | undefined): string {
  const name = configured ?? hostname().split('.')[0] ?? '';
  if (!NAME_RE.test(name) || name === 'conductor')
    throw new OutpostError('CONFIG_INVALID', `station name "${name}" cannot be used on the broker`, {
      hint: 'Set fleet.station to letters, digits, ".", "_" or "-".',
    });
  return name;
}

export interface AgentParts {
  station: string;
  broker: MqttSettings;
  root: string;
  keepaliveSeconds: number;
  minFreeBytes: number;
  port: RecordingPort;
  clock: Clock;
  log: Logger;
  runner: ProcessRunner;
  configure?: (camera: string, patch: CameraPatch) => Promise<object>;
  /** Announce the cameras to Home Assistant (MQTT discovery). */
  homeAssistant?: { prefix: string } | undefined;
  /** Bytes waiting to go to HQ (the uplink's queue); null without an uplink. */
  uplinkBacklog?: () => number | null;
}

/** A fleet agent on the broker (not yet started). */
export function createFleetAgent(p: AgentParts): FleetAgent {
  const agent: FleetAgent = new FleetAgent({
    station: p.station,
    root: p.root,
    port: p.port,
    clock: p.clock,
    log: p.log,
    minFreeBytes: p.minFreeBytes,
    ...(p.configure ? { configure: p.configure } : {}),
    health: async () => ({
      ...(await readPiHealth({ runner: p.runner })),
      ...(p.uplinkBacklog ? { uplinkBacklogBytes: p.uplinkBacklog() } : {}),
    }),
    explainError: (err) => explainMqttError(err, p.broker),
    ...(p.homeAssistant ? { homeAssistant: p.homeAssistant } : {}),
    client: () =>
      connectMqtt(p.broker, {
        clientId: `outpost-${p.station}-${agent.instance}`,
        will: agent.will(),
        keepalive: p.keepaliveSeconds,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
      }),
  });
  return agent;
}

/** The cameras a station offers to sessions: `fleet.cameras`, else the configured ones, else `cam`. */
export function fleetCameras(ctx: Pick<StationDeps, 'config'>): string[] {
  const cams = ctx.config.fleet.cameras ?? ctx.config.cameras.map((c) => c.name);
  return cams.length ? cams : ['cam'];
}

export interface StationFleet {
  agent: FleetAgent;
  /** Resolves once the session recorders stopped after a drive went away. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Start the station's fleet agent when `fleet.enabled`; undefined otherwise. */
export function startStationFleet(
  ctx: StationDeps,
  events: StationEvents,
  cameras: StationCameras,
  /** The library drive the station has attached now (the services open it). */
  drive: () => Drive | undefined,
  /** Bytes waiting to go to HQ, for the fleet's health (null: no uplink). */
  uplinkBacklog?: () => number | null,
  /** The station's RTSP relay, for session cameras with `rtsp: true`. */
  rtsp?: StationRtsp,
): StationFleet | undefined {
  const f = ctx.config.fleet;
  if (!f.enabled) return undefined;
  let stopping: Promise<void> = Promise.resolve();
  events.on('library-detached', () => {
    stopping = stopping.then(() =>
      agent.driveRemoved().catch((err: unknown) => ctx.log.warn({ err }, 'fleet: stopping the session')),
    );
  });
  const port = new RecorderRecordingPort({
    cameras: fleetCameras(ctx),
    drive,
    settings: recorderSettingsOf(ctx.config),
    deps: recorderDeps(ctx),
    clock: ctx.clock,
    log: ctx.log,
    hold: (camera) => cameras.hold(camera),
    ...(rtsp ? { rtsp: (camera: string) => rtsp.urls(camera) } : {}),
    baseSettings: (camera) => {
      const c = ctx.config.cameras.find((x) => x.name === camera);
      return c ? cameraSettingsOf(c, ctx.config) : undefined;
    },
    onRecorder: (camera, r, plan, session) => {
      r.on('segment', (s) => events.emit('recording-segment', s));
      r.on('state', (s) => events.emit('recorder-state', s));
      return cameras.adopt(camera, r, {
        mode: plan.mode,
        motionHighlight: plan.motionHighlight,
        session: `${session.group}/${session.name}`,
      });
    },
  });
  const agent = createFleetAgent({
    station: fleetStationName(f.station),
    broker: mqttSettingsOf(f.broker),
    root: f.broker.root,
    keepaliveSeconds: f.keepaliveSeconds,
    minFreeBytes: f.minFreeGB * 1e9,
    port,
    clock: ctx.clock,
    log: ctx.log,
    runner: ctx.runner,
    configure: (camera, patch) => cameras.configure(camera, patch),
    homeAssistant: homeAssistantOf(f),
    ...(uplinkBacklog ? { uplinkBacklog } : {}),
  });
  agent.start();
  ctx.log.info({ station: agent.station, broker: f.broker.url }, 'fleet agent started');
  return {
    agent,
    settled: () => stopping,
    close: async () => {
      await agent.close();
      await port.close();
    },
  };
}
