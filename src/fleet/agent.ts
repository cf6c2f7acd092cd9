/**
 * The fleet agent of one station (docs/fleet.md): presence and health on the broker, the desired
 * session taken from its retained topic, acknowledged, started at the scheduled instant, stopped
 * at max duration by the station itself whatever happens to the conductor, the broker or the
 * network. Recording goes through a RecordingPort (the station's recorder; a fake device in
 * tests), so this file is the protocol's behaviour and nothing else.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { closeMqtt } from '../adapters/mqtt-client.js';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { CameraPatch } from '../recorder/camera-patch.js';
import {
  PROTOCOL_VERSION,
  commandSchema,
  conductorStatusSchema,
  desiredSchema,
  parsePayload,
  sessionEndMs,
  statusSchema,
  topics,
  pushedConfigSchema,
  type AppliedExtras,
  type CameraPlan,
  type Desired,
  type PushedConfig,
  type EventBody,
  type Refusal,
  type SessionPlan,
  type StationStatus,
} from './protocol.js';
import { homeAssistantDiscovery } from './home-assistant.js';

/** What a recording reports while it runs. */
export interface RecordingOutput {
  segment(s: { path: string; sha256: string; start: string; durationS: number; bytes: number }): void;
  gap(g: { from: string; to: string; reason: string }): void;
  /** The recording ended by itself and will not come back. */
  failed(reason: string): void;
}

export interface RecordingHandle {
  /** The first frame's time (station clock). */
  firstFrameAt: Date;
  /** What was settled beyond the plan (locked exposure, stream address), for the manifest. */
  applied?: AppliedExtras | undefined;
  stop(): Promise<void>;
}

/** The station's cameras, as the agent needs them. */
export interface RecordingPort {
  cameras(): string[];
  /** Free bytes where recordings go; null when unknown (no drive). */
  freeBytes(): Promise<number | null>;
  /**
   * Get `plan`'s pipeline ready now and begin recording at `at` (station clock); resolves once
   * the first frame is in.
   */
  start(plan: CameraPlan, session: SessionPlan, at: Date, out: RecordingOutput): Promise<RecordingHandle>;
  status?(camera: string): { restarts: number; droppedFrames: number };
  /** Why no session can start now (no library drive), or null. */
  unavailable?(): { code: Refusal; reason: string } | null;
}

export interface AgentOptions {
  station: string;
  root: string;
  client: () => MqttClient;
  port: RecordingPort;
  clock: Clock;
  log: Logger;
  /** Status heartbeat, ms (default 5000). */
  heartbeatMs?: number;
  /** Refuse a start below this many free bytes (default 1 GB). */
  minFreeBytes?: number;
  health?: () => Promise<Partial<StationStatus['health']>>;
  /**
   * Apply pushed settings to one of the station's own cameras (`outpost fleet config push`);
   * resolves with what it records with now. Absent: pushed settings are refused.
   */
  configure?: (camera: string, patch: CameraPatch) => Promise<object>;
  /** The client's connection errors as a sentence saying what to check (default: the message). */
  explainError?: (err: unknown) => string;
  /**
   * Announce the cameras to Home Assistant (MQTT discovery under `prefix`, retained) at each
   * connection and when Home Assistant says it is back (`<prefix>/status`: `online`).
   */
  homeAssistant?: { prefix: string; version?: string };
}

interface Running {
  plan: CameraPlan;
  handle?: RecordingHandle;
  state: 'starting' | 'recording' | 'failed';
  stopTimer?: NodeJS.Timeout;
}

interface Current {
  session: SessionPlan;
  cmd: string;
  cameras: Map<string, Running>;
  stopAtMs?: number;
  silenceTimer?: NodeJS.Timeout;
}

export class FleetAgent {
  readonly instance = randomBytes(8).toString('hex');
  readonly station: string;
  private readonly startedAt: string;
  private readonly t: ReturnType<typeof topics>;
  private mq: MqttClient | undefined;
  private current: Current | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private duplicateOf: string | undefined;
  private closed = false;
  private closing = false;
  private conductorOnline = false;
  /** Sessions already ended here: a retained copy arriving again starts nothing. */
  private readonly done = new Set<string>();

  constructor(private readonly o: AgentOptions) {
    this.station = o.station;
    this.startedAt = o.clock.now().toISOString();
    this.t = topics(o.root);
  }

  get duplicate(): string | undefined {
    return this.duplicateOf;
  }

