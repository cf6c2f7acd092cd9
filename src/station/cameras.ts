/**
 * The station's cameras: each configured camera records while a library drive is attached
 * (started on `library-attached`, stopped on `library-detached` and at shutdown). Segments and
 * state changes become station events for the web app and the log.
 */
import type { Readable } from 'node:stream';
import { recorderDeps } from '../recorder/deps.js';
import { OutpostError, driveError, isOutpostError } from '../core/errors.js';
import { openDrive, type Drive } from '../library/drive.js';
import type { Config } from '../config/schema.js';
import {
  appliedSettings,
  mergePatch,
  withOverrides,
  withoutDefaults,
  type AppliedSettings,
  type CameraPatch,
} from '../recorder/camera-patch.js';
import { loadCameraOverrides, saveCameraOverrides } from './camera-overrides-file.js';
import { cameraSettingsOf, recorderSettingsOf } from './camera-settings.js';
import { Recorder, type CameraSettings, type RecorderStatus } from '../recorder/recorder.js';
import type { MotionBox } from '../recorder/motion-mode.js';
import { feedHub } from '../recorder/live/feed.js';
import { LiveHub } from '../recorder/live/hub.js';
import type { CamerasControl } from '../server/deps.js';
import type { StationEvents } from './events.js';
import type { StationDeps } from './station.js';
import { clockTrustedFor } from './clock.js';
import { streamUrl, type StationRtsp } from './rtsp.js';

export interface StationCameras {
  status(): RecorderStatus[];
  /** For the web app: each configured camera, its state, and its live hub. */
  control: CamerasControl;
  /** The running recorder of a camera (live view and motion plug into its `outputs` events). */
  recorder(name: string): Recorder | undefined;
  /**
   * A fleet session takes camera `name`: its standing recorder stops (resolves once stopped) and
   * stays stopped until the returned release is called.
   */
  hold(name: string): Promise<() => void>;
  /**
   * A fleet session's recorder of camera `name` shown like a station camera: listed, its live
   * view on the camera's hub (made for a camera the station does not configure), its motion box
   * forwarded when highlighted. The returned function takes it back off.
   */
  adopt(name: string, r: Recorder, o: AdoptOptions): () => void;
  /** Change a camera's settings on the fly (kept across restarts); resolves with what it runs with. */
  configure(name: string, patch: CameraPatch): Promise<AppliedSettings>;
  /** Resolves once the starts and stops asked for so far are done (e.g. stopped after a detach). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface AdoptOptions {
  mode: 'continuous' | 'motion';
  motionHighlight: boolean;
  /** `group/session`. */
  session: string;
}

