/**
 * Per-frame timestamps with the real Recorder and ffmpeg: each recorded segment gets a
 * `<recording>.frames.csv` with one row per frame of that segment (ffprobe counts them), pts
 * equal to the file's own frame times, and wall clocks inside the segment's span. Re-encoded
 * (testsrc), re-encoded behind a start gate, and stream-copied (an H.264 file).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { companionsOf } from '../../../../src/library/catalog/items.js';
import { openCatalog } from '../../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../../src/library/drive.js';
import { fsckLibrary } from '../../../../src/library/fsck.js';
import type { CameraSettings } from '../../../../src/recorder/recorder.js';
import type { SegmentEvent } from '../../../../src/recorder/sinks/sink.js';
import { FRAMES_EXT } from '../../../../src/recorder/timing/run-timing.js';
import { FRAMES_HEADER } from '../../../../src/recorder/timing/sidecar-csv.js';
import { abs, countFrames, probeFramePts, readCsv, recordSegments } from './kit.js';

let base: string;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'outpost-frames-'));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

function camera(name: string, source: string, extra: Partial<CameraSettings> = {}): CameraSettings {
  return {
    name,
    source,
    mode: 'continuous',
    segmentSeconds: 1,
    copy: 'auto',
    stallSeconds: 10,
    timing: {},
    ...extra,
  };
}

/** Every check on one segment's sidecar; returns the rows' arrival-free facts for figures. */
async function checkSegment(drive: Drive, e: SegmentEvent, fps: number): Promise<number> {
  const file = abs(drive, e);
  const csv = await readCsv(`${file}.frames.csv`);
  assert.equal(csv.header.join(','), FRAMES_HEADER);
  const probed = probeFramePts(file);
  assert.equal(csv.rows.length, countFrames(file), `${e.path}: one row per frame`);
  assert.equal(csv.rows.length, probed.length);
  const step = 1 / fps;
  let prev = -Infinity;
  csv.rows.forEach((r, i) => {
    const [frame, pts, camera, wall] = r.map(Number) as [number, number, number, number];
    assert.equal(frame, i);
    assert.ok(pts > prev, `${e.path} row ${i}: pts increasing`);
    prev = pts;
    // The row's pts is the file's own frame time (the segment file starts at 0).
    assert.ok(Math.abs(pts - probed[i]!) < step / 4, `${e.path} row ${i}: pts ${pts} vs file ${probed[i]}`);
    assert.ok(Number.isFinite(camera));
    // Wall clock inside the segment's span (the recorder's anchor, within a frame or two).
    const from = Date.parse(e.start) - 2 * step * 1000 - 50;
    const to = Date.parse(e.end) + 2 * step * 1000 + 50;
    assert.ok(wall >= from && wall <= to, `${e.path} row ${i}: wall ${wall} in [${from}, ${to}]`);
  });
  return csv.rows.length;
}

describe('frame timing: frames.csv beside every recording (real ffmpeg)', { timeout: 90_000 }, () => {
  it('re-encoded testsrc: rows = frames, pts = the file, wall inside the segment', async () => {
    const drive = await initDrive(join(base, 'enc'), { now: new Date() });
    const { events } = await recordSegments(
      drive,
      camera('enc', 'testsrc:?size=320x240&rate=15'),
      3,
      join(base, 'r1'),
    );
    assert.ok(events.length >= 3, `segments: ${events.length}`);
    let frames = 0;
    for (const e of events) frames += await checkSegment(drive, e, 15);
    assert.ok(frames >= 40, `frames: ${frames}`);
    // Each frames.csv is its item's companion (hash and size of the file): fsck knows it.
    const cat = await openCatalog(drive.layout.catalog);
    try {
      for (const e of events) {
        const c = (await companionsOf(cat, e.id)).find((x) => x.ext === FRAMES_EXT);
        assert.ok(c, `${e.path}: frames.csv recorded as a companion`);
        const body = await readFile(join(drive.layout.root, c.path));
        assert.equal(c.path, `${e.path}.frames.csv`);
        assert.equal(c.sha256, createHash('sha256').update(body).digest('hex'));
      }
      const report = await fsckLibrary(cat, drive.layout, { hash: true });
      assert.deepEqual(
        report.problems.filter((p) => p.path.endsWith('.csv')),
        [],
      );
    } finally {
      await cat.close();
    }
  });

  it('behind the start gate: the camera clock runs ahead of the recording by the gate wait', async () => {
    const drive = await initDrive(join(base, 'gate'), { now: new Date() });
    const startAtMs = Date.now() + 1500;
    const { events } = await recordSegments(
      drive,
      camera('gate', 'testsrc:?size=320x240&rate=15', { transform: { startAtMs } }),
      2,
      join(base, 'r2'),
    );
    assert.ok(events.length >= 2, `segments: ${events.length}`);
    for (const e of events) await checkSegment(drive, e, 15);
    const first = await readCsv(`${abs(drive, events[0]!)}.frames.csv`);
    const [, pts, cam, wall] = first.rows[0]!.map(Number) as [number, number, number, number];
    assert.equal(pts, 0);
    assert.ok(cam > 0.5, `camera clock at the first kept frame: ${cam}`);
    assert.ok(wall >= startAtMs - 1 && wall < startAtMs + 200, `first kept frame at ${wall - startAtMs} ms`);
  });

  it('stream copy of an H.264 source: framecrc rows match the copied frames', async () => {
    const drive = await initDrive(join(base, 'copy'), { now: new Date() });
    const src = join(base, 'src.mp4');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=10',
      '-t',
      '6',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '10',
      '-bf',
      '0',
      src,
    ]);
    await stat(src);
    const { recorder, events } = await recordSegments(drive, camera('copy', src), 3, join(base, 'r3'));
    assert.equal(recorder.status().copy, true);
    assert.ok(events.length >= 3, `segments: ${events.length}`);
    for (const e of events) await checkSegment(drive, e, 10);
  });
});
