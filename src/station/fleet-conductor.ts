/**
 * The fleet conductor inside a station (or HQ) for the web app's Fleet page
 * (`fleet.conductor.enabled`; docs/fleet.md "The Fleet page"): optionally the embedded broker,
 * one conductor connection kept open (reconnecting by itself), the fleet configs of `configDir`
 * to start sessions from, and a manifest kept up to date for every session started here.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmbeddedBroker, type EmbeddedBroker } from '../adapters/mqtt-broker.js';
import { connectMqtt, explainMqttError } from '../adapters/mqtt-client.js';
import { OutpostError, errnoCode, isOutpostError } from '../core/errors.js';
import { AlertTracker, describeAlert } from '../fleet/alerts.js';
import { Conductor, type StartReport } from '../fleet/conductor.js';
import { loadFleetConfig, sessionStartOf } from '../fleet/fleet-config.js';
import { newManifest } from '../fleet/manifest.js';
import { sessionEndMs, type FleetEvent } from '../fleet/protocol.js';
import { findManifest, listManifests, ManifestWriter } from '../fleet/session-store.js';
import type { FleetConfigEntry, FleetControl } from '../server/deps.js';
import { mqttSettingsOf } from './fleet-agent.js';
import type { StationDeps } from './station.js';

/** A fleet config's file name in `configDir` (never a path). */
const CONFIG_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.ya?ml$/;
/** How long a finished session's manifest keeps taking late events (stops, last segments). */
const KEEP_AFTER_END_MS = 120_000;

export interface StationConductor {
  control: FleetControl;
  close(): Promise<void>;
}

