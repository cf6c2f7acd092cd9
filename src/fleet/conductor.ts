/**
 * The fleet conductor (docs/fleet.md): sees every station's presence, checks their clocks, sets
 * a session as each station's desired state (retained, with its end), and says within two
 * seconds who accepted, who refused and who is silent. Everything stations report afterwards
 * (started, stopped, segments, gaps) is handed to `onEvent` (the session manifest keeps it).
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { CameraPatch } from '../recorder/camera-patch.js';
import { closeMqtt } from '../adapters/mqtt-client.js';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import { alertConditions, type AlertCondition } from './alerts.js';
import { bestOffset, judgeOffset, offsetSample, type OffsetSample } from './clock-offset.js';
import {
  PROTOCOL_VERSION,
  desiredSchema,
  eventSchema,
  offlineSchema,
  parsePayload,
  sessionEndMs,
  stationOfTopic,
  statusSchema,
  topics,
  type CameraPlan,
  type Desired,
  type FleetEvent,
  type SessionPlan,
  type StationStatus,
} from './protocol.js';

export interface StationSeen {
  station: string;
  online: boolean;
  instance: string;
  /** Conductor clock, ms. */
  lastSeenMs: number;
  status?: StationStatus;
  /** Other instances seen under this name while it was online (a duplicate name). */
  duplicates: string[];
}

export interface StartReport {
  session: SessionPlan & { stations: string[] };
  accepted: string[];
  refused: { station: string; code: string; reason: string }[];
  silent: string[];
  clock: Record<string, OffsetSample | null>;
  /** Milliseconds from sending the session to each station's answer. */
  answerMs: Record<string, number>;
  /** Stations whose clock is off (started anyway: `clock.action: warn`). */
  clockWarnings: { station: string; message: string }[];
}

/** What `config push` got back: per station and camera what it records with now, or why not. */
export interface PushReport {
  cmd: string;
  applied: Record<string, Record<string, Record<string, unknown>>>;
  refused: { station: string; camera: string; reason: string }[];
  /** No answer in time (offline: they apply the settings when they are back). */
  silent: string[];
}

export interface ConductorOptions {
  root: string;
  client: () => MqttClient;
  clock: Clock;
  log: Logger;
  heartbeatMs?: number;
  onEvent?: (e: FleetEvent) => void;
  /** A station went offline or came back (conductor clock, ISO). */
  onPresence?: (station: string, online: boolean, at: string) => void;
}

/**
 * A random id for commands and sessions: letters, digits, `_` and `-`, but never a leading `-` or
 * `_`, so a session id typed on a command line (`outpost fleet show <id>`) is never read as an option.
 */
export const newId = (): string => {
  for (;;) {
    const s = randomBytes(9).toString('base64url');
    if (/^[A-Za-z0-9]/.test(s)) return s;
  }
};

export class Conductor {
  readonly instance = newId();
  private readonly t: ReturnType<typeof topics>;
  private mq: MqttClient | undefined;
  private readonly stations = new Map<string, StationSeen>();
  private readonly waiting = new Map<string, (e: FleetEvent, atMs: number) => void>();
  private heartbeat: NodeJS.Timeout | undefined;
  private ready: Promise<void> | undefined;

  constructor(private readonly o: ConductorOptions) {
    this.t = topics(o.root);
  }

  /** Connected to the broker now. */
  get connected(): boolean {
    return this.mq?.connected ?? false;
  }

  will(): { topic: string; payload: Buffer; qos: 1; retain: true } {
    return {
      topic: this.t.conductor,
      payload: Buffer.from(JSON.stringify(this.presence('offline'))),
      qos: 1,
      retain: true,
    };
  }

  private presence(state: 'online' | 'offline'): Record<string, unknown> {
    return { v: PROTOCOL_VERSION, state, instance: this.instance, at: this.o.clock.now().toISOString() };
  }

