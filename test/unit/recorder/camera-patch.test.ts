import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  appliedSettings,
  cameraPatchSchema,
  mergePatch,
  withOverrides,
  withoutDefaults,
} from '../../../src/recorder/camera-patch.js';
import type { CameraSettings } from '../../../src/recorder/recorder.js';

const base: CameraSettings = {
  name: 'gate',
  source: 'testsrc:',
  mode: 'continuous',
  segmentSeconds: 10,
  copy: 'auto',
  stallSeconds: 15,
  mjpeg: { fps: 5, width: 640, timestamp: true, quality: 7 },
};

describe('camera settings changed on the fly', () => {
  it('parses a patch, refusing what a camera cannot do, a size without its other half, unknown keys', () => {
    assert.ok(cameraPatchSchema.safeParse({ rotation: 90, fps: 12.5, live: false }).success);
    assert.ok(cameraPatchSchema.safeParse({ width: null, height: null }).success);
    for (const bad of [
      { rotation: 45 },
      { width: 640 },
      { fps: 0 },
      { segmentSeconds: 0.5 },
      { source: 'rtsp://x' },
    ])
      assert.equal(cameraPatchSchema.safeParse(bad).success, false, JSON.stringify(bad));
  });

  it("the live view's time and corner, the motion highlight and threshold, the stream", () => {
    const motion: CameraSettings = { ...base, mode: 'motion' };
    const o = withoutDefaults(
      mergePatch(
        {},
        {
          timestamp: true,
          timestampPosition: 'bottom-right',
          motionHighlight: true,
          motionThreshold: 12,
          rtsp: true,
        },
      ),
      motion,
    );
    // The time was on already: not an override; the rest differ from the config.
    assert.deepEqual(Object.keys(o).sort(), [
      'motionHighlight',
      'motionThreshold',
      'rtsp',
      'timestampPosition',
    ]);
    const s = withOverrides(motion, o);
    assert.equal(s.mjpeg?.position, 'bottom-right');
    assert.equal(s.mjpeg?.timestamp, true);
    assert.equal(s.motion?.threshold, 12);
    assert.equal(s.motion?.minArea, 0.005, 'the other motion settings are the defaults');
    assert.equal(s.motionHighlight, true);
    assert.equal(s.rtsp, true);
    const a = appliedSettings(s, o);
    assert.deepEqual(
      [a.timestamp, a.timestampPosition, a.motionHighlight, a.motionThreshold, a.rtsp],
      [true, 'bottom-right', true, 12, true],
    );
    assert.equal(cameraPatchSchema.safeParse({ timestampPosition: 'middle' }).success, false);
    assert.equal(cameraPatchSchema.safeParse({ motionThreshold: 0 }).success, false);
  });

  it('Pi camera controls, the mode and the microphone', () => {
    const pi: CameraSettings = {
      ...base,
      source: 'rpicam:?width=1280&height=720&brightness=0.1&awb=daylight',
    };
    assert.deepEqual(appliedSettings(pi, undefined).controls, { brightness: '0.1', awb: 'daylight' });
    // The same controls written as numbers are no change; new ones replace all of the config's.
    assert.deepEqual(withoutDefaults({ controls: { awb: 'daylight', brightness: 0.1 } }, pi), {});
    const o = withoutDefaults({ controls: { contrast: 1.5 }, mode: 'motion', audio: 'alsa:plughw:1,0' }, pi);
    const s = withOverrides(pi, o);
    assert.equal(s.source, 'rpicam:?width=1280&height=720&contrast=1.5');
    assert.equal(s.mode, 'motion');
    assert.equal(s.audio, 'alsa:plughw:1,0');
    assert.deepEqual(appliedSettings(s, o).overridden.sort(), ['audio', 'controls', 'mode']);
    // Out-of-range controls and unknown names are refused by the schema; controls on a camera
    // that is not a Pi camera when applied.
    assert.equal(cameraPatchSchema.safeParse({ controls: { brightness: 5 } }).success, false);
    assert.equal(cameraPatchSchema.safeParse({ controls: { 'rm -rf': 1 } }).success, false);
    assert.equal(cameraPatchSchema.safeParse({ audio: 'alsa:hw;reboot' }).success, false);
    assert.throws(() => withOverrides(base, { controls: { brightness: 0.2 } }), /Pi cameras/);
  });

  it('adds up patches; null takes a key back to the config', () => {
    const a = mergePatch({}, { rotation: 90, hflip: true });
    assert.deepEqual(mergePatch(a, { rotation: null, fps: 5 }), { hflip: true, fps: 5 });
  });

  it('gives the settings the recorder runs with, and what the page shows', () => {
    const s = withOverrides(base, { rotation: 270, width: 640, height: 480, segmentSeconds: 2, live: false });
    assert.deepEqual(s.transform, { rotation: 270, width: 640, height: 480 });
    assert.equal(s.segmentSeconds, 2);
    assert.equal(s.mjpeg, undefined, 'live view off');
    assert.equal(withOverrides(base, {}), base);
    const shown = appliedSettings(s, { rotation: 270 });
    assert.equal(shown.rotation, 270);
    assert.equal(shown.live, false);
    assert.deepEqual(shown.overridden, ['rotation']);
  });

  it('drops overrides equal to the config, keeping a size whole', () => {
    assert.deepEqual(
      withoutDefaults({ rotation: 0, hflip: false, segmentSeconds: 10, live: true }, base),
      {},
    );
    assert.deepEqual(withoutDefaults({ rotation: 90, hflip: false }, base), { rotation: 90 });
    assert.deepEqual(withoutDefaults({ width: 640, height: 480 }, base), { width: 640, height: 480 });
  });
});
