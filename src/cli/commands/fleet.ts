import { AlertTracker, describeAlert } from '../../fleet/alerts.js';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { startEmbeddedBroker } from '../../adapters/mqtt-broker.js';
import { connectMqtt, explainMqttError, type MqttSettings } from '../../adapters/mqtt-client.js';
import { OutpostError, isOutpostError } from '../../core/errors.js';
import { Conductor, type StartReport } from '../../fleet/conductor.js';
import {
  duration,
  loadFleetConfig,
  patchesByStation,
  sessionStartOf,
  type FleetConfig,
} from '../../fleet/fleet-config.js';
import { manifestSummary, newManifest } from '../../fleet/manifest.js';
import { DEFAULT_ROOT, sessionEndMs } from '../../fleet/protocol.js';
import {
  DEFAULT_SESSIONS_DIR,
  findManifest,
  listManifests,
  ManifestWriter,
} from '../../fleet/session-store.js';
import { openDrive } from '../../library/drive.js';
import { recorderDeps } from '../../recorder/deps.js';
import { recorderSettingsOf } from '../../station/camera-settings.js';
import { RecorderRecordingPort } from '../../station/fleet-recording.js';
import {
  createFleetAgent,
  homeAssistantOf,
  fleetCameras,
  fleetStationName,
  mqttSettingsOf,
} from '../../station/fleet-agent.js';
import { buildContext, requireLibrary, type Context } from '../context.js';
import { emit, table } from '../output.js';
import { run } from '../run.js';

interface BrokerOptions {
  fleet?: string;
  broker?: string;
  root?: string;
  sessions?: string;
  json?: boolean;
}

const brokerOptions = (c: Command): Command =>
  c
    .option('--fleet <file>', 'fleet config (YAML): its broker and topic root')
    .option('--broker <url>', 'broker URL (default mqtt://127.0.0.1:1883, or the fleet config)')
    .option('--root <topic>', `topic root (default ${DEFAULT_ROOT})`)
    .option('--sessions <dir>', `where session manifests are kept (default ${DEFAULT_SESSIONS_DIR})`)
    .option('--json', 'JSON output');

async function brokerOf(
  o: BrokerOptions,
  fleet?: FleetConfig,
): Promise<{ mqtt: MqttSettings; root: string }> {
  const f = fleet ?? (o.fleet ? await loadFleetConfig(o.fleet) : undefined);
  return {
    mqtt: {
      url: o.broker ?? f?.broker.url ?? 'mqtt://127.0.0.1:1883',
      username: f?.broker.username,
      password: f?.broker.password,
      ca: f?.broker.ca,
    },
    root: o.root ?? f?.broker.root ?? DEFAULT_ROOT,
  };
}

/** A conductor connected to the broker, with the stations' retained presence in. */
async function conduct(
  ctx: Context,
  b: { mqtt: MqttSettings; root: string },
  onEvent?: ConstructorParameters<typeof Conductor>[0]['onEvent'],
  onPresence?: ConstructorParameters<typeof Conductor>[0]['onPresence'],
): Promise<Conductor> {
  const c: Conductor = new Conductor({
    root: b.root,
    clock: ctx.clock,
    log: ctx.log,
    ...(onEvent ? { onEvent } : {}),
    ...(onPresence ? { onPresence } : {}),
    client: () =>
      connectMqtt(b.mqtt, {
        clientId: `outpost-fleet-${randomBytes(6).toString('hex')}`,
        will: c.will(),
        keepalive: 10,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
      }),
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('no answer in 5 s')), 5000).unref(),
  );
  try {
    await Promise.race([c.start(), timeout]);
  } catch (e) {
    await c.close().catch(() => undefined);
    if (isOutpostError(e)) throw e; // an unreadable CA file
    throw new OutpostError('FLEET_BROKER_UNREACHABLE', explainMqttError(e, b.mqtt), {
      cause: e,
    });
  }
  // Retained presence and desired states arrive right after subscribing.
  await new Promise((r) => setTimeout(r, 400));
  return c;
}

function reportText(r: StartReport): string {
  const lines = [
    `session ${r.session.group}/${r.session.name} (${r.session.id}) starts at ${r.session.startAt}, at most ${r.session.maxDurationS} s`,
    `accepted: ${r.accepted.join(', ') || 'none'}`,
  ];
  for (const x of r.refused) lines.push(`refused:  ${x.station}: [${x.code}] ${x.reason}`);
  if (r.silent.length)
    lines.push(
      `silent:   ${r.silent.join(', ')} (offline or not answering: they start if they come back before the end)`,
    );
  for (const w of r.clockWarnings) lines.push(`warning:  ${w.station}: ${w.message}`);
  return lines.join('\n');
}

