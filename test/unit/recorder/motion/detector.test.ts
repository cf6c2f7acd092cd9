import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMotionDetector, type DetectorResult } from '../../../../src/recorder/motion/detector.js';
import { rasterizeMasks } from '../../../../src/recorder/motion/mask.js';

const W = 160;
const H = 120;

/** Deterministic pseudo-random numbers (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A textured scene: gradients plus fixed texture, values 40–200. */
function scene(): Uint8Array {
  const r = lcg(7);
  const f = new Uint8Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) f[y * W + x] = 40 + Math.round((x / W) * 80 + (y / H) * 40 + r() * 40);
  return f;
}

const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

/** The scene with sensor noise (±amp, different every frame) and optional edits. */
function frame(
  base: Uint8Array,
  rnd: () => number,
  amp: number,
  edit?: (x: number, y: number, v: number) => number,
): Uint8Array {
  const f = new Uint8Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let v = base[y * W + x]!;
      if (edit) v = edit(x, y, v);
      f[y * W + x] = clamp(v + (rnd() * 2 - 1) * amp);
    }
  return f;
}

const square = (x0: number, y0: number, size: number, value: number) => (x: number, y: number, v: number) =>
  x >= x0 && x < x0 + size && y >= y0 && y < y0 + size ? value : v;

function warm(
  det: ReturnType<typeof createMotionDetector>,
  base: Uint8Array,
  rnd: () => number,
  n = 20,
): void {
  for (let i = 0; i < n; i++) det.detect(frame(base, rnd, 8));
}

