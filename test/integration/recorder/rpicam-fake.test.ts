/**
 * The Pi camera source as far as it goes without a Pi: the real recorder and ffmpeg, with a fake
 * `rpicam-vid` first on PATH (it writes the H.264 a Pi camera would, and the arguments it was
 * given). The controls of the source URL reach rpicam-vid as its options; the recording is made;
 * and the recorder stops (it used to wait for ever on the feeder's pipe).
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { Recorder } from '../../../src/recorder/recorder.js';
import { probeVideo } from '../../kit/ffprobe.js';
import { realRecorderDeps } from '../../kit/recorder.js';

let base: string;
let drive: Drive;
let oldPath: string | undefined;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'outpost-rpicam-'));
  drive = await initDrive(join(base, 'drive'), { now: new Date() });
  const bin = join(base, 'bin');
  await mkdir(bin);
  // What rpicam-vid does for `--codec h264 -o -`: an H.264 elementary stream on stdout.
  await writeFile(
    join(bin, 'rpicam-vid'),
    [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > ${join(base, 'argv.txt')}`,
      'exec ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=320x240:rate=10 \\',
      '  -c:v libx264 -preset ultrafast -g 10 -bsf:v h264_mp4toannexb -f h264 -',
      '',
    ].join('\n'),
  );
  await chmod(join(bin, 'rpicam-vid'), 0o755);
  oldPath = process.env.PATH;
  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
});

after(async () => {
  process.env.PATH = oldPath;
  await rm(base, { recursive: true, force: true });
});

describe('recorder: a Pi camera (fake rpicam-vid, real ffmpeg)', { timeout: 60_000 }, () => {
  it('passes the controls to rpicam-vid and records what it sends', async () => {
    const r = new Recorder(
      {
        name: 'pi',
        source: 'rpicam:?width=320&height=240&fps=10&awb=daylight&shutter=10000&iso=200&roi=0.1,0.1,0.8,0.8',
        mode: 'continuous',
        segmentSeconds: 1,
        copy: 'auto',
        stallSeconds: 10,
      },
      { minFreeBytes: 0, deleteUnsent: false, ringRoot: join(base, 'ring') },
      drive,
      realRecorderDeps(),
    );
    const segments: string[] = [];
    r.on('segment', (s) => segments.push(s.path));
    await r.start();
    for (let i = 0; i < 80 && segments.length < 2; i++) await new Promise((res) => setTimeout(res, 100));
    await r.stop();
    const argv = (await readFile(join(base, 'argv.txt'), 'utf8')).trim().split('\n');
    const after = (flag: string) => argv[argv.indexOf(flag) + 1];
    assert.equal(after('--awb'), 'daylight');
    assert.equal(after('--shutter'), '10000');
    assert.equal(after('--gain'), '2');
    assert.equal(after('--roi'), '0.1,0.1,0.8,0.8');
    assert.equal(after('--codec'), 'h264');
    assert.deepEqual(argv.slice(-2), ['-o', '-']);
    assert.ok(segments.length >= 2, `segments: ${segments.join(', ')}`);
    assert.equal(r.status().copy, true, 'H.264 from the camera is stream-copied');
    const v = probeVideo(join(drive.layout.root, segments[0]!));
    assert.deepEqual([v.width, v.height], [320, 240]);
  });
});
