/**
 * The fleet agent's cameras on a station: each session camera is a Recorder (the same pipeline
 * as `outpost record`) with the session's picture settings (rotation, flips, size, frame rate)
 * and segment length, started at the session's instant. Its first frame, segments (library items,
 * by their hash) and restarts (as gaps) go back to the agent.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../adapters/logger.js';
import type { Clock } from '../adapters/clock.js';
import type { RecordingHandle, RecordingOutput, RecordingPort } from '../fleet/agent.js';
import { OutpostError } from '../core/errors.js';
import { withControls } from '../recorder/rpicam-controls.js';
import { untilInstant } from '../fleet/instant.js';
import type { CameraPlan, LockedExposure, SessionPlan } from '../fleet/protocol.js';
import { withLockedControls } from '../recorder/exposure-lock.js';
import { meterExposure } from '../recorder/exposure-meter.js';
import { FRAMES_EXT, TTL_EXT } from '../recorder/timing/run-timing.js';
import { driveSpace } from '../recorder/budget.js';
import { parseSource } from '../recorder/sources.js';
import { DEFAULT_MOTION_CONFIG } from '../recorder/motion/config.js';
import {
  Recorder,
  type CameraSettings,
  type RecorderDeps,
  type RecorderSettings,
} from '../recorder/recorder.js';
import type { Drive } from '../library/drive.js';
import { sessionFolder } from '../library/layout.js';

export interface FleetRecordingOptions {
  /** The cameras this station has (a session naming another is refused). */
  cameras: string[];
  /** The library drive recordings go to (a function: the station's drive comes and goes). */
  drive: Drive | (() => Drive | undefined);
  /**
   * Each session recorder, once made (the station shows its segments and live view); what it
   * returns is called when the recorder stops.
   */
  onRecorder?: (camera: string, r: Recorder, plan: CameraPlan, session: SessionPlan) => (() => void) | void;
  /** The station's RTSP relay: where a camera with `rtsp: true` publishes, and is played from. */
  rtsp?: (camera: string) => Promise<{ publish: string; play: string }>;
  /** The station's own settings of a camera it configures (encoder, live view size, motion). */
  baseSettings?: (camera: string) => CameraSettings | undefined;
  /** Before a camera starts (the station stops its standing recorder), and after it stopped. */
  hold?: (camera: string) => Promise<() => void>;
  settings: RecorderSettings;
  deps: RecorderDeps;
  clock: Clock;
  log: Logger;
  /** How long before the instant a camera's pipeline starts (default PREPARE_MS). */
  prepareMs?: number;
  /** How long the first frame may take after the start instant (default 20 s). */
  firstFrameTimeoutMs?: number;
}

/**
 * A session camera's recorder settings: the plan's source, mode, segments and picture; its
 * recordings go to `library/<group>/<session>/<camera>/`. With `gateAtMs` (the machine's clock)
 * the pipeline may start early: frames before that instant are dropped.
 */
export function cameraSettingsOfPlan(
  plan: CameraPlan,
  session?: SessionPlan,
  gateAtMs?: number,
  base?: CameraSettings,
): CameraSettings {
  const ts = plan.timestamp;
  const live = base?.mjpeg;
  const transform = {
    ...(gateAtMs !== undefined ? { startAtMs: gateAtMs } : {}),
    ...(plan.rotation ? { rotation: plan.rotation } : {}),
    ...(plan.hflip ? { hflip: true } : {}),
    ...(plan.vflip ? { vflip: true } : {}),
    ...(plan.width && plan.height ? { width: plan.width, height: plan.height } : {}),
    ...(plan.fps ? { fps: plan.fps } : {}),
    ...(ts.enabled && ts.inRecording ? { timestamp: { position: ts.position } } : {}),
  };
  return {
    name: plan.camera,
    source: withControls(plan.source, plan.controls),
    mode: plan.mode,
    segmentSeconds: plan.segmentSeconds,
    copy: base?.copy ?? 'auto',
    stallSeconds: base?.stallSeconds ?? 15,
    ...(base?.encoder ? { encoder: base.encoder } : {}),
    // The live view: the station's size and rate for the camera, the plan's timestamp.
    ...(plan.live
      ? {
          mjpeg: {
            fps: live?.fps ?? 5,
            width: live?.width ?? 640,
            quality: live?.quality ?? 7,
            timestamp: ts.enabled,
            position: ts.position,
          },
        }
      : {}),
    ...(plan.mode === 'motion'
      ? { motion: { ...(base?.motion ?? DEFAULT_MOTION_CONFIG), ...(plan.motion ?? {}) } }
      : {}),
    ...(plan.audio ? { audio: plan.audio } : {}),
    // Every session recording keeps its frames' times beside it (and the TTL lines asked for);
    // they also anchor its time line on the recorded frames (docs/frame-timing.md).
    timing: plan.ttl ? { ttl: plan.ttl } : {},
    ...(Object.keys(transform).length ? { transform } : {}),
    ...(session ? { session: { group: session.group, session: session.name, id: session.id } } : {}),
  };
}

