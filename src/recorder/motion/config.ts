/**
 * Motion-mode parameters as they appear under `cameras[].motion` in the station config. The
 * schema lives beside the detector so defaults are stated once; the config loader embeds it.
 */
import { z } from 'zod';
import type { DetectorOptions } from './detector.js';
import type { EventOptions } from './events.js';

const point = z.tuple([z.number(), z.number()]);

export const motionConfigSchema = z
  .strictObject({
    /** Per-pixel difference (grey levels, 0–255) from the background that counts as changed. */
    threshold: z.number().int().min(1).max(255).default(25),
    /** Smallest changed area that is motion, as a fraction of the (unmasked) frame. */
    minArea: z.number().gt(0).lt(1).default(0.005),
    /** Background learning rate per analysed frame (0.05 at 5 fps ≈ 4 s memory). */
    alpha: z.number().gt(0).max(1).default(0.05),
    /** Per-pixel noise floor: a pixel must also exceed this many times its own mean deviation. */
    noiseFactor: z.number().min(0).default(3),
    /** A changed pixel needs at least this many changed neighbours (of 8) to count; 0 = off. */
    despeckle: z.number().int().min(0).max(8).default(3),
    /** Median brightness shift (grey levels) that is a lighting change, not motion. */
    lightingShift: z.number().min(1).max(255).default(12),
    /** Share of the frame changing at once that is a lighting change, not motion. */
    lightingFraction: z.number().gt(0).max(1).default(0.5),
    /** Consecutive motion frames needed to start an event (debounce). */
    minFrames: z.number().int().min(1).default(2),
    /** Analysis frame rate and height of the grey frames (the width follows the aspect ratio). */
    fps: z.number().gt(0).max(30).default(5),
    height: z.number().int().min(60).max(480).default(120),
    preRollSeconds: z.number().min(0).max(60).default(5),
    postRollSeconds: z.number().min(0).max(300).default(5),
    /** Motion resuming within this many quiet seconds continues the same event. */
    mergeGapSeconds: z.number().min(0).max(600).default(10),
    /** A longer event is cut into several items (the RAM ring holds one event at most). */
    maxEventSeconds: z.number().min(5).max(3600).default(300),
    /**
     * Regions to ignore (a road, a tree in the wind): polygons in pixel coordinates of
     * `maskSize` (usually the camera resolution), scaled to the analysis frames.
     */
    masks: z.array(z.array(point).min(3)).default([]),
    maskSize: z
      .strictObject({ width: z.number().int().positive(), height: z.number().int().positive() })
      .default({ width: 640, height: 480 }),
  })
  .prefault({});

export type MotionConfig = z.infer<typeof motionConfigSchema>;

/** Every default, for code and tests that do not read a config file. */
export const DEFAULT_MOTION_CONFIG: MotionConfig = motionConfigSchema.parse(undefined);

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
