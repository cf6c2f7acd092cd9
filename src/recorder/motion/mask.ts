/**
 * Mask polygons → a per-pixel "look here" map, rasterised once when the detector is made.
 * Polygons are ignored regions given in pixel coordinates of a reference size (usually the
 * camera's resolution) and scaled to the analysis frame; a pixel is masked when its centre
 * lies inside any polygon (even-odd rule).
 */

/** `[x, y]` points in pixels of the reference size; at least three. */
export type Polygon = readonly (readonly [number, number])[];

/** 1 = analysed, 0 = masked out. */
export function rasterizeMasks(
  width: number,
  height: number,
  polygons: readonly Polygon[],
  reference: { width: number; height: number },
): Uint8Array {
  const active = new Uint8Array(width * height).fill(1);
  const sx = width / reference.width;
  const sy = height / reference.height;
  const xs = new Float64Array(64);
  for (const poly of polygons) {
    if (poly.length < 3) continue;
    const pts = poly.map(([x, y]) => [x * sx, y * sy] as const);
    for (let y = 0; y < height; y++) {
      const cy = y + 0.5;
      // Scanline: x positions where edges cross this row, sorted; fill between pairs.
      let k = 0;
      for (let a = 0, b = pts.length - 1; a < pts.length; b = a++) {
        const [ax, ay] = pts[a]!;
        const [bx, by] = pts[b]!;
        if (ay > cy !== by > cy && k < xs.length) xs[k++] = ax + ((cy - ay) * (bx - ax)) / (by - ay);
      }
      const row = Array.from(xs.subarray(0, k)).sort((p, q) => p - q);
      for (let j = 0; j + 1 < row.length; j += 2) {
        const from = Math.max(0, Math.ceil(row[j]! - 0.5));
        const to = Math.min(width - 1, Math.floor(row[j + 1]! - 0.5));
        for (let x = from; x <= to; x++) active[y * width + x] = 0;
      }
    }
  }
  return active;
}