/** A metering run's own start (rpicam-vid opening the camera), before its settle time. */
export const METER_START_MS = 1500;

/** The values a metering run locked, as the session manifest records them. */
export function lockedExposureOf(m: Awaited<ReturnType<typeof meterExposure>>): LockedExposure {
  return {
    status: m.status,
    shutterUs: m.shutterUs,
    analogueGain: m.analogueGain,
    ...(m.digitalGain !== undefined ? { digitalGain: m.digitalGain } : {}),
    ...(m.colourGains ? { colourGains: m.colourGains } : {}),
    ...(m.lux !== undefined ? { lux: m.lux } : {}),
    settledAfterMs: m.settledAfterMs,
    ...(m.status === 'unsettled' ? { why: m.why } : {}),
  };
}

/** Pipelines start this long before a session's instant (ffmpeg up, source opened, encoder warm). */
export const PREPARE_MS = 2500;

export class RecorderRecordingPort implements RecordingPort {
  private readonly running = new Map<string, Recorder>();

  constructor(private readonly o: FleetRecordingOptions) {}

  cameras(): string[] {
    return this.o.cameras;
  }

  private drive(): Drive | undefined {
    return typeof this.o.drive === 'function' ? this.o.drive() : this.o.drive;
  }

  unavailable(): { code: 'NO_LIBRARY'; reason: string } | null {
    return this.drive()
      ? null
      : { code: 'NO_LIBRARY', reason: 'no library drive is plugged in: plug one in and start again' };
  }

  async freeBytes(): Promise<number | null> {
    const d = this.drive();
    return d ? ((await driveSpace(d.layout.root).catch(() => undefined))?.freeBytes ?? null) : null;
  }

  status(camera: string): { restarts: number; droppedFrames: number } {
    const s = this.running.get(camera)?.status();
    return { restarts: s?.restarts ?? 0, droppedFrames: s?.droppedFrames ?? 0 };
  }

