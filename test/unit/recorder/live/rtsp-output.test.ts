/** rtspOutputArgs: the network stream's ffmpeg output (copy or encode, tee or plain rtsp). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOutpostError } from '../../../../src/core/errors.js';
import { rtspOutputArgs, streamTransform } from '../../../../src/recorder/live/rtsp-output.js';

const URL_ = 'rtsp://127.0.0.1:8554/gate?token=0123abcd';
const TEE = `[f=rtsp:rtsp_transport=tcp:onfail=ignore]${URL_}|[f=null:onfail=ignore]-`;

describe('rtspOutputArgs', () => {
  it('copies an H.264 source through tee (a missing relay does not end the recording)', () => {
    assert.deepEqual(rtspOutputArgs({ url: URL_, copy: true }), [
      '-map',
      '0:v:0',
      '-an',
      '-c:v',
      'copy',
      '-f',
      'tee',
      TEE,
    ]);
  });

  it('plain rtsp output when asked not to survive', () => {
    assert.deepEqual(rtspOutputArgs({ url: URL_, copy: true, survive: false }), [
      '-map',
      '0:v:0',
      '-an',
      '-c:v',
      'copy',
      '-f',
      'rtsp',
      '-rtsp_transport',
      'tcp',
      URL_,
    ]);
  });

  it('encodes with libx264 ultrafast zerolatency, a keyframe a second, global headers for the SDP', () => {
    const a = rtspOutputArgs({ url: URL_, copy: false });
    const at = (k: string): string | undefined => a[a.indexOf(k) + 1];
    assert.equal(at('-c:v'), 'libx264');
    assert.equal(at('-preset'), 'ultrafast');
    assert.equal(at('-tune'), 'zerolatency');
    assert.equal(at('-force_key_frames'), 'expr:gte(t,n_forced*1)');
    assert.equal(at('-maxrate'), '1500k');
    assert.equal(at('-bufsize'), '1500k');
    assert.equal(at('-flags:v'), '+global_header');
    assert.equal(at('-f'), 'tee');
    assert.equal(a.at(-1), TEE);
    assert.ok(!a.includes('-vf'));
  });

  it('uses the encoder settings given (Pi hardware encoder: bit rate)', () => {
    const a = rtspOutputArgs({
      url: URL_,
      copy: false,
      encoder: { codec: 'h264_v4l2m2m', preset: 'veryfast', crf: 23, bitrateK: 800 },
      keyframeSeconds: 2,
    });
    assert.deepEqual(a.slice(a.indexOf('-c:v'), a.indexOf('-c:v') + 4), [
      '-c:v',
      'h264_v4l2m2m',
      '-b:v',
      '800k',
    ]);
    assert.equal(a[a.indexOf('-force_key_frames') + 1], 'expr:gte(t,n_forced*2)');
    assert.ok(!a.includes('-preset'));
  });

  it('a transform forces an encode with the filter; the start gate alone does not', () => {
    const rot = rtspOutputArgs({ url: URL_, copy: true, transform: { rotation: 180 } });
    assert.equal(rot[rot.indexOf('-vf') + 1], 'hflip,vflip');
    assert.equal(rot[rot.indexOf('-c:v') + 1], 'libx264');
    const gated = rtspOutputArgs({ url: URL_, copy: true, transform: { startAtMs: 1_700_000_000_000 } });
    assert.ok(!gated.includes('-vf'), 'the live picture is not held back by a session start');
    assert.equal(gated[gated.indexOf('-c:v') + 1], 'copy');
    assert.deepEqual(streamTransform({ fps: 5, startAtMs: 1 }), { fps: 5 });
  });

  it('refuses a URL that is not rtsp or would break the tee spec', () => {
    for (const url of ['http://x/cam', 'rtsp://h/cam|evil', 'rtsp://h/[x]', 'rtsp://h/a b', ''])
      assert.throws(
        () => rtspOutputArgs({ url, copy: true }),
        (e: unknown) => isOutpostError(e) && e.code === 'INVALID_INPUT',
        url,
      );
    assert.throws(() => rtspOutputArgs({ url: URL_, copy: false, keyframeSeconds: 0 }), isOutpostError);
  });
});
