import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsVideoPreview, videoPreviewArgs } from '../../../src/media/video-preview.js';

const phoneClip = {
  codecs: { container: 'mov,mp4,m4a,3gp,3g2,mj2', video: 'h264', audio: 'aac' },
  width: 1920,
  height: 1080,
  durationS: 8,
};

describe('needsVideoPreview', () => {
  it('asks for a streaming copy of a large phone clip (1080p, ~17 Mbit/s)', () => {
    assert.equal(needsVideoPreview(phoneClip, 17_000_000), true);
  });
  it('streams a small H.264 MP4 as it is', () => {
    const small = { ...phoneClip, width: 640, height: 360 };
    // 8 s at 1 Mbit/s
    assert.equal(needsVideoPreview(small, 1_000_000), false);
    // the same clip at 2 Mbit/s is too much for a 1 Mbit/s link
    assert.equal(needsVideoPreview(small, 2_000_000), true);
  });
  it('asks for one when browsers cannot play the original', () => {
    const base = { width: 320, height: 240, durationS: 8 };
    const tiny = 100_000;
    assert.equal(needsVideoPreview({ ...base, codecs: { container: 'avi', video: 'mjpeg' } }, tiny), true);
    assert.equal(needsVideoPreview({ ...base, codecs: { container: 'mpegts', video: 'h264' } }, tiny), true);
    assert.equal(needsVideoPreview({ ...base, codecs: { container: 'mov,mp4', video: 'hevc' } }, tiny), true);
    assert.equal(
      needsVideoPreview(
        { ...base, codecs: { container: 'mov,mp4', video: 'h264', audio: 'pcm_s16le' } },
        tiny,
      ),
      true,
    );
    assert.equal(
      needsVideoPreview({ ...base, codecs: { container: 'mov,mp4', video: 'h264' } }, tiny),
      false,
    );
  });
  it('asks for one when the size or duration is unknown or the picture is wide', () => {
    const c = { container: 'mov,mp4', video: 'h264' };
    assert.equal(needsVideoPreview({ codecs: c, width: 320, height: 240 }, 1000), true);
    assert.equal(needsVideoPreview({ codecs: c, width: 1920, height: 1080, durationS: 100 }, 1000), true);
    assert.equal(needsVideoPreview({}, 1000), true);
  });
});

describe('videoPreviewArgs', () => {
  it('keeps the input to local files and maps sound only when there is some', () => {
    const withSound = videoPreviewArgs('/card/-x:y.avi', '/lib/out.mp4', true);
    assert.ok(withSound.includes('file:/card/-x:y.avi'));
    assert.ok(withSound.includes('-protocol_whitelist'));
    assert.equal(withSound.at(-1), 'file:/lib/out.mp4');
    assert.ok(withSound.includes('aac'));
    const silent = videoPreviewArgs('/a.mp4', '/b.mp4', false);
    assert.ok(silent.includes('-an'));
    assert.ok(!silent.includes('aac'));
    assert.ok(silent.includes('+faststart'));
  });
});