export async function startStationConductor(
  ctx: Pick<StationDeps, 'config' | 'clock' | 'log'>,
): Promise<StationConductor | undefined> {
  const f = ctx.config.fleet;
  const c = f.conductor;
  if (!c.enabled) return undefined;
  let broker: EmbeddedBroker | undefined;
  if (c.embeddedBroker.enabled) {
    broker = await startEmbeddedBroker({
      host: c.embeddedBroker.host,
      port: c.embeddedBroker.port,
      ...(f.broker.username !== undefined
        ? { username: f.broker.username, password: f.broker.password ?? '' }
        : {}),
    });
    ctx.log.info({ url: broker.url }, 'fleet broker listening');
  }
  const writers = new Map<string, { writer: ManifestWriter; endMs: number }>();
  let early: FleetEvent[] | undefined;
  const onEvent = (e: FleetEvent): void => {
    early?.push(e);
    for (const w of writers.values()) w.writer.event(e);
  };
  const conductor: Conductor = new Conductor({
    root: f.broker.root,
    clock: ctx.clock,
    log: ctx.log,
    onEvent,
    onPresence: (station, online, at) => {
      for (const [id, w] of writers)
        if (w.writer.presence(station, online, at)) {
          if (online) ctx.log.info({ station, session: id }, `fleet: ${station} is back`);
          else
            ctx.log.warn(
              { station, session: id },
              `fleet: ${station} went offline during session ${id} (it records on to the end by itself)`,
            );
        }
    },
    client: () =>
      connectMqtt(mqttSettingsOf(f.broker), {
        clientId: `outpost-conductor-${randomBytes(6).toString('hex')}`,
        will: conductor.will(),
        keepalive: 10,
        reconnectPeriod: 2000,
        connectTimeout: 5000,
      }),
  });
  conductor
    .start()
    .then(() => ctx.log.info({ broker: f.broker.url }, 'fleet conductor connected'))
    .catch((err: unknown) =>
      ctx.log.warn(
        { broker: f.broker.url },
        `fleet conductor: ${explainMqttError(err, mqttSettingsOf(f.broker))} (retrying)`,
      ),
    );
  // Clocks drift: while sessions run, their stations' offsets are measured again every minute.
  const clockTimer = setInterval(() => {
    const now = ctx.clock.now().getTime();
    for (const { writer, endMs } of writers.values()) {
      if (now > endMs || !conductor.connected) continue;
      const online = new Set(
        conductor
          .list()
          .filter((s) => s.online)
          .map((s) => s.station),
      );
      const stations = Object.entries(writer.manifest.stations)
        .filter(([name, s]) => s.answer === 'accepted' && online.has(name))
        .map(([name]) => name);
      if (!stations.length) continue;
      void conductor
        .clockOffsets(stations, { rounds: 3, timeoutMs: 1000 })
        .then((r) => {
          for (const [station, sample] of Object.entries(r)) if (sample) writer.clockSample(station, sample);
        })
        .catch((err: unknown) => ctx.log.debug({ err }, 'fleet: clock samples'));
    }
  }, c.clockSampleSeconds * 1000);
  clockTimer.unref();
  const sweep = setInterval(() => {
    const now = ctx.clock.now().getTime();
    for (const [id, w] of writers)
      if (now > w.endMs + KEEP_AFTER_END_MS) {
        void w.writer.flush();
        writers.delete(id);
      }
  }, 10_000);
  sweep.unref();

  // Alerts: looked for every second; raised once a condition lasted alertAfterSeconds.
  const alerts = new AlertTracker(c.alertAfterSeconds * 1000);
  const alertTimer = setInterval(() => {
    // Without the broker nothing is known: no station is said to be offline for it.
    const { raised, cleared } = alerts.update(
      conductor.connected ? conductor.alertConditions() : [],
      ctx.clock.now().getTime(),
    );
    for (const a of raised) ctx.log.warn({ alert: a }, `fleet alert: ${describeAlert(a)}`);
    for (const a of cleared) ctx.log.info({ alert: a }, `fleet alert over: ${describeAlert(a)}`);
  }, 1000);
  alertTimer.unref();

  const flushAll = () => Promise.all([...writers.values()].map((w) => w.writer.flush()));

  const configs = async (): Promise<FleetConfigEntry[]> => {
    let names: string[];
    try {
      names = (await readdir(c.configDir)).filter((n) => CONFIG_FILE.test(n)).sort();
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return [];
      throw e;
    }
    return Promise.all(
      names.map(async (file): Promise<FleetConfigEntry> => {
        try {
          const fc = await loadFleetConfig(join(c.configDir, file));
          return {
            file,
            group: fc.group,
            session: fc.session,
            maxDurationS: fc.maxDuration,
            cameras: fc.cameras.map((x) => ({ station: x.station, camera: x.camera ?? 'cam' })),
            problems: null,
          };
        } catch (e) {
          const problems = isOutpostError(e)
            ? ((e.details as { problems?: string[] } | undefined)?.problems ?? [e.message])
            : [String(e)];
          return { file, group: null, session: null, maxDurationS: null, cameras: [], problems };
        }
      }),
    );
  };

  let starting: Promise<unknown> = Promise.resolve();
  const startOne = async (file: string, o: { name?: string; durationS?: number }): Promise<StartReport> => {
    if (!CONFIG_FILE.test(file))
      throw new OutpostError('INVALID_INPUT', `"${file}" is not a fleet config file name`);
    if (!conductor.connected)
      throw new OutpostError('FLEET_BROKER_UNREACHABLE', `the broker at ${f.broker.url} is not reachable`);
    const start = sessionStartOf(await loadFleetConfig(join(c.configDir, file)), o);
    early = [];
    try {
      const r = await conductor.startSession(start);
      const writer = new ManifestWriter(
        c.sessionsDir,
        newManifest(r, start.plans, ctx.clock.now()),
        500,
        (err) =>
          ctx.log.error(
            { err, dir: c.sessionsDir },
            `fleet: the manifest of session ${r.session.id} could not be written`,
          ),
      );
      for (const e of early) writer.event(e);
      writers.set(r.session.id, { writer, endMs: sessionEndMs(r.session) });
      await writer.flush();
      ctx.log.info(
        { session: r.session.id, accepted: r.accepted, refused: r.refused.map((x) => x.station) },
        `fleet session ${r.session.group}/${r.session.name} started from ${file}`,
      );
      return r;
    } finally {
      early = undefined;
    }
  };

  const control: FleetControl = {
    overview: () => ({
      broker: { url: f.broker.url, connected: conductor.connected },
      stations: conductor.list(),
      sessions: conductor.sessions(),
      alerts: alerts.active(),
    }),
    configs,
    start: (file, o) => {
      // One start at a time: the answers collected while starting belong to that session.
      const next = starting.then(() => startOne(file, o));
      starting = next.catch(() => undefined);
      return next;
    },
    stop: async (id) => {
      if (!conductor.sessions().some((s) => s.session.id === id))
        throw new OutpostError('SESSION_NOT_FOUND', `no session ${id} is set on any station`);
      const r = await conductor.stopSession(id);
      await flushAll();
      return r;
    },
    sessions: async () => {
      await flushAll();
      return (await listManifests(c.sessionsDir)).manifests;
    },
    manifest: async (key) => {
      await flushAll();
      return findManifest(c.sessionsDir, key);
    },
  };
  return {
    control,
    close: async () => {
      clearInterval(sweep);
      clearInterval(clockTimer);
      clearInterval(alertTimer);
      await flushAll();
      await conductor.close().catch(() => undefined);
      await broker?.close();
    },
  };
}