  /** Connect (the client is made by `o.client`, with this agent's last will) and serve. */
  start(): void {
    const mq = (this.mq = this.o.client());
    // The client retries for ever: each problem is logged once (again after a connection), so a
    // wrong CA or password is one clear line, not one a second.
    let problem: string | undefined;
    mq.on('error', (err) => {
      // Closing: what the dying connection says is not a problem to report.
      if (this.closed || this.closing) return;
      const said = this.o.explainError?.(err) ?? err.message;
      if (said === problem) return;
      problem = said;
      this.o.log.error({ station: this.o.station }, `fleet: ${said} (retrying)`);
    });
    mq.on('connect', () => {
      if (problem) this.o.log.info({ station: this.o.station }, 'fleet: connected to the broker');
      problem = undefined;
      const ha = this.o.homeAssistant;
      void mq
        .subscribeAsync({
          [this.t.desired(this.o.station)]: { qos: 1 },
          [this.t.cmd(this.o.station)]: { qos: 1 },
          [this.t.config(this.o.station)]: { qos: 1 },
          [this.t.status(this.o.station)]: { qos: 1 },
          [this.t.conductor]: { qos: 1 },
          ...(ha ? { [`${ha.prefix}/status`]: { qos: 1 } } : {}),
        })
        .then(() => this.publishDiscovery())
        .then(() => this.publishStatus())
        .catch((err: unknown) => this.o.log.warn({ err }, 'fleet: subscribe failed'));
    });
    mq.on('close', () => this.conductorSilent());
    mq.on('message', (topic, payload, packet) => {
      try {
        this.onMessage(topic, payload, packet.retain);
      } catch (err) {
        this.o.log.warn({ err, topic }, 'fleet: message not handled');
      }
    });
    // Each beat 0.8–1.2 × the period: a fleet started together does not beat together.
    const beat = (): void => {
      if (this.closed) return;
      const ms = (this.o.heartbeatMs ?? 5000) * (0.8 + 0.4 * Math.random());
      this.heartbeat = setTimeout(() => {
        void this.publishStatus();
        beat();
      }, ms);
      this.heartbeat.unref();
    };
    beat();
  }

  /** The last will this agent's client must be made with. */
  will(): { topic: string; payload: Buffer; qos: 1; retain: true } {
    return {
      topic: this.t.status(this.o.station),
      payload: Buffer.from(JSON.stringify(this.offline())),
      qos: 1,
      retain: true,
    };
  }

  private offline(): Record<string, unknown> {
    return {
      v: PROTOCOL_VERSION,
      station: this.o.station,
      instance: this.instance,
      at: this.o.clock.now().toISOString(),
      state: 'offline',
    };
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (topic === this.t.status(this.o.station)) return this.onOwnStatus(payload, retained);
    if (this.o.homeAssistant && topic === `${this.o.homeAssistant.prefix}/status`) {
      // Home Assistant restarted (its birth message): it may have lost what it knew.
      if (payload.toString() === 'online' && !retained) void this.publishDiscovery();
      return;
    }
    if (topic === this.t.conductor) {
      const p = parsePayload(conductorStatusSchema, payload);
      if (!p.ok) return this.o.log.warn({ topic, problem: p.problem }, 'fleet: bad conductor status ignored');
      if (p.value.state === 'online') this.conductorBack();
      else this.conductorSilent();
      return;
    }
    if (this.duplicateOf) return;
    if (topic === this.t.desired(this.o.station)) {
      if (payload.length === 0) return; // a cleared retained message
      const p = parsePayload(desiredSchema, payload);
      if (!p.ok) return this.o.log.warn({ topic, problem: p.problem }, 'fleet: bad desired state ignored');
      return void this.onDesired(p.value).catch((err: unknown) =>
        this.o.log.error({ err }, 'fleet: desired state failed'),
      );
    }
    if (topic === this.t.config(this.o.station)) {
      if (payload.length === 0) return;
      const p = parsePayload(pushedConfigSchema, payload);
      if (!p.ok) return this.o.log.warn({ topic, problem: p.problem }, 'fleet: bad pushed config ignored');
      this.configs = this.configs
        .then(() => this.onPushedConfig(p.value))
        .catch((err: unknown) => this.o.log.error({ err }, 'fleet: pushed config failed'));
      return;
    }
    if (topic === this.t.cmd(this.o.station)) {
      const p = parsePayload(commandSchema, payload);
      if (!p.ok) return this.o.log.warn({ topic, problem: p.problem }, 'fleet: bad command ignored');
      const c = p.value;
      // Answered whatever its expiry says: this clock may be the wrong one (that is what a ping
      // measures); the conductor drops answers that come too late by their id.
      this.emit({ kind: 'pong', cmd: c.id, receivedAt: this.o.clock.now().toISOString() });
    }
  }

