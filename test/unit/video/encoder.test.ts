import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessRunner, RunResult } from '../../../src/adapters/process-runner.js';
import { fullEncodeArgs, hardwareBitrate, pickH264Encoder } from '../../../src/video/encoder.js';

/** ffmpeg as scripted: the test encode's exit code and stderr; every call recorded. */
function runner(code: number, stderr = ''): ProcessRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run: (cmd, args) => {
      calls.push([cmd, ...args]);
      return Promise.resolve<RunResult>({ code, signal: null, stdout: Buffer.alloc(0), stderr });
    },
  };
}

describe('pickH264Encoder', () => {
  it('the hardware encoder when its test encode works (a Pi 4), once per process', async () => {
    const r = runner(0);
    assert.deepEqual(await pickH264Encoder(r, 'auto'), { codec: 'h264_v4l2m2m' });
    assert.deepEqual(await pickH264Encoder(r, 'h264_v4l2m2m'), { codec: 'h264_v4l2m2m' });
    assert.equal(r.calls.length, 1);
    const call = r.calls[0]!.join(' ');
    assert.match(call, /-c:v h264_v4l2m2m/);
    assert.match(call, /-frames:v 5/);
    assert.match(call, /-f null -$/);
  });

  it('libx264 where it does not work (a Pi 5, a PC): silently on auto, with the reason when asked for', async () => {
    const r = runner(
      1,
      '[h264_v4l2m2m @ 0x1] Could not find a valid device\nError initializing output stream\n',
    );
    assert.deepEqual(await pickH264Encoder(r, 'auto'), { codec: 'libx264' });
    const forced = await pickH264Encoder(r, 'h264_v4l2m2m');
    assert.equal(forced.codec, 'libx264');
    assert.match(
      forced.note ?? '',
      /does not work here \(\[h264_v4l2m2m @ 0x1\] Could not find a valid device\)/,
    );
  });

  it('libx264 asked for: no test encode at all', async () => {
    const r = runner(0);
    assert.deepEqual(await pickH264Encoder(r, 'libx264'), { codec: 'libx264' });
    assert.equal(r.calls.length, 0);
  });
});

describe('fullEncodeArgs', () => {
  it('libx264 by quality, the hardware encoder by a bit rate for the height', () => {
    assert.deepEqual(fullEncodeArgs('libx264', { height: 1080, fps: 25, scale: 720 }), [
      '-vf',
      'scale=-2:720',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '20',
      '-pix_fmt',
      'yuv420p',
      '-r',
      '25',
    ]);
    const hw = fullEncodeArgs('h264_v4l2m2m', { height: 1080, fps: 29.97002997 });
    assert.deepEqual(hw, ['-c:v', 'h264_v4l2m2m', '-b:v', '8M', '-pix_fmt', 'yuv420p', '-r', '29.97']);
    assert.equal(hardwareBitrate(720), '5M');
    assert.equal(hardwareBitrate(480), '2500k');
    assert.equal(hardwareBitrate(240), '1200k');
  });
});
