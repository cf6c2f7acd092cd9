/**
 * Pinch-zoom and pan of a picture, as pure arithmetic: the view is a scale and an offset (in CSS
 * pixels, from the picture's resting place) applied as `translate(x, y) scale(s)` with the origin
 * at the centre. Kept pure so the gesture code stays small and the maths is tested alone.
 */
export interface View {
  scale: number;
  x: number;
  y: number;
}

export interface Point {
  x: number;
  y: number;
}

export const REST: View = { scale: 1, x: 0, y: 0 };
export const MAX_SCALE = 8;

const dist = (a: Point, b: Point): number => Math.hypot(a.x - b.x, a.y - b.y);
const mid = (a: Point, b: Point): Point => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });

/**
 * Keep the picture covering its box: no zoom below 1, no pan that shows beyond its edges.
 * `w`/`h` are the picture's size at scale 1.
 */
export function clampView(v: View, w: number, h: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(1, v.scale));
  if (scale === 1) return REST;
  const mx = (w * (scale - 1)) / 2;
  const my = (h * (scale - 1)) / 2;
  return { scale, x: Math.min(mx, Math.max(-mx, v.x)), y: Math.min(my, Math.max(-my, v.y)) };
}

/**
 * Two fingers moved from (a0, b0) to (a1, b1): scale by how far apart they are now and keep the
 * point under their midpoint under it. `centre` is the picture's centre on screen at `start`.
 */
export function pinch(start: View, centre: Point, a0: Point, b0: Point, a1: Point, b1: Point): View {
  const d0 = dist(a0, b0);
  if (d0 < 1) return start;
  const k = Math.min(MAX_SCALE, Math.max(1, (start.scale * dist(a1, b1)) / d0)) / start.scale;
  const m0 = mid(a0, b0);
  const m1 = mid(a1, b1);
  // The picture point under m0 (relative to the centre, before the move) must land under m1.
  const ox = m0.x - (centre.x + start.x);
  const oy = m0.y - (centre.y + start.y);
  return {
    scale: start.scale * k,
    x: start.x + (m1.x - m0.x) + ox * (1 - k),
    y: start.y + (m1.y - m0.y) + oy * (1 - k),
  };
}

/** One finger dragged a zoomed picture. */
export function pan(start: View, from: Point, to: Point): View {
  return { ...start, x: start.x + to.x - from.x, y: start.y + to.y - from.y };
}

/** A double tap: zoom to 2.5× at the tapped point, or back to rest when zoomed. */
export function toggleZoom(v: View, centre: Point, at: Point): View {
  if (v.scale > 1) return REST;
  const k = 2.5;
  return { scale: k, x: (centre.x - at.x) * (k - 1), y: (centre.y - at.y) * (k - 1) };
}

/** A finished one-finger stroke: a swipe to the next (-1 = left) or previous item, or nothing. */
export function swipeOf(from: Point, to: Point, ms: number): -1 | 1 | 0 {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  if (Math.abs(dx) < 60 || Math.abs(dx) < 2 * Math.abs(dy) || ms > 800) return 0;
  return dx < 0 ? -1 : 1;
}