  /**
   * Another live instance with this station's name (a message on our own status topic that is
   * not the retained copy): the one started later steps back and says so, so the two never take
   * turns overwriting each other's presence.
   */
  private onOwnStatus(payload: Buffer, retained: boolean): void {
    const p = parsePayload(
      statusSchema.or(statusSchema.pick({ v: true, station: true, instance: true, at: true, state: true })),
      payload,
    );
    if (!p.ok || p.value.instance === this.instance) return;
    if (p.value.state === 'offline') {
      // Someone else's last will on our topic (a duplicate that died): we are still here.
      if (!this.duplicateOf) void this.publishStatus();
      return;
    }
    if (retained) return; // a copy from before; live messages decide
    const theirs = 'startedAt' in p.value ? String(p.value.startedAt) : p.value.at;
    const weAreLater =
      this.startedAt > theirs || (this.startedAt === theirs && this.instance > p.value.instance);
    if (weAreLater) {
      if (!this.duplicateOf) {
        this.duplicateOf = p.value.instance;
        this.o.log.error(
          { station: this.o.station, other: p.value.instance },
          `fleet: another station is running as "${this.o.station}": this one records nothing for the fleet until it is renamed`,
        );
        this.emit({ kind: 'duplicate', other: p.value.instance });
        void this.stopAll('shutdown');
      }
    } else {
      this.emit({ kind: 'duplicate', other: p.value.instance });
      void this.publishStatus();
    }
  }

  private async onDesired(d: Desired): Promise<void> {
    const now = this.o.clock.now().getTime();
    const receivedAt = new Date(now).toISOString();
    if (!d.session) {
      if (this.current) await this.stopAll('asked');
      return;
    }
    const s = d.session;
    const cur = this.current;
    if (cur && cur.session.id === s.id) {
      if (d.stopAt) await this.scheduleStop(Date.parse(d.stopAt));
      return;
    }
    if (this.done.has(s.id)) return;
    const refuse = (code: Refusal, reason: string): void => {
      this.o.log.warn({ session: s.id, code }, `fleet: start refused: ${reason}`);
      this.emit({ kind: 'refused', cmd: d.cmd, session: s.id, code, reason, receivedAt });
    };
    const end = sessionEndMs(s);
    if (d.stopAt || now >= end) {
      this.done.add(s.id);
      return refuse(
        'SESSION_ENDED',
        `session ${s.name} ended at ${new Date(d.stopAt ? Date.parse(d.stopAt) : end).toISOString()}`,
      );
    }
    if (cur) await this.stopAll('asked');
    const have = new Set(this.o.port.cameras());
    const missing = s.cameras.filter((c) => !have.has(c.camera)).map((c) => c.camera);
    if (missing.length)
      return refuse(
        'CAMERA_MISSING',
        `no camera ${missing.join(', ')} on station ${this.o.station} (it has ${[...have].join(', ') || 'none'})`,
      );
    const unavailable = this.o.port.unavailable?.();
    if (unavailable) return refuse(unavailable.code, unavailable.reason);
    const free = await this.o.port.freeBytes();
    const min = this.o.minFreeBytes ?? 1e9;
    if (free !== null && free < min)
      return refuse(
        'DISK_NEARLY_FULL',
        `${(free / 1e9).toFixed(1)} GB free, below ${(min / 1e9).toFixed(1)} GB`,
      );
    const c: Current = { session: s, cmd: d.cmd, cameras: new Map() };
    this.current = c;
    this.emit({ kind: 'accepted', cmd: d.cmd, session: s.id, receivedAt });
    const at = Math.max(Date.parse(s.startAt), now);
    for (const plan of s.cameras) void this.startCamera(c, plan, at);
    if (!this.conductorOnline) this.conductorSilent();
    void this.publishStatus();
  }

