/** Config (`cameras:`, `recorder:`) → recorder settings (the composition root's part). Pure. */
import type { Config } from '../config/schema.js';
import { timingSettingsOf } from '../config/timing.js';
import type { CameraSettings, RecorderSettings } from '../recorder/recorder.js';

export type CameraConfig = Config['cameras'][number];

const GB = 1e9;

/** A camera as configured; partial input (from CLI flags) takes the schema's defaults. */
export function cameraSettingsOf(
  c: Pick<CameraConfig, 'name' | 'source' | 'mode' | 'segmentSeconds'> & Partial<CameraConfig>,
  _config: Pick<Config, 'recorder'>,
): CameraSettings {
  const live = c.live;
  return {
    name: c.name,
    source: c.source,
    mode: c.mode,
    segmentSeconds: c.segmentSeconds,
    copy: c.copy ?? 'auto',
    stallSeconds: c.stallSeconds ?? 15,
    ...(c.encoder ? { encoder: c.encoder } : {}),
    ...(c.motion ? { motion: c.motion } : {}),
    ...(live?.enabled
      ? {
          mjpeg: {
            fps: live.fps,
            width: live.width,
            timestamp: live.timestamp,
            position: live.timestampPosition,
            quality: 7,
          },
        }
      : {}),
    ...(live?.motionHighlight !== undefined ? { motionHighlight: live.motionHighlight } : {}),
    ...(c.audio ? { audio: c.audio } : {}),
    ...(c.rtsp ? { rtsp: true } : {}),
    ...(c.timing ? { timing: timingSettingsOf(c.timing) } : {}),
    ...(c.budget?.maxGB !== undefined ? { maxBytes: c.budget.maxGB * GB } : {}),
  };
}

export function recorderSettingsOf(config: Pick<Config, 'recorder'>): RecorderSettings {
  return {
    minFreeBytes: config.recorder.minFreeGB * GB,
    deleteUnsent: config.recorder.deleteUnsent,
    ringRoot: config.recorder.ringDir,
  };
}
