/**
 * A session camera's recorder settings from its plan (fleet-recording.ts cameraSettingsOfPlan):
 * the picture, the live view and its time, motion sensitivity over the station's own, sound,
 * the frame timing and TTL lines, the session folder and the start gate.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cameraPlanSchema, sessionPlanSchema } from '../../../src/fleet/protocol.js';
import { DEFAULT_MOTION_CONFIG } from '../../../src/recorder/motion/config.js';
import type { CameraSettings } from '../../../src/recorder/recorder.js';
import { cameraSettingsOfPlan } from '../../../src/station/fleet-recording.js';

const plan = (extra: object) =>
  cameraPlanSchema.parse({
    camera: 'top',
    source: 'rpicam:?width=1280&height=720',
    mode: 'motion',
    ...extra,
  });
const session = (p: ReturnType<typeof plan>) =>
  sessionPlanSchema.parse({
    id: 'sess_unit_0001',
    group: 'lab',
    name: 'day1',
    startAt: '2026-06-01T10:00:00Z',
    maxDurationS: 600,
    cameras: [p],
  });

describe('a session camera from its plan', () => {
  it('has a live view with the time where the plan says, and frame timing beside every recording', () => {
    const p = plan({
      timestamp: { enabled: true, position: 'bottom-left', inRecording: true },
      rotation: 90,
    });
    const s = cameraSettingsOfPlan(p, session(p), 1_780_000_000_000);
    assert.deepEqual(s.mjpeg, { fps: 5, width: 640, quality: 7, timestamp: true, position: 'bottom-left' });
    assert.deepEqual(s.transform, {
      startAtMs: 1_780_000_000_000,
      rotation: 90,
      timestamp: { position: 'bottom-left' },
    });
    assert.deepEqual(s.timing, {}, 'frames.csv without TTL');
    assert.deepEqual(s.session, { group: 'lab', session: 'day1', id: 'sess_unit_0001' });
  });

  it("takes the station camera's own live size, encoder and motion settings under the plan's", () => {
    const base: CameraSettings = {
      name: 'top',
      source: 'rpicam:',
      mode: 'continuous',
      segmentSeconds: 10,
      copy: 'auto',
      stallSeconds: 20,
      encoder: { codec: 'h264_v4l2m2m', preset: 'ultrafast', crf: 23, bitrateK: 3000 },
      mjpeg: { fps: 2, width: 320, timestamp: true, quality: 9 },
      motion: { ...DEFAULT_MOTION_CONFIG, minArea: 0.02, preRollSeconds: 3 },
    };
    const p = plan({ motion: { threshold: 10 }, live: true, timestamp: { enabled: false } });
    const s = cameraSettingsOfPlan(p, session(p), undefined, base);
    assert.deepEqual(s.mjpeg, { fps: 2, width: 320, quality: 9, timestamp: false, position: 'top-left' });
    assert.equal(s.encoder?.codec, 'h264_v4l2m2m');
    assert.equal(s.stallSeconds, 20);
    assert.deepEqual(
      [s.motion?.threshold, s.motion?.minArea, s.motion?.preRollSeconds],
      [10, 0.02, 3],
      "the plan's threshold over the station's own settings",
    );
  });

  it('no live view when the plan says so; sound and TTL lines when it asks', () => {
    const ttl = { output: { line: 17, on: 'segment' }, input: { lines: [22] } };
    const p = plan({ live: false, audio: 'alsa:plughw:1,0', ttl, mode: 'continuous' });
    const s = cameraSettingsOfPlan(p, session(p));
    assert.equal(s.mjpeg, undefined);
    assert.equal(s.audio, 'alsa:plughw:1,0');
    assert.equal(s.motion, undefined, 'continuous: no detector');
    assert.deepEqual(s.timing, {
      ttl: {
        output: { chip: 'gpiochip0', line: 17, on: 'segment', pulseMs: 2, activeLow: false },
        input: { chip: 'gpiochip0', lines: [22], edges: 'both', activeLow: false },
      },
    });
  });
});