  private async startCamera(c: Current, plan: CameraPlan, atMs: number): Promise<void> {
    const s = c.session;
    const run: Running = { plan, state: 'starting' };
    c.cameras.set(plan.camera, run);
    const ev = { session: s.id, camera: plan.camera };
    try {
      const handle = await this.o.port.start(plan, s, new Date(atMs), {
        segment: (seg) => this.emit({ kind: 'segment', ...ev, ...seg }),
        gap: (g) => this.emit({ kind: 'gap', ...ev, ...g }),
        failed: (reason) => {
          run.state = 'failed';
          this.emit({
            kind: 'stopped',
            ...ev,
            reason: 'failed',
            stoppedAt: this.o.clock.now().toISOString(),
          });
          this.o.log.error({ ...ev, reason }, 'fleet: recording failed');
          void this.publishStatus();
        },
      });
      if (this.current !== c || !c.cameras.has(plan.camera)) return void (await handle.stop());
      run.handle = handle;
      run.state = 'recording';
      // Let every camera due at this instant begin before any reporting (one event loop may run
      // many cameras, or many agents in a test).
      await new Promise((r) => setImmediate(r));
      const actual = handle.firstFrameAt.getTime();
      const requested = Date.parse(s.startAt);
      const late = atMs > requested;
      this.emit({
        kind: 'started',
        ...ev,
        requestedAt: s.startAt,
        actualAt: handle.firstFrameAt.toISOString(),
        late,
        ...(handle.applied ? { applied: handle.applied } : {}),
      });
      // Max duration, counted from the actual start; a late joiner ends with the session.
      const stopMs = Math.min(
        late ? sessionEndMs(s) : actual + s.maxDurationS * 1000,
        c.stopAtMs ?? Infinity,
      );
      run.stopTimer = setTimeout(
        () =>
          void this.stopCamera(
            c,
            plan.camera,
            c.stopAtMs !== undefined && c.stopAtMs <= stopMs ? 'asked' : 'max-duration',
          ),
        Math.max(0, stopMs - this.o.clock.now().getTime()),
      );
      void this.publishStatus();
    } catch (err) {
      run.state = 'failed';
      this.o.log.error({ err, ...ev }, 'fleet: camera did not start');
      this.emit({ kind: 'stopped', ...ev, reason: 'failed', stoppedAt: this.o.clock.now().toISOString() });
    }
  }

  private async stopCamera(
    c: Current,
    camera: string,
    reason: 'asked' | 'max-duration' | 'conductor-lost' | 'shutdown' | 'drive-removed',
  ): Promise<void> {
    const run = c.cameras.get(camera);
    if (!run) return;
    c.cameras.delete(camera);
    clearTimeout(run.stopTimer);
    if (run.handle) {
      await run.handle.stop().catch((err: unknown) => this.o.log.warn({ err, camera }, 'fleet: stop failed'));
      this.emit({
        kind: 'stopped',
        session: c.session.id,
        camera,
        reason,
        stoppedAt: this.o.clock.now().toISOString(),
      });
    }
    if (c.cameras.size === 0 && this.current === c) {
      this.done.add(c.session.id);
      clearTimeout(c.silenceTimer);
      this.current = undefined;
    }
    void this.publishStatus();
  }

  private async scheduleStop(atMs: number): Promise<void> {
    const c = this.current;
    if (!c) return;
    c.stopAtMs = atMs;
    const wait = atMs - this.o.clock.now().getTime();
    for (const [camera, run] of c.cameras) {
      if (run.handle) {
        clearTimeout(run.stopTimer);
        run.stopTimer = setTimeout(() => void this.stopCamera(c, camera, 'asked'), Math.max(0, wait));
      } else if (wait <= 0) await this.stopCamera(c, camera, 'asked');
    }
  }

  /**
   * The station's library drive went away: this session's cameras stop here (reported as
   * `drive-removed`); the session is over for this station.
   */
  async driveRemoved(): Promise<void> {
    await this.stopAll('drive-removed');
    void this.publishStatus();
  }

  private async stopAll(reason: 'asked' | 'conductor-lost' | 'shutdown' | 'drive-removed'): Promise<void> {
    const c = this.current;
    if (!c) return;
    await Promise.all([...c.cameras.keys()].map((cam) => this.stopCamera(c, cam, reason)));
    this.done.add(c.session.id);
    if (this.current === c) this.current = undefined;
  }

  private conductorSilent(): void {
    this.conductorOnline = false;
    const c = this.current;
    if (!c || c.session.onConductorLost !== 'stop' || c.silenceTimer) return;
    c.silenceTimer = setTimeout(() => void this.stopAll('conductor-lost'), c.session.silenceS * 1000);
  }

  private conductorBack(): void {
    this.conductorOnline = true;
    const c = this.current;
    if (c?.silenceTimer) {
      clearTimeout(c.silenceTimer);
      delete c.silenceTimer;
    }
  }

  status(): StationStatus {
    const c = this.current;
    return {
      v: PROTOCOL_VERSION,
      station: this.o.station,
      instance: this.instance,
      at: this.o.clock.now().toISOString(),
      state: 'online',
      startedAt: this.startedAt,
      cameras: this.o.port.cameras().map((camera) => {
        const run = c?.cameras.get(camera);
        const st = this.o.port.status?.(camera);
        return {
          camera,
          state: run?.state ?? 'idle',
          session: run ? c!.session.id : null,
          restarts: st?.restarts ?? 0,
          droppedFrames: st?.droppedFrames ?? 0,
        };
      }),
      health: {
        freeBytes: null,
        secondsUntilFull: null,
        temperatureC: null,
        throttled: null,
        uplinkBacklogBytes: null,
      },
    };
  }

