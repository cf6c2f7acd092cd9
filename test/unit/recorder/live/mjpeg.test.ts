import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { JpegSplitter, looksLikeJpeg } from '../../../../src/recorder/live/mjpeg.js';
import { prng } from '../../../kit/prng.js';

const seg = (marker: number, payload: number[]): number[] => {
  const len = payload.length + 2;
  return [0xff, marker, len >> 8, len & 0xff, ...payload];
};

/**
 * A JPEG by marker structure, with the traps a naive FF D9 search falls into: an APP1 segment
 * holding a whole "thumbnail" (its own SOI..EOI), fill bytes, stuffed FF 00 and restart markers
 * in the entropy-coded data.
 */
function syntheticJpeg(n: number, entropyBytes = 200): Buffer {
  const rnd = prng(1000 + n);
  const entropy: number[] = [];
  for (let i = 0; i < entropyBytes; i++) {
    const b = Math.floor(rnd() * 256);
    entropy.push(b);
    if (b === 0xff) entropy.push(0x00); // byte stuffing
    if (i % 50 === 49) entropy.push(0xff, 0xd0 + ((i / 50) % 8)); // RSTn
  }
  return Buffer.from([
    0xff,
    0xd8,
    ...seg(0xe1, [0x45, 0x78, 0x69, 0x66, 0, 0, 0xff, 0xd8, 0xff, 0xd9, n & 0xff]),
    ...seg(
      0xdb,
      Array.from({ length: 65 }, (_, i) => (i * 7 + n) & 0x7f),
    ),
    0xff, // a fill byte before a marker is allowed
    ...seg(0xc0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]),
    ...seg(0xda, [1, 1, 0, 0, 0x3f, 0]),
    ...entropy,
    0xff,
    0xd9,
  ]);
}

function chunked(stream: Buffer, rnd: () => number, maxChunk: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length;) {
    const n = 1 + Math.floor(rnd() * maxChunk);
    out.push(stream.subarray(i, i + n));
    i += n;
  }
  return out;
}

function splitAll(splitter: JpegSplitter, chunks: Buffer[]): Buffer[] {
  return chunks.flatMap((c) => splitter.push(c));
}

describe('JpegSplitter', () => {
  it('returns every frame byte for byte, whatever the chunking', async () => {
    const real = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a7' } })
      .jpeg({ quality: 80 })
      .toBuffer();
    const frames = [syntheticJpeg(1), real, syntheticJpeg(2, 2000), syntheticJpeg(3), real];
    const stream = Buffer.concat(frames);
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = prng(seed);
      const max = seed % 3 === 0 ? 3 : seed % 3 === 1 ? 64 : 4096;
      const got = splitAll(new JpegSplitter(), chunked(stream, rnd, max));
      assert.equal(got.length, frames.length, `seed ${seed}`);
      got.forEach((f, i) => assert.ok(f.equals(frames[i]!), `seed ${seed} frame ${i}`));
    }
    // One byte at a time, the worst case for markers split across chunks.
    const bytes = [...stream].map((b) => Buffer.from([b]));
    const got = splitAll(new JpegSplitter(), bytes);
    assert.deepEqual(
      got.map((f) => f.length),
      frames.map((f) => f.length),
    );
  });

  it('skips garbage before, between and after frames (a stream joined mid-frame)', () => {
    const a = syntheticJpeg(4);
    const b = syntheticJpeg(5);
    const torn = a.subarray(a.length / 2); // the tail of a frame: no SOI
    const garbage = Buffer.from([0x00, 0xff, 0xff, 0x12, 0xff, 0x00, 0xd9, 0xff, 0xd9, 0x47]);
    const stream = Buffer.concat([torn, garbage, a, garbage, b, garbage]);
    for (let seed = 1; seed <= 50; seed++) {
      const s = new JpegSplitter();
      const got = splitAll(s, chunked(stream, prng(seed), 17));
      assert.equal(got.length, 2, `seed ${seed}`);
      assert.ok(got[0]!.equals(a));
      assert.ok(got[1]!.equals(b));
      assert.ok(s.stats.skippedBytes >= torn.length / 2, 'the torn frame and the garbage were skipped');
    }
  });

  it('drops a frame that grows past maxFrameBytes and finds the next one', () => {
    const small = syntheticJpeg(6, 100);
    const big = syntheticJpeg(7, 5000);
    const limit = small.length + 10;
    assert.ok(big.length > limit);
    const s = new JpegSplitter({ maxFrameBytes: limit });
    const got = splitAll(s, chunked(Buffer.concat([small, big, small]), prng(9), 700));
    assert.equal(got.length, 2);
    assert.ok(got.every((f) => f.equals(small)));
    assert.equal(s.stats.oversize, 1);
    // A frame of exactly the limit still passes.
    const exact = new JpegSplitter({ maxFrameBytes: small.length });
    assert.equal(exact.push(small).length, 1);
    assert.equal(new JpegSplitter({ maxFrameBytes: small.length - 1 }).push(small).length, 0);
  });

  it('bounded memory: a frame that never ends is dropped, not kept', () => {
    const s = new JpegSplitter({ maxFrameBytes: 10_000 });
    const head = syntheticJpeg(8, 2000).subarray(0, 500); // up into the entropy-coded data
    s.push(head);
    const noise = Buffer.alloc(4096, 0x11); // entropy data without any marker
    for (let i = 0; i < 50; i++) s.push(noise);
    assert.equal(s.stats.oversize, 1);
    const next = syntheticJpeg(9);
    assert.equal(s.push(next).length, 1, 'back in step at the next SOI');
  });

  it('a new SOI inside a frame drops the broken frame and keeps the new one', () => {
    const a = syntheticJpeg(10);
    const b = syntheticJpeg(11);
    const cut = a.subarray(0, a.length - 40); // in the entropy data, before EOI
    const s = new JpegSplitter();
    // In entropy data FF D8 can only be a marker: the encoder restarted.
    const got = s.push(Buffer.concat([cut, b]));
    assert.equal(got.length, 1);
    assert.ok(got[0]!.equals(b));
    assert.equal(s.stats.corrupt, 1);
  });

  it('looksLikeJpeg checks SOI and EOI', () => {
    assert.ok(looksLikeJpeg(syntheticJpeg(12)));
    assert.ok(!looksLikeJpeg(Buffer.from([0xff, 0xd8, 0xff])));
    assert.ok(!looksLikeJpeg(syntheticJpeg(12).subarray(1)));
  });
});