export function startStationCameras(
  ctx: StationDeps,
  events: StationEvents,
  rtsp?: StationRtsp,
): StationCameras {
  const recorders = new Map<string, Recorder>();
  // One live hub per camera for the station's life: viewers stay connected while recorders are
  // recreated (drive re-plugged) and get frames again when the camera is back.
  const hubs = new Map(
    ctx.config.cameras
      .filter((c) => c.live.enabled)
      .map((c) => [
        c.name,
        new LiveHub({
          camera: c.name,
          clock: ctx.clock,
          maxClients: c.live.maxClients,
          idleTimeoutMs: c.live.idleTimeoutSeconds * 1000,
        }),
      ]),
  );
  const feeds = new Map<string, { stop(): void }>();
  const hubFor = (name: string): LiveHub => {
    let hub = hubs.get(name);
    if (!hub) {
      hub = new LiveHub({ camera: name, clock: ctx.clock });
      hubs.set(name, hub);
    }
    return hub;
  };
  /** A camera's motion box to the web app, when its live view highlights motion. */
  const forwardBox = (e: MotionBox): void => {
    if (highlighted(e.camera)) events.emit('motion-box', e);
  };
  /** A new feed per ffmpeg run: a half frame of the old process never joins the new one. */
  const liveFeed =
    (name: string, hub: LiveHub | undefined) =>
    ({ mjpeg }: { mjpeg?: Readable | undefined }): void => {
      feeds.get(name)?.stop();
      if (hub && mjpeg) feeds.set(name, feedHub(mjpeg, hub));
      else feeds.delete(name);
    };
  /** Session recorders shown as cameras (adopt). */
  const adopted = new Map<string, { r: Recorder; o: AdoptOptions }>();
  /** The settings each standing recorder runs with (config and on-the-fly changes). */
  const runsWith = new Map<string, CameraSettings>();
  const highlighted = (name: string): boolean =>
    adopted.get(name)?.o.motionHighlight ??
    runsWith.get(name)?.motionHighlight ??
    ctx.config.cameras.find((c) => c.name === name)?.live.motionHighlight ??
    false;
  let chain: Promise<void> = Promise.resolve();

  const stopAll = async (): Promise<void> => {
    const all = [...recorders.values()];
    recorders.clear();
    await Promise.all(
      all.map((r) => r.stop().catch((err: unknown) => ctx.log.warn({ err }, 'camera stop failed'))),
    );
  };

  /** Cameras a fleet session records with now: their standing recorders stay stopped. */
  const held = new Set<string>();

  // On-the-fly settings (Cameras page, fleet config push) over the config, kept across restarts.
  const overridesFile = ctx.config.station.cameraSettingsFile;
  const overrides = loadCameraOverrides(overridesFile, ctx.log);
  const settingsOf = async (c: Config['cameras'][number]): Promise<CameraSettings> => {
    const s = withOverrides(cameraSettingsOf(c, ctx.config), (await overrides).get(c.name));
    return s.rtsp && rtsp ? { ...s, rtspUrl: await streamUrl(rtsp, c.name, ctx.log) } : s;
  };

  const startOne = async (c: Config['cameras'][number], drive: Drive): Promise<void> => {
    try {
      const settings = await settingsOf(c);
      runsWith.set(c.name, settings);
      const r = new Recorder(settings, recorderSettingsOf(ctx.config), drive, recorderDeps(ctx));
      r.on('segment', (s) => events.emit('recording-segment', s));
      r.on('motion-event', (e) => events.emit('motion-event', e));
      r.on('motion-box', forwardBox);
      r.on('outputs', liveFeed(c.name, hubs.get(c.name)));
      r.on('state', (s) => events.emit('recorder-state', s));
      r.on('budget', (b) => {
        for (const w of b.warnings) ctx.log.warn({ camera: b.camera, code: w.code }, w.message);
        events.emit('recorder-state', r.status());
      });
      await r.start();
      recorders.set(c.name, r);
      ctx.log.info({ camera: c.name, mode: c.mode }, 'camera recording');
    } catch (e) {
      ctx.log.error(
        { camera: c.name, hint: isOutpostError(e) ? e.hint : undefined },
        `camera ${c.name} could not start: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };

  const startAll = async (path: string): Promise<void> => {
    if (ctx.config.cameras.length === 0) return;
    await stopAll();
    const drive = await openDrive(path);
    for (const c of ctx.config.cameras) if (!held.has(c.name)) await startOne(c, drive);
  };

  // Recordings are named and filed by the wall clock: while it looks wrong the cameras wait (or
  // pause), and start once it is right (README, "The clock").
  let attached: string | undefined;
  let running = false;
  const start = (path: string): void => {
    chain = chain
      .then(async () => {
        const watch = ctx.clockWatch;
        if (watch && ctx.config.cameras.length && !(await clockTrustedFor(watch, path, ctx.log))) {
          ctx.log.warn("cameras wait: the station's clock looks wrong (set it from a tablet, Status page)");
          return;
        }
        if (attached === path) {
          await startAll(path);
          running = true;
        }
      })
      .catch((err: unknown) => ctx.log.error({ err }, 'cameras'));
  };

  const cameraConfig = (name: string): Config['cameras'][number] => {
    const c = ctx.config.cameras.find((x) => x.name === name);
    if (!c) throw new OutpostError('CAMERA_NOT_FOUND', `no camera named ${JSON.stringify(name)}`);
    return c;
  };

  /**
   * Queued after what is asked already: camera `name`'s standing recorder stopped (if it runs),
   * then started again with its current settings unless there is no drive, the cameras wait for
   * the clock, or a fleet session holds it.
   */
  const restart = (name: string): Promise<void> => {
    const done = chain.then(async () => {
      const r = recorders.get(name);
      recorders.delete(name);
      if (r) await r.stop().catch((err: unknown) => ctx.log.warn({ err }, 'camera stop failed'));
      const c = ctx.config.cameras.find((x) => x.name === name);
      const path = attached;
      if (c && path && running && !held.has(name)) await startOne(c, await openDrive(path));
    });
    chain = done.catch((err: unknown) => ctx.log.error({ err }, 'cameras'));
    return done;
  };

  const hold = (name: string): Promise<() => void> => {
    const done = chain.then(async () => {
      held.add(name);
      const r = recorders.get(name);
      recorders.delete(name);
      if (r) {
        ctx.log.info({ camera: name }, 'camera handed to a fleet session');
        await r.stop().catch((err: unknown) => ctx.log.warn({ err }, 'camera stop failed'));
      }
    });
    chain = done.catch(() => undefined);
    return done.then(() => () => {
      held.delete(name);
      ctx.log.info({ camera: name }, 'camera back from its fleet session');
      void restart(name).catch(() => undefined);
    });
  };
  events.on('library-attached', ({ path }) => {
    attached = path;
    start(path);
  });
  events.on('library-detached', () => {
    attached = undefined;
    running = false;
    chain = chain.then(stopAll);
  });
  ctx.clockWatch?.on('change', (s) => {
    if (!attached || ctx.config.cameras.length === 0) return;
    if (s.state === 'trusted') start(attached);
    else {
      ctx.log.warn("cameras paused: the station's clock looks wrong (set it from a tablet, Status page)");
      running = false;
      chain = chain.then(stopAll);
    }
  });

  const applied = async (name: string): Promise<AppliedSettings> =>
    appliedSettings(await settingsOf(cameraConfig(name)), (await overrides).get(name));

  /** Change a camera's settings now: kept in the settings file, its pipeline restarted with them. */
  let configuring: Promise<unknown> = Promise.resolve();
  const configure = (name: string, patch: CameraPatch): Promise<AppliedSettings> => {
    // One change at a time: each reads the settings the one before left, and saves them whole.
    const next = configuring.then(() => configureOne(name, patch));
    configuring = next.catch(() => undefined);
    return next;
  };
  const configureOne = async (name: string, patch: CameraPatch): Promise<AppliedSettings> => {
    const c = cameraConfig(name);
    const all = await overrides;
    const next = withoutDefaults(mergePatch(all.get(name) ?? {}, patch), cameraSettingsOf(c, ctx.config));
    if ((next.width === undefined) !== (next.height === undefined))
      throw new OutpostError('INVALID_INPUT', 'width and height go together', {
        hint: 'Give both, or set both to null to record at the source size.',
      });
    // What the camera cannot take is refused before anything is kept (controls on a camera that
    // is not a Pi camera).
    try {
      withOverrides(cameraSettingsOf(c, ctx.config), next);
    } catch (e) {
      throw new OutpostError('INVALID_INPUT', e instanceof Error ? e.message : String(e), {
        hint: isOutpostError(e) && e.hint ? e.hint : 'Change or remove the setting the message names.',
      });
    }
    const before = all.get(name);
    // The same settings again (a retained push seen anew): nothing to restart.
    const same = (a: object | undefined, b: object): boolean =>
      JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b).sort());
    if (same(before, next)) return applied(name);
    if (Object.keys(next).length) all.set(name, next);
    else all.delete(name);
    try {
      await saveCameraOverrides(overridesFile, all);
    } catch (e) {
      if (before) all.set(name, before);
      else all.delete(name);
      throw driveError(e, overridesFile);
    }
    ctx.log.info({ camera: name, settings: next }, 'camera settings changed');
    await restart(name);
    return applied(name);
  };

  const control: CamerasControl = {
    settings: applied,
    configure,
    list: () => {
      const configured = ctx.config.cameras.map((c) => {
        const a = adopted.get(c.name);
        const st = (a?.r ?? recorders.get(c.name))?.status();
        return {
          name: c.name,
          mode: a?.o.mode ?? c.mode,
          state: st?.state ?? 'stopped',
          error: st?.lastExit ?? null,
          motionHighlight: highlighted(c.name),
          session: a?.o.session ?? null,
        };
      });
      const sessionOnly = [...adopted]
        .filter(([name]) => !ctx.config.cameras.some((c) => c.name === name))
        .map(([name, a]) => {
          const st = a.r.status();
          return {
            name,
            mode: a.o.mode,
            state: st.state,
            error: st.lastExit,
            motionHighlight: a.o.motionHighlight,
            session: a.o.session,
          };
        });
      return [...configured, ...sessionOnly];
    },
    hub: (name) => hubs.get(name),
  };

  const adopt = (name: string, r: Recorder, o: AdoptOptions): (() => void) => {
    adopted.set(name, { r, o });
    const onOutputs = liveFeed(name, hubFor(name));
    r.on('outputs', onOutputs);
    r.on('motion-box', forwardBox);
    return () => {
      r.off('outputs', onOutputs);
      r.off('motion-box', forwardBox);
      if (adopted.get(name)?.r === r) adopted.delete(name);
    };
  };

  return {
    control,
    status: () => [...recorders.values()].map((r) => r.status()),
    recorder: (name) => recorders.get(name),
    hold,
    adopt,
    configure,
    settled: () => chain,
    close: async () => {
      await chain;
      await stopAll();
      for (const f of feeds.values()) f.stop();
      for (const h of hubs.values()) h.close();
    },
  };
}