  async start(
    plan: CameraPlan,
    session: SessionPlan,
    at: Date,
    out: RecordingOutput,
  ): Promise<RecordingHandle> {
    await this.running.get(plan.camera)?.stop();
    const drive = this.drive();
    if (!drive)
      throw new OutpostError('NOT_A_LIBRARY', 'no library drive is plugged in', {
        hint: 'Plug in a library drive.',
      });
    // The pipeline starts up to PREPARE_MS before the instant and drops frames until it (the
    // gate runs on the machine's own clock: the instant is translated from this station's clock).
    // An exposure lock meters the camera first (rpicam-vid's own start, then the settle time).
    const lockMs = plan.exposureLockS !== undefined ? plan.exposureLockS * 1000 : 0;
    await untilInstant(
      this.o.clock,
      at.getTime() - (this.o.prepareMs ?? PREPARE_MS) - (lockMs ? lockMs + METER_START_MS : 0),
    );
    const gateAtMs = at.getTime() - (this.o.clock.now().getTime() - Date.now());
    // Settings (and the source, with its controls) checked before the camera is taken.
    let settings = cameraSettingsOfPlan(plan, session, gateAtMs, this.o.baseSettings?.(plan.camera));
    parseSource(settings.source);
    const release = (await this.o.hold?.(plan.camera)) ?? (() => undefined);
    let exposure: LockedExposure | undefined;
    let rtspPlay: string | undefined;
    if (plan.rtsp && this.o.rtsp) {
      try {
        const u = await this.o.rtsp(plan.camera);
        settings = { ...settings, rtspUrl: u.publish };
        rtspPlay = u.play;
      } catch (e) {
        // The recording matters more than its stream: it goes on without, and the log says why.
        this.o.log.error({ camera: plan.camera, err: e }, 'fleet: no RTSP stream for this camera');
      }
    }
    if (lockMs) {
      try {
        // After the hold: the camera is free (one process at a time may open it).
        const m = await meterExposure({
          runner: this.o.deps.runner,
          source: settings.source,
          settleMs: lockMs,
        });
        settings = { ...settings, source: withLockedControls(settings.source, m) };
        exposure = lockedExposureOf(m);
        this.o.log.info({ camera: plan.camera, exposure }, 'fleet: exposure locked');
      } catch (e) {
        release();
        throw e;
      }
    }
    const r = new Recorder(settings, this.o.settings, drive, this.o.deps);
    this.running.set(plan.camera, r);
    const shown = this.o.onRecorder?.(plan.camera, r, plan, session);
    const unshow = (): void => {
      if (typeof shown === 'function') shown();
    };
    let lastEnd: string | undefined;
    // Only this session's segments: the recorder also places what an earlier run of the camera
    // left (the standing recorder's last segment, filed in the camera's own folder).
    const folder = `${sessionFolder({ group: session.group, session: session.name }, plan.camera)}/`;
    r.on('segment', (s) => {
      if (!s.path.startsWith(folder)) return;
      lastEnd = s.end;
      void stat(join(drive.layout.root, s.path))
        .then((st) => st.size)
        .catch(() => 0)
        .then((bytes) =>
          out.segment({ path: s.path, sha256: s.id, start: s.start, durationS: s.durationS ?? 0, bytes }),
        );
    });
    r.on('segment-failed', (f) => {
      const now = this.o.clock.now().toISOString();
      out.gap({ from: lastEnd ?? now, to: now, reason: `segment not kept: ${f.message}` });
    });
    let firstRun: number | undefined;
    let firstAt: string | undefined;
    let firstTimer: NodeJS.Timeout | undefined;
    const first = new Promise<Date>((resolve, reject) => {
      const t = (firstTimer = setTimeout(
        () =>
          reject(
            new Error(
              `camera ${plan.camera}: no frame ${(this.o.firstFrameTimeoutMs ?? 20_000) / 1000} s after the start`,
            ),
          ),
        Math.max(0, at.getTime() - this.o.clock.now().getTime()) + (this.o.firstFrameTimeoutMs ?? 20_000),
      ));
      r.on('first-frame', (f) => {
        if (firstRun === undefined) {
          firstRun = f.run;
          firstAt = new Date(f.atMs).toISOString();
          clearTimeout(t);
          resolve(new Date(f.atMs));
        } else if (f.run !== firstRun) {
          // A later run: the recorder restarted; what fell between (since the last segment kept,
          // or the first frame when none was) is a gap.
          out.gap({
            from: lastEnd ?? firstAt ?? new Date(f.atMs).toISOString(),
            to: new Date(f.atMs).toISOString(),
            reason: 'recorder restarted',
          });
        }
      });
    });
    r.on('state', (s) => {
      if (s.state === 'failed') out.failed(s.lastExit ?? 'the camera pipeline failed');
    });
    try {
      await r.start();
      const firstFrameAt = await first;
      return {
        firstFrameAt,
        applied: {
          ...(exposure ? { exposure } : {}),
          ...(rtspPlay ? { rtspUrl: rtspPlay } : {}),
          sidecars: [FRAMES_EXT, ...(plan.ttl ? [TTL_EXT] : [])],
        },
        stop: async () => {
          await r.stop();
          if (this.running.get(plan.camera) === r) this.running.delete(plan.camera);
          unshow();
          release();
        },
      };
    } catch (e) {
      // A start that failed before its first frame leaves no timer to reject a promise nobody awaits.
      clearTimeout(firstTimer);
      await r.stop().catch(() => undefined);
      this.running.delete(plan.camera);
      unshow();
      release();
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.stop().catch(() => undefined)));
    this.running.clear();
  }
}
