/**
 * Motion detector on low-resolution grey frames. Pure and allocation-free per frame: every
 * buffer is sized once for the frame size, and each frame is a few linear passes over
 * typed arrays (≈ 20 k pixels at 160×120, so microseconds, not milliseconds).
 *
 * Per frame:
 *  1. 3×3 box blur (sensor noise and compression shimmer average out).
 *  2. Difference from a running-average background, minus the frame's median difference, so a
 *     uniform brightness shift (auto-exposure, a light switched on) does not count.
 *  3. A pixel changed when that difference exceeds both `threshold` and `noiseFactor` × its own
 *     mean deviation (pixels that always flicker — leaves, water — get a higher bar).
 *  4. Despeckle: a changed pixel needs `despeckle` changed neighbours.
 *  5. Lighting guard: a large median shift, or most of the frame changing at once, is a lighting
 *     change: the background is re-learnt from this frame and nothing is reported as motion.
 *  6. Motion when the changed share of the unmasked frame reaches `minArea`.
 */
import { rasterizeMasks, type Polygon } from './mask.js';

/** A rectangle as fractions of the frame (0–1), so it maps onto any rendition of the video. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface DetectorResult {
  /** changedFraction ÷ minArea: 1 is the motion threshold, 10 is ten times the minimum area. */
  score: number;
  /** Share of the unmasked frame that changed (after despeckle). */
  changedFraction: number;
  /** Bounding box of the changed pixels, or null when none changed. */
  box: Box | null;
  /** A sudden global change: the background was re-learnt and the frame is not motion. */
  lightingChange: boolean;
  motion: boolean;
}

export interface DetectorOptions {
  width: number;
  height: number;
  /** Per-pixel difference (grey levels) that counts as changed. Default 25. */
  threshold?: number;
  /** Minimum changed share of the unmasked frame. Default 0.005. */
  minArea?: number;
  /** Background learning rate per frame. Default 0.05. */
  alpha?: number;
  /** Per-pixel noise floor multiplier (× the pixel's mean absolute deviation). Default 3. */
  noiseFactor?: number;
  /** Changed neighbours (of 8) a changed pixel needs. Default 3; 0 turns it off. */
  despeckle?: number;
  /** 3×3 box blur before differencing. Default true. */
  blur?: boolean;
  /** Median shift (grey levels) that is a lighting change. Default 12. */
  lightingShift?: number;
  /** Share of the frame changing at once that is a lighting change. Default 0.5. */
  lightingFraction?: number;
  /** Regions to ignore, in pixel coordinates of `maskSize`. */
  masks?: readonly Polygon[];
  /** The size the mask coordinates refer to. Default: the frame size. */
  maskSize?: { width: number; height: number };
}

export interface MotionDetector {
  /** Analyse one frame (`width × height` grey bytes). The first frame only primes the background. */
  detect(frame: Uint8Array): DetectorResult;
  /** Forget the background (after the camera moved or restarted). */
  reset(): void;
  readonly width: number;
  readonly height: number;
}

const NO_MOTION: DetectorResult = {
  score: 0,
  changedFraction: 0,
  box: null,
  lightingChange: false,
  motion: false,
};