export function registerFleet(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('run many cameras together: sessions started, acknowledged and recorded on every station');

  brokerOptions(
    fleet
      .command('status')
      .description('stations on the broker: presence, cameras, health; sessions running'),
  ).action((o: BrokerOptions, cmd: Command) =>
    run(cmd, !!o.json, async () => {
      const ctx = await buildContext(cmd.optsWithGlobals());
      const c = await conduct(ctx, await brokerOf(o));
      try {
        const stations = c.list();
        const sessions = c.sessions();
        // One look, so no delay: everything that needs attention right now.
        const alerts = new AlertTracker(0).update(c.alertConditions(), ctx.clock.now().getTime()).raised;
        emit(!!o.json, { stations, sessions, alerts }, () =>
          [
            table([
              ['STATION', 'STATE', 'CAMERAS', 'FREE', 'NOTE'],
              ...stations.map((s) => [
                s.station,
                s.online ? 'online' : 'offline',
                (s.status?.cameras ?? []).map((x) => `${x.camera}:${x.state}`).join(' ') || '–',
                s.status?.health.freeBytes != null
                  ? `${(s.status.health.freeBytes / 1e9).toFixed(1)} GB`
                  : '–',
                s.duplicates.length ? `${s.duplicates.length + 1} stations use this name` : '',
              ]),
            ]),
            ...sessions.map(
              (x) =>
                `session ${x.session.group}/${x.session.name} (${x.session.id}) on ${x.stations.join(', ')}${x.stopAt ? `, stop at ${x.stopAt}` : ''}`,
            ),
            ...alerts.map((a) => `attention: ${describeAlert(a)}`),
          ].join('\n'),
        );
      } finally {
        await c.close();
      }
    }),
  );

  brokerOptions(
    fleet
      .command('start <config>')
      .description('start a session on every camera of a fleet config, at one scheduled instant')
      .option('--at <time>', 'start instant (ISO 8601); default: a few seconds from now')
      .option('--duration <d>', 'maximum duration (e.g. 30m), over the config')
      .option('--name <session>', 'session name, over the config')
      .option('--detach', 'return once the stations have answered (default: follow until the session ends)'),
  ).action(
    (
      file: string,
      o: BrokerOptions & { at?: string; duration?: string; name?: string; detach?: boolean },
      cmd: Command,
    ) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const f = await loadFleetConfig(file);
        const at = o.at ? new Date(o.at) : undefined;
        if (at && Number.isNaN(at.getTime()))
          throw new OutpostError('USAGE', `--at "${o.at}" is not a time`, {
            hint: 'Use ISO 8601, e.g. 2026-12-06T10:00:00Z.',
          });
        const d = o.duration ? duration.safeParse(o.duration) : undefined;
        if (d && !d.success)
          throw new OutpostError('USAGE', `--duration "${o.duration}" is not a duration`, {
            hint: 'Use e.g. 90s, 30m or 2h.',
          });
        const dir = o.sessions ?? DEFAULT_SESSIONS_DIR;
        let writer: ManifestWriter | undefined;
        const early: Parameters<ManifestWriter['event']>[0][] = [];
        const c = await conduct(
          ctx,
          await brokerOf(o, f),
          (e) => (writer ? writer.event(e) : early.push(e)),
          (station, online, at) => {
            if (!writer?.presence(station, online, at)) return;
            if (!online)
              process.stderr.write(
                `${at} ${station} went offline (it records on to the session's end by itself)\n`,
              );
            else process.stderr.write(`${at} ${station} is back\n`);
          },
        );
        try {
          const start = sessionStartOf(f, { name: o.name, durationS: d?.success ? d.data : undefined, at });
          const r = await c.startSession(start);
          writer = new ManifestWriter(dir, newManifest(r, start.plans, ctx.clock.now()), 500, (e) =>
            process.stderr.write(`the manifest could not be written to ${dir}: ${String(e)}\n`),
          );
          for (const e of early) writer.event(e);
          await writer.flush();
          // --json: one document — the report, or the error with the report in its details.
          if (!r.accepted.length && o.json)
            throw new OutpostError('FLEET_NOT_STARTED', `no station accepted session ${r.session.name}`, {
              details: r,
            });
          emit(!!o.json, r, () => reportText(r));
          if (!r.accepted.length)
            throw new OutpostError('FLEET_NOT_STARTED', `no station accepted session ${r.session.name}`);
          if (o.detach) return;
          const endMs = sessionEndMs(r.session);
          process.stderr.write(
            `following until ${new Date(endMs).toISOString()} (Ctrl-C leaves the stations recording to the end)\n`,
          );
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, Math.max(0, endMs - ctx.clock.now().getTime()) + 3000);
            process.once('SIGINT', () => {
              clearTimeout(t);
              resolve();
            });
          });
          await writer.flush();
          if (!o.json)
            process.stderr.write(
              `${table([['STATION', 'ANSWER', 'CAMERAS', 'SEGMENTS', 'GAPS'], ...manifestSummary(writer.manifest).map((s) => [s.station, s.answer, s.cameras, String(s.segments), String(s.gaps)])])}\n`,
            );
        } finally {
          await writer?.flush();
          await c.close();
        }
      }),
  );

  const config = fleet.command('config').description("the stations' own camera settings");
  brokerOptions(
    config
      .command('push <config>')
      .description(
        "set every listed station camera's rotation, flips, size, frame rate and segment length (kept by the station; its source stays its own)",
      ),
  ).action((file: string, o: BrokerOptions, cmd: Command) =>
    run(cmd, !!o.json, async () => {
      const ctx = await buildContext(cmd.optsWithGlobals());
      const f = await loadFleetConfig(file);
      const c = await conduct(ctx, await brokerOf(o, f));
      try {
        const r = await c.pushConfig(patchesByStation(f));
        // --json: one document — the report, or the error with the report in its details.
        if (r.refused.length && o.json)
          throw new OutpostError(
            'FLEET_CONFIG_REFUSED',
            `${r.refused.length} camera(s) refused the settings`,
            {
              details: r,
            },
          );
        emit(!!o.json, r, () =>
          [
            ...Object.entries(r.applied).flatMap(([station, cams]) =>
              Object.keys(cams).map((cam) => `applied: ${station}/${cam}`),
            ),
            ...r.refused.map((x) => `refused: ${x.station}/${x.camera}: ${x.reason}`),
            ...(r.silent.length
              ? [`silent:  ${r.silent.join(', ')} (the settings wait for them on the broker)`]
              : []),
          ].join('\n'),
        );
        if (r.refused.length)
          throw new OutpostError(
            'FLEET_CONFIG_REFUSED',
            `${r.refused.length} camera(s) refused the settings`,
          );
      } finally {
        await c.close();
      }
    }),
  );

  brokerOptions(
    fleet.command('stop [session]').description('stop a session on every station (default: the one running)'),
  ).action((session: string | undefined, o: BrokerOptions, cmd: Command) =>
    run(cmd, !!o.json, async () => {
      const ctx = await buildContext(cmd.optsWithGlobals());
      const c = await conduct(ctx, await brokerOf(o));
      try {
        const running = c
          .sessions()
          .filter(
            (x) =>
              !x.stopAt &&
              Date.parse(x.session.startAt) + x.session.maxDurationS * 1000 > ctx.clock.now().getTime(),
          );
        const pick = session
          ? running.filter((x) => x.session.id === session || x.session.name === session)
          : running;
        if (pick.length !== 1)
          throw new OutpostError(
            'SESSION_NOT_FOUND',
            pick.length
              ? `${pick.length} sessions are running: ${pick.map((x) => `${x.session.name} (${x.session.id})`).join(', ')}`
              : `no session ${session ?? ''} running`.replace('  ', ' '),
            { hint: 'Give the session id (see `outpost fleet status`).' },
          );
        const r = await c.stopSession(pick[0]!.session.id);
        emit(!!o.json, { session: pick[0]!.session.id, ...r }, () =>
          [
            `stopped: ${r.stopped.join(', ') || 'none'}`,
            ...(r.silent.length
              ? [`silent:  ${r.silent.join(', ')} (they stop at the session's end, or when they come back)`]
              : []),
          ].join('\n'),
        );
      } finally {
        await c.close();
      }
    }),
  );

  fleet
    .command('sessions')
    .description('sessions kept here (their manifests)')
    .option('--sessions <dir>', `manifests directory (default ${DEFAULT_SESSIONS_DIR})`)
    .option('--json', 'JSON output')
    .action((o: { sessions?: string; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const { manifests, unreadable } = await listManifests(o.sessions ?? DEFAULT_SESSIONS_DIR);
        emit(
          !!o.json,
          {
            sessions: manifests.map((m) => ({
              id: m.id,
              group: m.group,
              name: m.name,
              startAt: m.startAt,
              stations: Object.keys(m.stations).length,
            })),
            unreadable,
          },
          () =>
            [
              table([
                ['ID', 'GROUP/SESSION', 'START', 'STATIONS', 'ACCEPTED'],
                ...manifests.map((m) => [
                  m.id,
                  `${m.group}/${m.name}`,
                  m.startAt,
                  String(Object.keys(m.stations).length),
                  String(Object.values(m.stations).filter((s) => s.answer === 'accepted').length),
                ]),
              ]),
              ...unreadable.map((p) => `unreadable: ${p}`),
            ].join('\n'),
        );
      }),
    );

  fleet
    .command('show <session>')
    .description('one session: per station and camera, answers, starts, stops, segments, gaps')
    .option('--sessions <dir>', `manifests directory (default ${DEFAULT_SESSIONS_DIR})`)
    .option('--json', 'the whole manifest as JSON')
    .action((key: string, o: { sessions?: string; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const m = await findManifest(o.sessions ?? DEFAULT_SESSIONS_DIR, key);
        emit(!!o.json, m, () =>
          [
            `session ${m.group}/${m.name} (${m.id}), scheduled ${m.startAt}, at most ${m.maxDurationS} s`,
            table([
              ['STATION', 'ANSWER', 'CAMERAS', 'SEGMENTS', 'GAPS'],
              ...manifestSummary(m).map((s) => [
                s.station,
                s.answer,
                s.cameras,
                String(s.segments),
                String(s.gaps),
              ]),
            ]),
          ].join('\n'),
        );
      }),
    );

  brokerOptions(
    fleet
      .command('agent')
      .description("this station's cameras in the fleet (outpost station runs it itself once configured)")
      .option('--library <drive>', 'library drive the recordings go to (default: `library` in the config)')
      .option('--station <name>', 'station name on the broker (default: the host name)')
      .option(
        '--camera <name...>',
        'camera names this station has (default: the configured cameras, or "cam")',
      )
      .option(
        '--keepalive <s>',
        'MQTT keepalive, seconds (offline shown after 1.5 ×; default fleet.keepaliveSeconds)',
      ),
  ).action(
    (
      o: BrokerOptions & { library?: string; station?: string; camera?: string[]; keepalive?: string },
      cmd: Command,
    ) =>
      run(cmd, false, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const drive = await openDrive(requireLibrary(o.library, ctx));
        const f = ctx.config.fleet;
        const station = fleetStationName(o.station ?? f.station);
        const cameras = o.camera ?? fleetCameras(ctx);
        const port = new RecorderRecordingPort({
          cameras,
          drive,
          settings: recorderSettingsOf(ctx.config),
          deps: recorderDeps(ctx),
          clock: ctx.clock,
          log: ctx.log,
        });
        const b =
          o.broker || o.root || o.fleet
            ? await brokerOf(o)
            : { mqtt: mqttSettingsOf(f.broker), root: f.broker.root };
        const agent = createFleetAgent({
          station,
          broker: b.mqtt,
          root: b.root,
          keepaliveSeconds: Number(o.keepalive ?? f.keepaliveSeconds),
          minFreeBytes: f.minFreeGB * 1e9,
          port,
          clock: ctx.clock,
          log: ctx.log,
          runner: ctx.runner,
          homeAssistant: homeAssistantOf(f),
        });
        agent.start();
        process.stdout.write(`outpost fleet agent ${station} (${cameras.join(', ')}) on ${b.mqtt.url}\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await agent.close();
        await port.close();
      }),
  );

  fleet
    .command('broker')
    .description('run the embedded MQTT broker alone (outpost station runs one itself)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port', '1883')
    .action((o: { host: string; port: string }, cmd: Command) =>
      run(cmd, false, async () => {
        const b = await startEmbeddedBroker({ host: o.host, port: Number(o.port) });
        process.stdout.write(`outpost fleet broker listening on ${b.url}\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await b.close();
      }),
    );
}
