/**
 * The motion detector's defaults (`cameras[].motion` in the config). Here, below both, so the
 * config schema that states them to users and the recorder that runs cameras built without a
 * config file share one copy; the recorder declares the settings' type (recorder/motion/config.ts).
 */
export const MOTION_DEFAULTS = Object.freeze({
  threshold: 25,
  minArea: 0.005,
  alpha: 0.05,
  noiseFactor: 3,
  despeckle: 3,
  lightingShift: 12,
  lightingFraction: 0.5,
  minFrames: 2,
  fps: 5,
  height: 120,
  preRollSeconds: 5,
  postRollSeconds: 5,
  mergeGapSeconds: 10,
  maxEventSeconds: 300,
  /** No masks: every pixel counts. */
  masks: Object.freeze([]),
  maskSize: Object.freeze({ width: 640, height: 480 }),
});