  private lastFree: { bytes: number; atMs: number } | undefined;

  /** Time until the disk is full at the rate it filled since the last status; null when idle. */
  private untilFull(free: number | null): number | null {
    const nowMs = this.o.clock.now().getTime();
    const last = this.lastFree;
    this.lastFree = free === null ? undefined : { bytes: free, atMs: nowMs };
    if (free === null || !last || !this.current || nowMs <= last.atMs) return null;
    const rate = (last.bytes - free) / ((nowMs - last.atMs) / 1000);
    return rate > 0 ? Math.round(free / rate) : null;
  }

  private async publishStatus(): Promise<void> {
    const mq = this.mq;
    if (!mq?.connected || this.duplicateOf || this.closed) return;
    const s = this.status();
    const free = await this.o.port.freeBytes().catch(() => null);
    s.health = {
      ...s.health,
      freeBytes: free,
      secondsUntilFull: this.untilFull(free),
      ...(await this.o.health?.().catch(() => ({}))),
    };
    await mq
      .publishAsync(this.t.status(this.o.station), JSON.stringify(s), { qos: 1, retain: true })
      .catch((err: unknown) => this.o.log.debug({ err }, 'fleet: status not published'));
  }

  private configs: Promise<void> = Promise.resolve();
  /** The pushed config applied last (a retained copy arriving again changes nothing). */
  private configCmd: string | undefined;

  /** Settings pushed for this station's own cameras: each applied (or refused), then answered. */
  private async onPushedConfig(c: PushedConfig): Promise<void> {
    if (c.cmd === this.configCmd) return;
    this.configCmd = c.cmd;
    const have = new Set(this.o.port.cameras());
    const cameras: Record<
      string,
      { ok: true; applied: Record<string, unknown> } | { ok: false; reason: string }
    > = {};
    for (const [camera, patch] of Object.entries(c.cameras)) {
      if (!have.has(camera)) {
        cameras[camera] = { ok: false, reason: `no camera ${camera} on station ${this.o.station}` };
        continue;
      }
      if (!this.o.configure) {
        cameras[camera] = {
          ok: false,
          reason:
            'this agent records sessions only (`outpost fleet agent`): run it in `outpost station` to configure its cameras',
        };
        continue;
      }
      try {
        cameras[camera] = { ok: true, applied: { ...(await this.o.configure(camera, patch)) } };
      } catch (e) {
        cameras[camera] = { ok: false, reason: e instanceof Error ? e.message : String(e) };
      }
    }
    this.o.log.info({ cmd: c.cmd, cameras: Object.keys(cameras) }, 'fleet: pushed camera settings applied');
    this.emit({ kind: 'configured', cmd: c.cmd, cameras });
  }

  /** Home Assistant's discovery configs, retained (none when off, or a duplicate name). */
  private async publishDiscovery(): Promise<void> {
    const ha = this.o.homeAssistant;
    const mq = this.mq;
    if (!ha || !mq?.connected || this.duplicateOf || this.closed) return;
    try {
      const messages = homeAssistantDiscovery({
        station: this.o.station,
        cameras: this.o.port.cameras(),
        root: this.o.root,
        prefix: ha.prefix,
        ...(ha.version ? { version: ha.version } : {}),
      });
      await Promise.all(messages.map((m) => mq.publishAsync(m.topic, m.payload, { qos: 1, retain: true })));
    } catch (err) {
      this.o.log.warn({ err }, 'fleet: Home Assistant discovery not published');
    }
  }

  private emit(e: EventBody): void {
    const full = {
      v: PROTOCOL_VERSION,
      station: this.o.station,
      instance: this.instance,
      at: this.o.clock.now().toISOString(),
      ...e,
    };
    // QoS 1: kept in the client's queue while the broker is away, sent when it is back.
    this.mq?.publish(this.t.events(this.o.station), JSON.stringify(full), { qos: 1 });
  }

  /** Stop recording (shutdown) and say goodbye (offline, retained) before disconnecting. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    clearTimeout(this.heartbeat);
    await this.stopAll('shutdown');
    this.closed = true;
    const mq = this.mq;
    if (!mq) return;
    await closeMqtt(
      mq,
      this.duplicateOf
        ? undefined
        : { topic: this.t.status(this.o.station), payload: JSON.stringify(this.offline()) },
    );
  }
}
