/**
 * Motion-mode parameters (`cameras[].motion` in the station config, which the composition root
 * passes in: config/motion.ts holds the schema, core/motion-defaults.ts the defaults).
 */
import { MOTION_DEFAULTS } from '../../core/motion-defaults.js';
import type { DetectorOptions } from './detector.js';
import type { EventOptions } from './events.js';
import type { Polygon } from './mask.js';

export interface MotionConfig {
  threshold: number;
  minArea: number;
  alpha: number;
  noiseFactor: number;
  despeckle: number;
  lightingShift: number;
  lightingFraction: number;
  minFrames: number;
  fps: number;
  height: number;
  preRollSeconds: number;
  postRollSeconds: number;
  mergeGapSeconds: number;
  maxEventSeconds: number;
  /** Polygons to ignore, in pixel coordinates of `maskSize`. */
  masks: readonly Polygon[];
  maskSize: { width: number; height: number };
}

/** Every default, for code and tests that do not read a config file. */
export const DEFAULT_MOTION_CONFIG: Readonly<MotionConfig> = MOTION_DEFAULTS;

/** Detector options for frames of `width × height` from a camera's motion config. */
export function detectorOptions(cfg: MotionConfig, width: number, height: number): DetectorOptions {
  return {
    width,
    height,
    threshold: cfg.threshold,
    minArea: cfg.minArea,
    alpha: cfg.alpha,
    noiseFactor: cfg.noiseFactor,
    despeckle: cfg.despeckle,
    lightingShift: cfg.lightingShift,
    lightingFraction: cfg.lightingFraction,
    masks: cfg.masks,
    maskSize: cfg.maskSize,
  };
}

/** Event-tracker options from a camera's motion config. */
export function eventOptions(cfg: MotionConfig): EventOptions {
  return {
    preRollSeconds: cfg.preRollSeconds,
    postRollSeconds: cfg.postRollSeconds,
    mergeGapSeconds: cfg.mergeGapSeconds,
    minFrames: cfg.minFrames,
    maxEventSeconds: cfg.maxEventSeconds,
  };
}