describe('motion detector', () => {
  it('sees no motion in a static scene with per-frame sensor noise', () => {
    const base = scene();
    const rnd = lcg(1);
    const det = createMotionDetector({ width: W, height: H });
    const results: DetectorResult[] = [];
    for (let i = 0; i < 200; i++) results.push(det.detect(frame(base, rnd, 12)));
    assert.equal(results.filter((r) => r.motion).length, 0);
    assert.equal(results.filter((r) => r.lightingChange).length, 0);
    assert.ok(Math.max(...results.map((r) => r.changedFraction)) < 0.001);
  });

  it('finds a moving blob and boxes it', () => {
    const base = scene();
    const rnd = lcg(2);
    const det = createMotionDetector({ width: W, height: H });
    warm(det, base, rnd);
    for (let step = 0; step < 10; step++) {
      const x0 = 20 + step * 8;
      const r = det.detect(frame(base, rnd, 8, square(x0, 50, 20, 250)));
      assert.ok(r.motion, `step ${step}: ${JSON.stringify(r)}`);
      assert.equal(r.lightingChange, false);
      assert.ok(r.score >= 1);
      const b = r.box!;
      // The blob is 20×20 at (x0, 50); blur may widen it by a pixel, the uncovered trail is background.
      assert.ok(Math.abs(b.x * W - x0) <= 2, `box x ${b.x * W} vs ${x0}`);
      assert.ok(Math.abs(b.y * H - 50) <= 2, `box y ${b.y * H}`);
      assert.ok(b.w * W >= 18 && b.w * W <= 32, `box w ${b.w * W}`);
      assert.ok(Math.abs(b.h * H - 20) <= 3, `box h ${b.h * H}`);
    }
  });

  it('ignores a blob smaller than the minimum area, and single-pixel specks', () => {
    const base = scene();
    const rnd = lcg(3);
    const det = createMotionDetector({ width: W, height: H, minArea: 0.01 });
    warm(det, base, rnd);
    // 10×10 = 0.52 % of the frame: changed, but below 1 %.
    const small = det.detect(frame(base, rnd, 8, square(30, 30, 10, 250)));
    assert.equal(small.motion, false);
    assert.ok(small.changedFraction > 0.003 && small.changedFraction < 0.01);
    const specks = det.detect(frame(base, rnd, 8, (x, y, v) => ((x * 7 + y * 13) % 97 === 0 ? 255 : v)));
    assert.equal(specks.changedFraction, 0, 'isolated pixels are despeckled');
  });

  it('treats a global brightness step as a lighting change, not motion, and re-learns', () => {
    const base = scene();
    const rnd = lcg(4);
    const det = createMotionDetector({ width: W, height: H });
    warm(det, base, rnd);
    const step = det.detect(frame(base, rnd, 8, (_x, _y, v) => v + 40));
    assert.equal(step.lightingChange, true);
    assert.equal(step.motion, false);
    for (let i = 0; i < 20; i++) {
      const r = det.detect(frame(base, rnd, 8, (_x, _y, v) => v + 40));
      assert.equal(r.motion, false, `frame ${i} after the step`);
      assert.equal(r.lightingChange, false, 'the new level is the background now');
    }
    // And back down.
    assert.equal(det.detect(frame(base, rnd, 8)).lightingChange, true);
  });

  it('treats a non-uniform darkening (gain + gamma) of the whole frame as lighting', () => {
    const base = scene();
    const rnd = lcg(5);
    const det = createMotionDetector({ width: W, height: H });
    warm(det, base, rnd);
    const r = det.detect(frame(base, rnd, 8, (_x, _y, v) => 255 * Math.pow(v / 255, 1.6) * 0.8));
    assert.equal(r.lightingChange, true);
    assert.equal(r.motion, false);
  });

  it('compensates a small uniform shift below the lighting guard (no motion, no lighting change)', () => {
    const base = scene();
    const rnd = lcg(6);
    const det = createMotionDetector({ width: W, height: H, threshold: 15 });
    warm(det, base, rnd);
    const r = det.detect(frame(base, rnd, 4, (_x, _y, v) => v + 10));
    assert.equal(r.lightingChange, false);
    assert.equal(r.motion, false);
  });

  it('ignores motion inside a mask polygon (given at another resolution), not outside', () => {
    const base = scene();
    const rnd = lcg(8);
    // Mask the left half at 640×480 reference coordinates.
    const masks = [
      [
        [0, 0],
        [320, 0],
        [320, 480],
        [0, 480],
      ] as const,
    ];
    const det = createMotionDetector({ width: W, height: H, masks, maskSize: { width: 640, height: 480 } });
    warm(det, base, rnd);
    const inside = det.detect(frame(base, rnd, 8, square(20, 40, 24, 250)));
    assert.equal(inside.motion, false);
    assert.equal(inside.box, null);
    const outside = det.detect(frame(base, rnd, 8, square(110, 40, 24, 250)));
    assert.equal(outside.motion, true);
    assert.ok(outside.box!.x >= 0.5);
  });

  it('learns a patch that never stops flickering (per-pixel noise floor)', () => {
    const base = scene();
    const rnd = lcg(9);
    const det = createMotionDetector({ width: W, height: H });
    warm(det, base, rnd);
    const flicker = (i: number) => (x: number, y: number, v: number) =>
      x >= 100 && x < 130 && y >= 10 && y < 40 ? v + (i % 2 === 0 ? 45 : -45) : v;
    const early = det.detect(frame(base, rnd, 8, flicker(0)));
    assert.equal(early.motion, true, 'new flicker is motion at first');
    let late: DetectorResult | undefined;
    for (let i = 1; i < 600; i++) late = det.detect(frame(base, rnd, 8, flicker(i)));
    assert.equal(late!.motion, false, JSON.stringify(late));
    // Something moving elsewhere is still seen.
    const blob = det.detect(
      frame(base, rnd, 8, (x, y, v) => square(20, 70, 20, 250)(x, y, flicker(600)(x, y, v))),
    );
    assert.equal(blob.motion, true);
    assert.ok(blob.box!.x < 0.3);
  });

  it('rejects frames of the wrong size', () => {
    const det = createMotionDetector({ width: W, height: H });
    assert.throws(() => det.detect(new Uint8Array(10)), RangeError);
  });
});

describe('rasterizeMasks', () => {
  it('masks pixel centres inside a polygon, scaled from the reference size', () => {
    const tri = [
      [0, 0],
      [20, 0],
      [0, 20],
    ] as const;
    const m = rasterizeMasks(10, 10, [tri], { width: 20, height: 20 });
    // Scaled to (0,0),(10,0),(0,10): a pixel is masked when its centre is inside, x+0.5 + y+0.5 < 10
    // (centres exactly on the hypotenuse may go either way).
    for (let y = 0; y < 10; y++)
      for (let x = 0; x < 10; x++)
        if (x + y + 1 !== 10) assert.equal(m[y * 10 + x], x + y + 1 < 10 ? 0 : 1, `(${x},${y})`);
    assert.equal(m.reduce((a, v) => a + v, 0) >= 100 - 55 && m.reduce((a, v) => a + v, 0) <= 100 - 45, true);
  });
});
