import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  greyFrameSize,
  greyOutputArgs,
  readGreyFrames,
} from '../../../../src/recorder/motion/grey-frames.js';
import {
  assembleArgs,
  concatList,
  SegmentRing,
  toRingSegments,
} from '../../../../src/recorder/motion/ring.js';
import { parseSegmentList } from '../../../../src/recorder/segments.js';

describe('readGreyFrames', () => {
  it('reassembles frames from chunks of any size, with timestamps from index and fps', async () => {
    const w = 4;
    const h = 3;
    const bytes = Buffer.alloc(w * h * 5);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(i / (w * h));
    // Chunks that straddle frame boundaries: 5, 7, 1, 13, … bytes.
    const chunks: Buffer[] = [];
    for (let off = 0, k = 0; off < bytes.length; k++) {
      const n = [5, 7, 1, 13][k % 4]!;
      chunks.push(bytes.subarray(off, off + n));
      off += n;
    }
    const frames = [];
    for await (const f of readGreyFrames(Readable.from(chunks), {
      width: w,
      height: h,
      fps: 5,
      startTime: 100,
    }))
      frames.push(f);
    assert.equal(frames.length, 5);
    frames.forEach((f, i) => {
      assert.equal(f.index, i);
      assert.ok(Math.abs(f.t - (100 + i / 5)) < 1e-9);
      assert.ok(f.data.every((v) => v === i));
    });
  });

  it('drops a trailing partial frame', async () => {
    const frames = [];
    for await (const f of readGreyFrames(Readable.from([Buffer.alloc(10)]), { width: 2, height: 2, fps: 1 }))
      frames.push(f);
    assert.equal(frames.length, 2);
  });

  it('sizes and ffmpeg options', () => {
    assert.deepEqual(greyFrameSize(640, 480, 120), { width: 160, height: 120 });
    assert.deepEqual(greyFrameSize(1920, 1080, 120), { width: 214, height: 120 });
    const a = greyOutputArgs({ fps: 5, width: 160, height: 120 });
    assert.equal(a[a.indexOf('-vf') + 1], 'fps=5,scale=160:120:flags=area,format=gray');
    assert.equal(a[a.indexOf('-f') + 1], 'rawvideo');
    assert.equal(a.at(-1), 'pipe:1');
  });
});

describe('ring', () => {
  it('parses ffmpeg csv segment lists onto the recorder clock', () => {
    const segs = toRingSegments(
      parseSegmentList('seg-00000.ts,0.000000,1.000000\nseg-00001.ts,1.000000,2.066667\n\n', '/shm/ring', 0)
        .segments,
      1000,
    );
    assert.deepEqual(segs, [
      { path: '/shm/ring/seg-00000.ts', start: 1000, end: 1001 },
      { path: '/shm/ring/seg-00001.ts', start: 1001, end: 1002.066667 },
    ]);
  });

  it('keeps the newest seconds and what an event holds, deleting the rest once', async () => {
    const removed: string[] = [];
    const ring = new SegmentRing({ keepSeconds: 3, remove: async (p) => void removed.push(p) });
    for (let i = 0; i < 10; i++) await ring.add({ path: `s${i}`, start: i, end: i + 1 });
    assert.deepEqual(
      ring.segments.map((s) => s.path),
      ['s7', 's8', 's9'],
    );
    ring.holdFrom(8.5);
    for (let i = 10; i < 15; i++) await ring.add({ path: `s${i}`, start: i, end: i + 1 });
    assert.equal(ring.segments[0]!.path, 's8');
    assert.deepEqual(
      ring.between(8.5, 10.2).map((s) => s.path),
      ['s8', 's9', 's10'],
    );
    ring.holdFrom(null);
    await ring.prune();
    assert.deepEqual(
      ring.segments.map((s) => s.path),
      ['s12', 's13', 's14'],
    );
    await ring.clear();
    assert.equal(ring.segments.length, 0);
    assert.equal(removed.length, 15);
    assert.equal(new Set(removed).size, 15);
  });

  it('writes a concat list with quotes escaped, and stream-copies to MP4', () => {
    assert.equal(concatList(['/a/b.ts', "/a/it's.ts"]), "file '/a/b.ts'\nfile '/a/it'\\''s.ts'\n");
    const a = assembleArgs('/t/l.txt', '/t/o.mp4');
    assert.equal(a[a.indexOf('-f') + 1], 'concat');
    assert.equal(a[a.indexOf('-c') + 1], 'copy');
    assert.equal(a.at(-1), 'file:/t/o.mp4');
  });
});
