import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutPiece, type PacketIndex } from '../../../src/video/cut-plan.js';

/** 20 s at 25 fps, a keyframe every 2 s; decode times two frames behind (B-frames). */
const idx: PacketIndex = {
  fps: 25,
  durationS: 20,
  keys: Array.from({ length: 10 }, (_, i) => ({ pts: i * 2, dts: i * 2 - 0.08 })),
};
const piece = (inS: number, outS: number) => ({ path: '/v.mp4', inS, outS, videoS: 20, audioS: 20 });

describe('cutPiece', () => {
  it('smart: re-encodes to the next keyframe and from the last one, copies the GOPs between', () => {
    const c = cutPiece(piece(3.2, 9), idx, 'smart');
    assert.deepEqual(c.video, [
      { kind: 'encode', path: '/v.mp4', fromS: 3.2, frames: 20 },
      { kind: 'copy', path: '/v.mp4', inS: 4, outDts: 7.92, durationS: 4 },
      { kind: 'encode', path: '/v.mp4', fromS: 8, frames: 25 },
    ]);
    assert.deepEqual(c.reencoded, { start: 20, end: 25 });
    assert.deepEqual(c.audio, { kind: 'trim', path: '/v.mp4', fromS: 3.2, toS: 9 });
  });

  it('smart: cuts on keyframes re-encode nothing; to the end of the file copies to the end', () => {
    const c = cutPiece(piece(4, 20), idx, 'smart');
    assert.deepEqual(c.video, [{ kind: 'copy', path: '/v.mp4', inS: 4, outDts: undefined, durationS: 16 }]);
    assert.deepEqual(c.reencoded, { start: 0, end: 0 });
  });

  it('smart: a piece inside one GOP is re-encoded whole (at most that GOP)', () => {
    const c = cutPiece(piece(4.4, 5.6), idx, 'smart');
    assert.deepEqual(c.video, [{ kind: 'encode', path: '/v.mp4', fromS: 4.4, frames: 30 }]);
  });

  it('a whole file is copied as it is, without its packet index', () => {
    const c = cutPiece(piece(0, 20), undefined, 'smart');
    assert.deepEqual(c.video, [{ kind: 'copy', path: '/v.mp4', durationS: 20 }]);
    assert.deepEqual(c.audio, { kind: 'whole', path: '/v.mp4', durationS: 20 });
  });

  it('keyframe: widens to the keyframes around the cut and copies, saying by how much', () => {
    const c = cutPiece(piece(3.2, 9), idx, 'keyframe');
    assert.deepEqual(c.video, [{ kind: 'copy', path: '/v.mp4', inS: 2, outDts: 9.92, durationS: 8 }]);
    assert.ok(Math.abs(c.widened.start - 1.2) < 1e-9 && Math.abs(c.widened.end - 1) < 1e-9);
    assert.deepEqual([c.inS, c.outS], [2, 10]);
  });

  it('refuses a cut inside a file without its packet index', () => {
    assert.throws(() => cutPiece(piece(1, 5), undefined, 'smart'), /no packet index/);
  });
});