  /** Connect, subscribe, announce; resolves once stations' retained presence can arrive. */
  start(): Promise<void> {
    const mq = (this.mq = this.o.client());
    this.ready = new Promise((resolve, reject) => {
      mq.once('error', reject);
      mq.on('connect', () => {
        void mq
          .subscribeAsync({
            [this.t.allStatus]: { qos: 1 },
            [this.t.allEvents]: { qos: 1 },
            [this.t.allDesired]: { qos: 1 },
          })
          .then(() =>
            mq.publishAsync(this.t.conductor, JSON.stringify(this.presence('online')), {
              qos: 1,
              retain: true,
            }),
          )
          .then(() => this.republishDesired())
          .then(() => resolve(), reject);
      });
    });
    mq.on('message', (topic, payload) => {
      try {
        this.onMessage(topic, payload);
      } catch (err) {
        this.o.log.warn({ err, topic }, 'fleet: message not handled');
      }
    });
    this.heartbeat = setInterval(() => {
      if (mq.connected)
        mq.publish(this.t.conductor, JSON.stringify(this.presence('online')), { qos: 1, retain: true });
    }, this.o.heartbeatMs ?? 5000);
    this.heartbeat.unref();
    return this.ready;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const nowMs = this.o.clock.now().getTime();
    const station = stationOfTopic(this.o.root, topic);
    if (!station) return;
    if (topic === this.t.status(station)) {
      if (payload.length === 0) return void this.stations.delete(station);
      const off = parsePayload(offlineSchema, payload);
      if (off.ok) {
        const s = this.stations.get(station);
        // Only the instance we know going away makes the station offline (not a duplicate's will).
        if (s && s.instance === off.value.instance) {
          if (s.online) this.o.onPresence?.(station, false, new Date(nowMs).toISOString());
          s.online = false;
        } else if (!s)
          this.stations.set(station, {
            station,
            online: false,
            instance: off.value.instance,
            lastSeenMs: nowMs,
            duplicates: [],
          });
        return;
      }
      const p = parsePayload(statusSchema, payload);
      if (!p.ok || p.value.station !== station)
        return this.o.log.warn(
          { topic, problem: p.ok ? 'station name differs from topic' : p.problem },
          'fleet: bad status ignored',
        );
      const s = this.stations.get(station);
      if (
        s &&
        s.online &&
        s.instance !== p.value.instance &&
        !s.duplicates.includes(p.value.instance) &&
        s.status &&
        s.status.startedAt < p.value.startedAt
      )
        s.duplicates.push(p.value.instance);
      if (!s?.online) this.o.onPresence?.(station, true, new Date(nowMs).toISOString());
      this.stations.set(station, {
        station,
        online: true,
        instance: s && s.duplicates.includes(p.value.instance) ? s.instance : p.value.instance,
        lastSeenMs: nowMs,
        status: s && s.duplicates.includes(p.value.instance) ? s.status! : p.value,
        duplicates: s?.duplicates ?? [],
      });
      return;
    }
    if (topic === this.t.desired(station)) {
      if (payload.length === 0) return void this.desired.delete(station);
      const p = parsePayload(desiredSchema, payload);
      if (p.ok) this.desired.set(station, p.value);
      return;
    }
    if (topic === this.t.events(station)) {
      const p = parsePayload(eventSchema, payload);
      if (!p.ok || p.value.station !== station)
        return this.o.log.warn(
          { topic, problem: p.ok ? 'station name differs from topic' : p.problem },
          'fleet: bad event ignored',
        );
      const e = p.value;
      if (e.kind === 'duplicate') {
        const s = this.stations.get(station);
        if (s && !s.duplicates.includes(e.instance) && e.instance !== s.instance)
          s.duplicates.push(e.instance);
      }
      if ('cmd' in e) this.waiting.get(`${e.cmd}/${station}`)?.(e, nowMs);
      for (const w of this.stopWatchers) w(e);
      this.o.onEvent?.(e);
    }
  }

  /**
   * After a reconnect: the desired states of sessions not yet ended, again (a broker restarted
   * without persistence lost them, and a station coming back later must still find its session).
   */
  private async republishDesired(): Promise<void> {
    const now = this.o.clock.now().getTime();
    await Promise.all(
      [...this.desired]
        .filter(([, d]) => d.session && sessionEndMs(d.session) > now)
        .map(([s, d]) =>
          this.mq!.publishAsync(this.t.desired(s), JSON.stringify(d), { qos: 1, retain: true }),
        ),
    );
  }

  /** Every station seen (retained presence included), by name. */
  /** What needs attention now (fleet/alerts.ts): offline stations, failed or idle session cameras. */
  alertConditions(): AlertCondition[] {
    return alertConditions(this.list(), this.desired, this.o.clock.now().getTime());
  }

  list(): StationSeen[] {
    return [...this.stations.values()].sort((a, b) => a.station.localeCompare(b.station));
  }

