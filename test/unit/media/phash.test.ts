import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hammingDistance, phashFromGrey32 } from '../../../src/media/phash.js';

const N = 32;

/** Bits of a 16-hex-char string, most significant first. */
function bitsOf(hex: string): number[] {
  return [...hex].flatMap((c) => {
    const n = parseInt(c, 16);
    return [3, 2, 1, 0].map((b) => (n >> b) & 1);
  });
}

/**
 * A 32x32 image built from DCT basis functions: for each kept frequency (u, v) in 1..8, a
 * cosine of amplitude +A (bit 1) or -A (bit 0). Its DCT coefficients are ±A·N²/4 (plus
 * rounding noise far smaller), so with as many ones as zeros the median is ~0 and the
 * hash must spell out the pattern, bit (v-1)*8 + (u-1) being frequency (u, v).
 */
function imageFromPattern(hex: string, amplitude = 1.5, base = 128): Uint8Array {
  const bits = bitsOf(hex);
  const px = new Uint8Array(N * N);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      let s = base;
      for (let v = 1; v <= 8; v++) {
        for (let u = 1; u <= 8; u++) {
          const sign = bits[(v - 1) * 8 + (u - 1)] ? 1 : -1;
          s +=
            sign *
            amplitude *
            Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N)) *
            Math.cos(((2 * y + 1) * v * Math.PI) / (2 * N));
        }
      }
      px[y * N + x] = Math.max(0, Math.min(255, Math.round(s)));
    }
  }
  return px;
}

describe('phash', () => {
  it('gives identical hashes for identical pixels, as 16 lowercase hex chars', () => {
    const a = new Uint8Array(N * N).map((_, i) => (i * 37) % 251);
    const b = new Uint8Array(N * N).map((_, i) => (i * 37) % 251);
    const h = phashFromGrey32(a);
    assert.match(h, /^[0-9a-f]{16}$/);
    assert.equal(phashFromGrey32(b), h);
  });

  it('reads a known DCT pattern back bit for bit', () => {
    for (const pattern of ['a5c3f00f3cc35a96', '0f0f0f0f0f0f0f0f', 'ffffffff00000000']) {
      assert.equal(
        bitsOf(pattern).reduce((a, b) => a + b, 0),
        32,
        'test patterns need 32 ones',
      );
      assert.equal(phashFromGrey32(imageFromPattern(pattern)), pattern);
    }
  });

  it('ignores overall brightness and contrast (no DC term)', () => {
    const pattern = 'a5c3f00f3cc35a96';
    assert.equal(phashFromGrey32(imageFromPattern(pattern, 1.5, 60)), pattern);
    assert.equal(phashFromGrey32(imageFromPattern(pattern, 1.2, 190)), pattern);
  });

  it('changes a little under noise and a lot for a different picture', () => {
    const img = imageFromPattern('a5c3f00f3cc35a96', 1.5);
    const noisy = img.map((p, i) => Math.max(0, Math.min(255, p + (((i * 7919) % 5) - 2))));
    const other = imageFromPattern('5a3c0ff0c33ca569', 1.5); // bitwise complement
    assert.ok(hammingDistance(phashFromGrey32(img), phashFromGrey32(noisy)) <= 8);
    assert.equal(hammingDistance(phashFromGrey32(img), phashFromGrey32(other)), 64);
  });

  it('rejects a buffer that is not 32x32 grey', () => {
    assert.throws(() => phashFromGrey32(new Uint8Array(32 * 32 * 3)), RangeError);
    assert.throws(() => phashFromGrey32(new Uint8Array(10)), RangeError);
  });
});

describe('hammingDistance', () => {
  it('counts differing bits', () => {
    assert.equal(hammingDistance('0000000000000000', '0000000000000000'), 0);
    assert.equal(hammingDistance('0000000000000000', 'ffffffffffffffff'), 64);
    assert.equal(hammingDistance('8000000000000000', '0000000000000001'), 2);
    assert.equal(hammingDistance('00000000ffffffff', '0000000000000000'), 32);
    assert.equal(hammingDistance('0123456789abcdef', '0123456789abcdee'), 1);
    assert.equal(hammingDistance('0123456789ABCDEF', '0123456789abcdef'), 0);
  });

  it('is symmetric', () => {
    assert.equal(
      hammingDistance('a5c3f00f3cc35a96', '0f0f0f0f0f0f0f0f'),
      hammingDistance('0f0f0f0f0f0f0f0f', 'a5c3f00f3cc35a96'),
    );
  });

  it('rejects malformed hashes', () => {
    assert.throws(() => hammingDistance('abc', '0000000000000000'), RangeError);
    assert.throws(() => hammingDistance('zzzzzzzzzzzzzzzz', '0000000000000000'), RangeError);
  });
});
