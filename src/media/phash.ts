/**
 * Perceptual hash (the classic DCT pHash): 2-D DCT of a 32x32 greyscale image, keep the 8x8
 * lowest frequencies without the DC row and column, and set a bit for each coefficient above
 * their median. Near-identical pictures (re-encoded, resized, slightly tinted) land within a
 * few bits of each other; the catalogue compares hashes with `hammingDistance`.
 */

/** Side of the greyscale square the hash is computed from. */
export const PHASH_INPUT_SIZE = 32;
const N = PHASH_INPUT_SIZE;
/** Frequencies kept per axis (1..8: the DC row and column carry only overall brightness). */
const K = 8;

/** COS[u][x] = cos((2x + 1) u π / 2N) for u in 0..K: only the low frequencies are ever needed. */
const COS: Float64Array[] = Array.from({ length: K + 1 }, (_, u) => {
  const row = new Float64Array(N);
  for (let x = 0; x < N; x++) row[x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  return row;
});

/**
 * 64-bit pHash of a 32x32 single-channel (greyscale) raw pixel buffer, row-major.
 * Returns 16 lowercase hex characters, most significant bit first (row-major over the 8x8 block).
 */
export function phashFromGrey32(pixels: Uint8Array): string {
  if (pixels.length !== N * N) {
    throw new RangeError(`phash needs ${N * N} greyscale pixels (${N}x${N}), got ${pixels.length}`);
  }
  // Separable DCT-II, only for the frequencies we keep: first along x (rows), then along y.
  // Normalisation factors are constant across the kept coefficients (u, v >= 1), so they do
  // not change which side of the median a coefficient falls; they are left out.
  const rowDct = new Float64Array(N * K); // [y][u-1]
  for (let y = 0; y < N; y++) {
    const off = y * N;
    for (let u = 1; u <= K; u++) {
      const c = COS[u] as Float64Array;
      let s = 0;
      for (let x = 0; x < N; x++) s += (pixels[off + x] as number) * (c[x] as number);
      rowDct[y * K + (u - 1)] = s;
    }
  }
  const coeffs = new Float64Array(K * K); // [v-1][u-1]
  for (let v = 1; v <= K; v++) {
    const c = COS[v] as Float64Array;
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += (rowDct[y * K + u] as number) * (c[y] as number);
      coeffs[(v - 1) * K + u] = s;
    }
  }
  const sorted = Float64Array.from(coeffs).sort();
  const median = ((sorted[31] as number) + (sorted[32] as number)) / 2;
  let hex = '';
  for (let nibble = 0; nibble < 16; nibble++) {
    let n = 0;
    for (let b = 0; b < 4; b++) n = (n << 1) | ((coeffs[nibble * 4 + b] as number) > median ? 1 : 0);
    hex += n.toString(16);
  }
  return hex;
}

const HEX16 = /^[0-9a-f]{16}$/i;

/** Number of differing bits between two 16-hex-char hashes (0..64). */
export function hammingDistance(a: string, b: string): number {
  if (!HEX16.test(a) || !HEX16.test(b)) throw new RangeError(`not a 64-bit hex hash: ${a} / ${b}`);
  let d = 0;
  for (let i = 0; i < 16; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x) {
      x &= x - 1;
      d++;
    }
  }
  return d;
}
