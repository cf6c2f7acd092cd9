/**
 * `cameras[].motion` in the station config: the motion detector, event windows, pre/post-roll.
 * The recorder declares what it needs (recorder/motion/config.ts); the defaults are core's.
 */
import { z } from 'zod';
import { MOTION_DEFAULTS as D } from '../core/motion-defaults.js';

const point = z.tuple([z.number(), z.number()]);

export const motionConfigSchema = z
  .strictObject({
    /** Per-pixel difference (grey levels, 0–255) from the background that counts as changed. */
    threshold: z.number().int().min(1).max(255).default(D.threshold),
    /** Smallest changed area that is motion, as a fraction of the (unmasked) frame. */
    minArea: z.number().gt(0).lt(1).default(D.minArea),
    /** Background learning rate per analysed frame (0.05 at 5 fps ≈ 4 s memory). */
    alpha: z.number().gt(0).max(1).default(D.alpha),
    /** Per-pixel noise floor: a pixel must also exceed this many times its own mean deviation. */
    noiseFactor: z.number().min(0).default(D.noiseFactor),
    /** A changed pixel needs at least this many changed neighbours (of 8) to count; 0 = off. */
    despeckle: z.number().int().min(0).max(8).default(D.despeckle),
    /** Median brightness shift (grey levels) that is a lighting change, not motion. */
    lightingShift: z.number().min(1).max(255).default(D.lightingShift),
    /** Share of the frame changing at once that is a lighting change, not motion. */
    lightingFraction: z.number().gt(0).max(1).default(D.lightingFraction),
    /** Consecutive motion frames needed to start an event (debounce). */
    minFrames: z.number().int().min(1).default(D.minFrames),
    /** Analysis frame rate and height of the grey frames (the width follows the aspect ratio). */
    fps: z.number().gt(0).max(30).default(D.fps),
    height: z.number().int().min(60).max(480).default(D.height),
    preRollSeconds: z.number().min(0).max(60).default(D.preRollSeconds),
    postRollSeconds: z.number().min(0).max(300).default(D.postRollSeconds),
    /** Motion resuming within this many quiet seconds continues the same event. */
    mergeGapSeconds: z.number().min(0).max(600).default(D.mergeGapSeconds),
    /** A longer event is cut into several items (the RAM ring holds one event at most). */
    maxEventSeconds: z.number().min(5).max(3600).default(D.maxEventSeconds),
    /**
     * Regions to ignore (a road, a tree in the wind): polygons in pixel coordinates of
     * `maskSize` (usually the camera resolution), scaled to the analysis frames.
     */
    masks: z.array(z.array(point).min(3)).default(() => [...D.masks]),
    maskSize: z
      .strictObject({ width: z.number().int().positive(), height: z.number().int().positive() })
      .default(() => ({ ...D.maskSize })),
  })
  .prefault({});
