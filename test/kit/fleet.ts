/**
 * Fleet test kit: in-process agents on a real broker, each with its own MQTT client, and a fake
 * camera device behind the agent's RecordingPort (what cannot run here is the Pi camera; the
 * protocol, the broker, the clients and the timers are real).
 */
import type { MqttClient } from 'mqtt';
import { connectMqtt, type MqttSettings } from '../../src/adapters/mqtt-client.js';
import type { Clock } from '../../src/adapters/clock.js';
import { silentLogger } from '../../src/adapters/logger.js';
import {
  FleetAgent,
  type AgentOptions,
  type RecordingHandle,
  type RecordingOutput,
  type RecordingPort,
} from '../../src/fleet/agent.js';
import { Conductor } from '../../src/fleet/conductor.js';
import { untilInstant } from '../../src/fleet/instant.js';
import {
  cameraPlanSchema,
  type CameraPlan,
  type FleetEvent,
  type SessionPlan,
} from '../../src/fleet/protocol.js';

export const ROOT = 'test/fleet';

/** A clock `offsetMs` off the machine's. */
export const skewedClock = (offsetMs: number): Clock => ({ now: () => new Date(Date.now() + offsetMs) });

export interface FakeRecording {
  camera: string;
  session: string;
  plan: CameraPlan;
  requestedAtMs: number;
  firstFrameMs: number;
  stoppedMs?: number;
  out: RecordingOutput;
}

/** A station's cameras as a fake device: recording begins at the asked instant (its clock). */
export class FakeCameras implements RecordingPort {
  readonly recordings: FakeRecording[] = [];
  free: number | null = 50e9;
  constructor(
    private readonly names: string[],
    private readonly clock: Clock,
  ) {}
  cameras(): string[] {
    return this.names;
  }
  freeBytes(): Promise<number | null> {
    return Promise.resolve(this.free);
  }
  start(plan: CameraPlan, session: SessionPlan, at: Date, out: RecordingOutput): Promise<RecordingHandle> {
    return untilInstant(this.clock, at.getTime()).then(() => {
      const now = this.clock.now().getTime();
      const r: FakeRecording = {
        camera: plan.camera,
        session: session.id,
        plan,
        requestedAtMs: at.getTime(),
        firstFrameMs: now,
        out,
      };
      this.recordings.push(r);
      return {
        firstFrameAt: new Date(now),
        stop: () => {
          r.stoppedMs = this.clock.now().getTime();
          return Promise.resolve();
        },
      };
    });
  }
}

export interface TestAgent {
  station: string;
  agent: FleetAgent;
  cameras: FakeCameras;
  client: () => MqttClient | undefined;
  /** Cut the connection as a dying process would (no DISCONNECT: the broker sends the will). */
  kill(): void;
  close(): Promise<void>;
}

/** A broker URL, or its settings (credentials, CA file). */
export type TestBroker = string | MqttSettings;
const settingsOf = (b: TestBroker): MqttSettings => (typeof b === 'string' ? { url: b } : b);

export function startAgent(
  url: TestBroker,
  station: string,
  o: {
    clock?: Clock;
    cameras?: string[];
    heartbeatMs?: number;
    keepaliveS?: number;
    health?: AgentOptions['health'];
    homeAssistant?: AgentOptions['homeAssistant'];
  } = {},
): TestAgent {
  const clock = o.clock ?? { now: () => new Date() };
  const cameras = new FakeCameras(o.cameras ?? ['cam'], clock);
  let mq: MqttClient | undefined;
  const agent: FleetAgent = new FleetAgent({
    station,
    root: ROOT,
    port: cameras,
    clock,
    log: silentLogger,
    heartbeatMs: o.heartbeatMs ?? 1000,
    ...(o.health ? { health: o.health } : {}),
    ...(o.homeAssistant ? { homeAssistant: o.homeAssistant } : {}),
    client: () =>
      (mq = connectMqtt(settingsOf(url), {
        clientId: `outpost-${station}-${agent.instance}`,
        will: agent.will(),
        keepalive: o.keepaliveS ?? 2,
        reconnectPeriod: 200,
        connectTimeout: 2000,
      })),
  });
  agent.start();
  return {
    station,
    agent,
    cameras,
    client: () => mq,
    kill: () => {
      mq?.end(true);
      (mq as unknown as { stream?: { destroy(): void } } | undefined)?.stream?.destroy();
    },
    close: () => agent.close(),
  };
}

export interface TestConductor {
  conductor: Conductor;
  events: FleetEvent[];
  /** Every presence change the conductor reported (onPresence). */
  presence: { station: string; online: boolean; at: string }[];
  client: () => MqttClient | undefined;
  kill(): void;
  close(): Promise<void>;
}

export async function startConductor(url: TestBroker, o: { clock?: Clock } = {}): Promise<TestConductor> {
  const events: FleetEvent[] = [];
  const presence: { station: string; online: boolean; at: string }[] = [];
  let mq: MqttClient | undefined;
  const conductor: Conductor = new Conductor({
    root: ROOT,
    clock: o.clock ?? { now: () => new Date() },
    log: silentLogger,
    heartbeatMs: 1000,
    onEvent: (e) => events.push(e),
    onPresence: (station, online, at) => presence.push({ station, online, at }),
    client: () =>
      (mq = connectMqtt(settingsOf(url), {
        clientId: `outpost-conductor-${conductor.instance}`,
        will: conductor.will(),
        keepalive: 2,
        reconnectPeriod: 200,
      })),
  });
  await conductor.start();
  return {
    conductor,
    events,
    presence,
    client: () => mq,
    kill: () => {
      mq?.end(true);
      (mq as unknown as { stream?: { destroy(): void } } | undefined)?.stream?.destroy();
    },
    close: () => conductor.close(),
  };
}

/** Poll until `check` is true or `ms` pass. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A camera plan with every default (as the schema gives them). */
export const plan = (camera = 'cam'): CameraPlan =>
  cameraPlanSchema.parse({ camera, source: 'testsrc:', mode: 'continuous' });