export function createMotionDetector(opts: DetectorOptions): MotionDetector {
  const { width: w, height: h } = opts;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 3 || h < 3)
    throw new RangeError(`motion detector: bad frame size ${w}×${h}`);
  const n = w * h;
  const threshold = opts.threshold ?? 25;
  const minArea = opts.minArea ?? 0.005;
  const alpha = opts.alpha ?? 0.05;
  const alphaChanged = alpha / 20;
  const noiseFactor = opts.noiseFactor ?? 3;
  const despeckle = opts.despeckle ?? 3;
  const blur = opts.blur ?? true;
  const lightingShift = opts.lightingShift ?? 12;
  const lightingFraction = opts.lightingFraction ?? 0.5;

  const active = rasterizeMasks(w, h, opts.masks ?? [], opts.maskSize ?? { width: w, height: h });
  let activeCount = 0;
  for (let i = 0; i < n; i++) activeCount += active[i]!;

  const cur = new Uint8Array(n);
  const rowSum = new Uint16Array(n);
  const bg = new Float32Array(n);
  const noise = new Float32Array(n);
  const changed = new Uint8Array(n);
  const kept = new Uint8Array(n);
  const hist = new Uint32Array(511);
  let primed = false;

  function smooth(frame: Uint8Array): void {
    if (!blur) {
      cur.set(frame);
      return;
    }
    // Separable 3×3 box sum, edges clamped: a horizontal pass then a vertical one.
    for (let y = 0; y < h; y++) {
      const o = y * w;
      for (let x = 0; x < w; x++) {
        const l = x > 0 ? x - 1 : 0;
        const r = x < w - 1 ? x + 1 : w - 1;
        rowSum[o + x] = frame[o + l]! + frame[o + x]! + frame[o + r]!;
      }
    }
    for (let y = 0; y < h; y++) {
      const up = (y > 0 ? y - 1 : 0) * w;
      const dn = (y < h - 1 ? y + 1 : h - 1) * w;
      const o = y * w;
      for (let x = 0; x < w; x++) cur[o + x] = (rowSum[up + x]! + rowSum[o + x]! + rowSum[dn + x]! + 4) / 9;
    }
  }

  /** Median of (frame − background) over the unmasked pixels, from a 511-bin histogram. */
  function medianShift(): number {
    hist.fill(0);
    for (let i = 0; i < n; i++) if (active[i]) hist[Math.round(cur[i]! - bg[i]!) + 255]!++;
    const half = activeCount / 2;
    let acc = 0;
    for (let b = 0; b < 511; b++) {
      acc += hist[b]!;
      if (acc >= half) return b - 255;
    }
    return 0;
  }

  function learn(shift: number): void {
    for (let i = 0; i < n; i++) {
      const d = cur[i]! - bg[i]!;
      // Changed pixels learn slowly too: a parked car joins the background, and a patch that
      // never stops flickering (leaves, water) raises its own noise floor within a minute.
      const a = kept[i] ? alphaChanged : alpha;
      bg[i] = bg[i]! + a * d;
      noise[i] = noise[i]! + a * (Math.abs(d - shift) - noise[i]!);
    }
  }

  function detect(frame: Uint8Array): DetectorResult {
    if (frame.length !== n)
      throw new RangeError(`motion detector: frame has ${frame.length} bytes, want ${n}`);
    smooth(frame);
    if (!primed || activeCount === 0) {
      bg.set(cur);
      primed = true;
      return NO_MOTION;
    }
    const shift = medianShift();
    let raw = 0;
    for (let i = 0; i < n; i++) {
      let c = 0;
      if (active[i]) {
        const dev = Math.abs(cur[i]! - bg[i]! - shift);
        const floor = noiseFactor * noise[i]!;
        if (dev > threshold && dev > floor) c = 1;
      }
      changed[i] = c;
      raw += c;
    }
    const rawFraction = raw / activeCount;
    if (Math.abs(shift) >= lightingShift || rawFraction >= lightingFraction) {
      bg.set(cur);
      kept.fill(0);
      return { ...NO_MOTION, changedFraction: rawFraction, lightingChange: true };
    }

    let count = 0;
    let minX = w;
    let minY = h;
    let maxX = -1;
    let maxY = -1;
    for (let y = 0; y < h; y++) {
      const o = y * w;
      for (let x = 0; x < w; x++) {
        const i = o + x;
        let k = changed[i]!;
        if (k && despeckle > 0) {
          let nb = 0;
          if (y > 0) {
            const u = i - w;
            nb += changed[u]! + (x > 0 ? changed[u - 1]! : 0) + (x < w - 1 ? changed[u + 1]! : 0);
          }
          if (y < h - 1) {
            const d = i + w;
            nb += changed[d]! + (x > 0 ? changed[d - 1]! : 0) + (x < w - 1 ? changed[d + 1]! : 0);
          }
          nb += (x > 0 ? changed[i - 1]! : 0) + (x < w - 1 ? changed[i + 1]! : 0);
          if (nb < despeckle) k = 0;
        }
        kept[i] = k;
        if (k) {
          count++;
          if (x < minX) minX = x;
          if (x > maxX) maxX = x;
          if (y < minY) minY = y;
          if (y > maxY) maxY = y;
        }
      }
    }
    learn(shift);
    const changedFraction = count / activeCount;
    const box =
      count > 0 ? { x: minX / w, y: minY / h, w: (maxX - minX + 1) / w, h: (maxY - minY + 1) / h } : null;
    const score = changedFraction / minArea;
    return { score, changedFraction, box, lightingChange: false, motion: changedFraction >= minArea };
  }

  return {
    width: w,
    height: h,
    detect,
    reset() {
      primed = false;
      noise.fill(0);
      kept.fill(0);
    },
  };
}