  /** Wait for one event per station answering `cmd`, until `deadlineMs` (conductor clock). */
  private collect(
    cmd: string,
    stations: string[],
    deadlineMs: number,
    want: (e: FleetEvent) => boolean,
  ): Promise<Map<string, { e: FleetEvent; atMs: number }>> {
    const got = new Map<string, { e: FleetEvent; atMs: number }>();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const s of stations) this.waiting.delete(`${cmd}/${s}`);
        resolve(got);
      };
      const timer = setTimeout(done, Math.max(0, deadlineMs - this.o.clock.now().getTime()));
      for (const s of stations)
        this.waiting.set(`${cmd}/${s}`, (e, atMs) => {
          if (!want(e) || got.has(s)) return;
          got.set(s, { e, atMs });
          if (got.size === stations.length) done();
        });
    });
  }

  /** Clock offsets of `stations` (best of `rounds` pings), null for a station that did not answer. */
  async clockOffsets(
    stations: string[],
    o: { rounds?: number; timeoutMs?: number } = {},
  ): Promise<Record<string, OffsetSample | null>> {
    const samples = new Map<string, OffsetSample[]>(stations.map((s) => [s, []]));
    for (let r = 0; r < (o.rounds ?? 3); r++) {
      const id = newId();
      const t0 = this.o.clock.now().getTime();
      const timeout = o.timeoutMs ?? 1000;
      const wait = this.collect(id, stations, t0 + timeout, (e) => e.kind === 'pong');
      const cmd = {
        v: PROTOCOL_VERSION,
        kind: 'ping',
        id,
        sentAt: new Date(t0).toISOString(),
        expiresAt: new Date(t0 + timeout).toISOString(),
      };
      await Promise.all(
        stations.map((s) => this.mq!.publishAsync(this.t.cmd(s), JSON.stringify(cmd), { qos: 0 })),
      );
      for (const [s, { e, atMs }] of await wait)
        if (e.kind === 'pong') samples.get(s)!.push(offsetSample(t0, Date.parse(e.receivedAt), atMs));
    }
    return Object.fromEntries(stations.map((s) => [s, bestOffset(samples.get(s)!) ?? null]));
  }

  /**
   * Start a session on `plans`' stations: clocks checked, start scheduled `startDelayS` ahead
   * (or at `at`), each station's desired state set, and the answers collected for two seconds.
   */
  async startSession(o: {
    group: string;
    name: string;
    plans: Map<string, CameraPlan[]>;
    maxDurationS: number;
    at?: Date;
    startDelayS?: number;
    clock?: { maxOffsetMs: number; action: 'refuse' | 'warn' };
    onConductorLost?: 'continue' | 'stop';
    silenceS?: number;
    ackTimeoutMs?: number;
  }): Promise<StartReport> {
    const stations = [...o.plans.keys()];
    const clock = await this.clockOffsets(
      stations.filter((s) => this.stations.get(s)?.online),
      { rounds: 3, timeoutMs: 500 },
    );
    const refused: StartReport['refused'] = [];
    const clockWarnings: StartReport['clockWarnings'] = [];
    for (const [s, sample] of Object.entries(clock)) {
      if (!o.clock) continue;
      if (!sample) {
        clockWarnings.push({ station: s, message: 'clock not measured: no answer to the pings' });
        continue;
      }
      const v = judgeOffset(sample, o.clock.maxOffsetMs);
      if (v.ok) continue;
      if (o.clock.action === 'refuse')
        refused.push({
          station: s,
          code: 'CLOCK_OFF',
          reason: `${v.message}: set its clock (NTP/chrony from the conductor, docs/fleet.md)`,
        });
      else clockWarnings.push({ station: s, message: v.message });
    }
    const nowMs = this.o.clock.now().getTime();
    const startMs = Math.max(o.at?.getTime() ?? 0, nowMs + (o.startDelayS ?? 3) * 1000);
    const id = newId();
    const session: SessionPlan = {
      id,
      group: o.group,
      name: o.name,
      startAt: new Date(startMs).toISOString(),
      maxDurationS: o.maxDurationS,
      onConductorLost: o.onConductorLost ?? 'continue',
      silenceS: o.silenceS ?? 60,
      cameras: [],
    };
    const cmd = newId();
    const go = stations.filter((s) => !refused.some((r) => r.station === s));
    const sentMs = this.o.clock.now().getTime();
    const wait = this.collect(
      cmd,
      go,
      nowMs + (o.ackTimeoutMs ?? 2000),
      (e) => e.kind === 'accepted' || e.kind === 'refused',
    );
    await Promise.all(
      go.map((s) => {
        const d: Desired = {
          v: PROTOCOL_VERSION,
          cmd,
          session: { ...session, cameras: o.plans.get(s)! },
          sentAt: new Date(nowMs).toISOString(),
        };
        return this.mq!.publishAsync(this.t.desired(s), JSON.stringify(d), { qos: 1, retain: true });
      }),
    );
    for (const s of go)
      this.desired.set(s, {
        v: PROTOCOL_VERSION,
        cmd,
        session: { ...session, cameras: o.plans.get(s)! },
        sentAt: new Date(nowMs).toISOString(),
      });
    const answers = await wait;
    const answerMs = Object.fromEntries([...answers].map(([s, a]) => [s, a.atMs - sentMs]));
    const accepted: string[] = [];
    for (const [s, { e }] of answers) {
      if (e.kind === 'accepted') accepted.push(s);
      else if (e.kind === 'refused') refused.push({ station: s, code: e.code, reason: e.reason });
    }
    const silent = go.filter((s) => !answers.has(s));
    return {
      session: { ...session, stations },
      accepted: accepted.sort(),
      refused,
      silent,
      clock,
      answerMs,
      clockWarnings,
    };
  }

  /** Sessions the stations are set to record now (their retained desired states), by id. */
  sessions(): { session: SessionPlan; stations: string[]; stopAt?: string }[] {
    const out = new Map<string, { session: SessionPlan; stations: string[]; stopAt?: string }>();
    for (const [station, d] of this.desired) {
      if (!d.session) continue;
      const cur = out.get(d.session.id) ?? { session: { ...d.session, cameras: [] }, stations: [] };
      cur.stations.push(station);
      if (d.stopAt) cur.stopAt = d.stopAt;
      out.set(d.session.id, cur);
    }
    return [...out.values()];
  }

  /**
   * Stop a session on every station set to record it, at `at` (default now): each desired state
   * keeps the session, with its stop, so a station that comes back later does not start it.
   */
  async stopSession(
    sessionId: string,
    at?: Date,
    // A station reports `stopped` once its last segment is closed and placed (hashed, filed):
    // seconds on a busy Pi, so it is given longer than a start's answer.
    ackTimeoutMs = 6000,
  ): Promise<{ stopped: string[]; silent: string[] }> {
    const nowMs = this.o.clock.now().getTime();
    const stopMs = at?.getTime() ?? nowMs;
    const cmd = newId();
    const targets = [...this.desired].filter(([, d]) => d.session?.id === sessionId);
    const stations = targets.map(([s]) => s);
    const got = new Set<string>();
    const wait = new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.stopWatchers.delete(check);
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, stopMs - nowMs) + ackTimeoutMs);
      const check = (e: FleetEvent): void => {
        if (e.kind !== 'stopped' || e.session !== sessionId) return;
        got.add(e.station);
        if (stations.every((s) => got.has(s))) finish();
      };
      this.stopWatchers.add(check);
    });
    await Promise.all(
      targets.map(([s, d]) => {
        const next: Desired = {
          ...d,
          cmd,
          stopAt: new Date(stopMs).toISOString(),
          sentAt: new Date(nowMs).toISOString(),
        };
        this.desired.set(s, next);
        return this.mq!.publishAsync(this.t.desired(s), JSON.stringify(next), { qos: 1, retain: true });
      }),
    );
    await wait;
    return { stopped: [...got].sort(), silent: stations.filter((s) => !got.has(s)) };
  }

  /**
   * Push settings for stations' own cameras (retained on each `<station>/config`: a station that
   * is away gets them when it is back) and collect the answers for `ackTimeoutMs`.
   */
  async pushConfig(
    cameras: Map<string, Record<string, CameraPatch>>,
    ackTimeoutMs = 3000,
  ): Promise<PushReport> {
    const cmd = newId();
    const sentAt = this.o.clock.now().toISOString();
    const report: PushReport = { cmd, applied: {}, refused: [], silent: [] };
    const answers = [...cameras].map(
      ([station]) =>
        new Promise<void>((resolve) => {
          const key = `${cmd}/${station}`;
          const timer = setTimeout(() => {
            this.waiting.delete(key);
            report.silent.push(station);
            resolve();
          }, ackTimeoutMs);
          this.waiting.set(key, (e) => {
            if (e.kind !== 'configured') return;
            clearTimeout(timer);
            this.waiting.delete(key);
            for (const [camera, r] of Object.entries(e.cameras)) {
              if (r.ok) (report.applied[station] ??= {})[camera] = r.applied;
              else report.refused.push({ station, camera, reason: r.reason });
            }
            resolve();
          });
        }),
    );
    await Promise.all(
      [...cameras].map(([station, cams]) =>
        this.mq!.publishAsync(
          this.t.config(station),
          JSON.stringify({ v: PROTOCOL_VERSION, cmd, sentAt, cameras: cams }),
          { qos: 1, retain: true },
        ),
      ),
    );
    await Promise.all(answers);
    report.silent.sort();
    return report;
  }

  private readonly stopWatchers = new Set<(e: FleetEvent) => void>();
  private readonly desired = new Map<string, Desired>();

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const mq = this.mq;
    if (!mq) return;
    await closeMqtt(mq, { topic: this.t.conductor, payload: JSON.stringify(this.presence('offline')) });
  }
}
