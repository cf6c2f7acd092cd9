import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureArgs } from '../../../src/recorder/capture-command.js';
import { parseSource } from '../../../src/recorder/sources.js';
import { transformFilter, transforms } from '../../../src/recorder/transform.js';

describe('a camera picture as configured: rotation, flips, size, frame rate', () => {
  it('builds one filter chain in a fixed order', () => {
    assert.equal(transformFilter({}), undefined);
    assert.equal(transformFilter({ rotation: 0 }), undefined);
    assert.equal(transformFilter({ rotation: 90 }), 'transpose=1');
    assert.equal(transformFilter({ rotation: 270 }), 'transpose=2');
    assert.equal(transformFilter({ rotation: 180 }), 'hflip,vflip');
    // A 180° turn and a horizontal flip: only the vertical flip is left.
    assert.equal(transformFilter({ rotation: 180, hflip: true }), 'vflip');
    assert.equal(transformFilter({ rotation: 90, vflip: true }), 'transpose=1,vflip');
    assert.equal(
      transformFilter({ fps: 15, rotation: 270, width: 641, height: 359 }),
      'fps=15,transpose=2,scale=640:358',
    );
  });

  it('a start instant gates the frames on the wall clock, first in the chain', () => {
    assert.equal(
      transformFilter({ startAtMs: 1_796_534_049_633, rotation: 90 }),
      "select='gte(time(0),1796534049.633)',setpts=PTS-STARTPTS,transpose=1",
    );
    assert.equal(transforms({ startAtMs: 0 }), true, 'a gate re-encodes (a copy cannot drop frames)');
  });

  it('a transform turns stream copy off; no transform keeps it', () => {
    const base = {
      source: parseSource('rtsp://cam.local/stream'),
      copy: true,
      segments: { kind: 'continuous' as const, dir: '/r', listFile: '/r/list.csv', seconds: 10 },
    };
    assert.equal(transforms({ rotation: 0, hflip: false }), false);
    const plain = captureArgs(base);
    assert.ok(plain.join(' ').includes('-c:v copy'));
    assert.ok(!plain.includes('-vf'));
    const turned = captureArgs({ ...base, transform: { rotation: 90 } });
    assert.ok(!turned.join(' ').includes('-c:v copy'));
    const i = turned.indexOf('-vf');
    assert.equal(turned[i + 1], 'transpose=1');
    assert.ok(turned.includes('libx264'));
  });
});
