/**
 * Motion mode with real ffmpeg: a generated clip with known ground truth (a corpus photo, sensor
 * noise, an object crossing during known intervals, lighting changes with nothing moving) runs
 * through grey frames → detector → events; then the RAM ring of 1 s MPEG-TS segments assembles an
 * event clip, and the thumbnail shows the motion box.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { probeAv } from '../../../src/media/ffprobe.js';
import { DEFAULT_MOTION_CONFIG, detectorOptions, eventOptions } from '../../../src/recorder/motion/config.js';
import { createMotionDetector } from '../../../src/recorder/motion/detector.js';
import { EventTracker, type MotionEvent } from '../../../src/recorder/motion/events.js';
import { greyFrameSize, greyOutputArgs, readGreyFrames } from '../../../src/recorder/motion/grey-frames.js';
import {
  assembleEvent,
  SegmentRing,
  toRingSegments,
  type RingSegment,
} from '../../../src/recorder/motion/ring.js';
import { parseSegmentList } from '../../../src/recorder/segments.js';
import { motionThumbnail } from '../../../src/recorder/motion/thumbnail.js';
import { makeMotionClip, scoreEvents, TEST_CLIP, type GroundTruth } from '../../kit/motion-clips.js';

const work = mkdtempSync(join(tmpdir(), 'outpost-motion-'));
after(() => rmSync(work, { recursive: true, force: true }));
const clip = join(work, 'clip.mp4');
let truth: GroundTruth;
let events: MotionEvent[] = [];

before(async () => {
  truth = await makeMotionClip(clip, { ...TEST_CLIP, preset: 'ultrafast' });
});

async function detect(path: string): Promise<{ events: MotionEvent[]; frames: number; lighting: number[] }> {
  const cfg = DEFAULT_MOTION_CONFIG;
  const { width, height } = greyFrameSize(640, 480, cfg.height);
  const ff = spawn(
    'ffmpeg',
    ['-v', 'error', '-nostdin', '-i', path, ...greyOutputArgs({ fps: cfg.fps, width, height })],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const closed = new Promise<number | null>((r) => ff.on('close', r));
  const detector = createMotionDetector(detectorOptions(cfg, width, height));
  const tracker = new EventTracker(eventOptions(cfg));
  const out: MotionEvent[] = [];
  const lighting: number[] = [];
  let frames = 0;
  let last = 0;
  for await (const f of readGreyFrames(ff.stdout, { width, height, fps: cfg.fps })) {
    frames++;
    last = f.t;
    const r = detector.detect(f.data);
    if (r.lightingChange) lighting.push(f.t);
    for (const u of tracker.push(f.t, r)) if (u.type === 'end') out.push(u.event);
  }
  out.push(...tracker.flush(last).map((u) => u.event));
  assert.equal(await closed, 0);
  return { events: out, frames, lighting };
}

describe('motion detection on a generated clip with ground truth', () => {
  it('finds the crossings (recall, precision ≥ 0.9) and nothing for the lighting changes', async () => {
    const res = await detect(clip);
    events = res.events;
    assert.ok(
      Math.abs(res.frames - truth.durationS * DEFAULT_MOTION_CONFIG.fps) <= 2,
      `frames: ${res.frames}`,
    );
    const spans = events.map((e) => ({ from: e.motionStart, to: e.motionEnd }));
    const score = scoreEvents(spans, truth);
    const detail = JSON.stringify({ spans, truth: truth.motion, lighting: res.lighting });
    assert.ok(score.recall >= 0.9, `recall ${score.recall}: ${detail}`);
    assert.ok(score.precision >= 0.9, `precision ${score.precision}: ${detail}`);
    assert.deepEqual(score.duringLighting, [], detail);
    // The guard did fire for the lighting changes (it is not just that nothing changed).
    for (const l of truth.lighting) {
      assert.ok(
        res.lighting.some((t) => Math.abs(t - l.from) < 0.5),
        `no lighting change seen at ${l.from} s: ${detail}`,
      );
    }
    for (const e of events) {
      assert.ok(e.peakScore >= 1);
      assert.ok(e.box && e.box.w > 0.5, 'the object crosses most of the frame');
    }
  });
});

describe('RAM ring and event assembly', () => {
  const segDir = join(work, 'ring');
  let segments: RingSegment[] = [];

  before(async () => {
    rmSync(segDir, { recursive: true, force: true });
    mkdirSync(segDir);
    // As the capture process writes them: 1 s MPEG-TS segments (keyframe every second) + a csv list.
    const ff = spawn(
      'ffmpeg',
      [
        '-v',
        'error',
        '-nostdin',
        '-i',
        clip,
        '-map',
        '0:v:0',
        '-c',
        'copy',
        '-f',
        'segment',
        '-segment_time',
        '1',
        '-segment_format',
        'mpegts',
        '-segment_list',
        join(segDir, 'list.csv'),
        '-segment_list_type',
        'csv',
        join(segDir, 'seg-%05d.ts'),
      ],
      { stdio: 'ignore' },
    );
    assert.equal(await new Promise((r) => ff.on('close', r)), 0);
    segments = toRingSegments(
      parseSegmentList(readFileSync(join(segDir, 'list.csv'), 'utf8'), segDir, 0).segments,
    );
  });

  it('keeps only the last seconds, plus what an open event holds', async () => {
    const removed: string[] = [];
    const ring = new SegmentRing({ keepSeconds: 6, remove: async (p) => void removed.push(p) });
    assert.ok(segments.length >= truth.durationS - 1);
    for (const s of segments.slice(0, 20)) await ring.add(s);
    assert.ok(ring.segments.length >= 6 && ring.segments.length <= 7, `${ring.segments.length}`);
    assert.ok(ring.segments[0]!.end > 20 - 6 - 1e-6);
    ring.holdFrom(15);
    for (const s of segments.slice(20, 40)) await ring.add(s);
    assert.ok(ring.segments[0]!.end > 15 && ring.segments[0]!.start <= 15, 'held from the event start');
    ring.holdFrom(null);
    await ring.add(segments[40]!);
    assert.ok(ring.segments.length <= 7);
    assert.equal(new Set(removed).size, removed.length, 'each file removed once');
    assert.equal(removed.length + ring.segments.length, 41);
  });

  it('assembles pre-roll + event + post-roll into an MP4 of the right length', async () => {
    const ev = events[0];
    assert.ok(ev, 'needs the first detected event');
    const out = join(work, 'event.mp4');
    const ring = new SegmentRing({ keepSeconds: 6 });
    for (const s of segments) {
      if (s.start > ev.end + 1) break;
      if (s.end >= ev.motionStart && s.start <= ev.motionStart) ring.holdFrom(ev.start);
      await ring.add(s);
    }
    const clipInfo = await assembleEvent(nodeProcessRunner, ring.segments, ev.start, ev.end, out);
    const want = ev.end - ev.start;
    assert.ok(clipInfo.start <= ev.start + 1e-6 && clipInfo.end >= ev.end - 1e-6);
    const probe = await probeAv(nodeProcessRunner, out, 'UTC');
    const dur = probe.facts.durationS ?? 0;
    assert.ok(Math.abs(dur - want) <= 1, `duration ${dur} vs ${want} (${ev.start}–${ev.end})`);
    assert.ok(
      Math.abs(dur - (clipInfo.end - clipInfo.start)) <= 0.2,
      `${dur} vs ${clipInfo.end - clipInfo.start}`,
    );
    assert.ok(!readdirSync(work).some((f) => f.endsWith('.concat.txt')), 'the concat list is cleaned up');

    // The thumbnail at the peak shows the box in its colour.
    const thumb = await motionThumbnail(nodeProcessRunner, out, ev.peakAt - clipInfo.start, ev.peakBox, {
      color: '#ff0000',
      format: 'jpeg',
      quality: 95,
    });
    writeFileSync(join(work, 'thumb.jpg'), thumb);
    const { data, info } = await sharp(thumb).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.width, 320);
    const b = ev.peakBox!;
    const at = (x: number, y: number): [number, number, number] => {
      const i = (Math.min(info.height - 1, y) * info.width + Math.min(info.width - 1, x)) * info.channels;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    };
    const sw = Math.max(2, Math.round(info.width / 100));
    const x0 = Math.round(b.x * info.width) + Math.floor(sw / 2);
    const x1 = Math.round((b.x + b.w) * info.width) - Math.ceil(sw / 2);
    const y0 = Math.round(b.y * info.height) + Math.floor(sw / 2);
    const y1 = Math.round((b.y + b.h) * info.height) - Math.ceil(sw / 2);
    const red = ([r, g, bl]: [number, number, number]): boolean => r > 180 && g < 90 && bl < 90;
    let onEdge = 0;
    let probes = 0;
    for (let x = x0; x <= x1; x += 4) {
      probes += 2;
      onEdge += (red(at(x, y0)) ? 1 : 0) + (red(at(x, y1)) ? 1 : 0);
    }
    for (let y = y0; y <= y1; y += 4) {
      probes += 2;
      onEdge += (red(at(x0, y)) ? 1 : 0) + (red(at(x1, y)) ? 1 : 0);
    }
    assert.ok(onEdge / probes > 0.9, `${onEdge}/${probes} edge pixels are the box colour`);
    const [cx, cy] = [Math.round((b.x + b.w / 2) * info.width), Math.round((b.y + b.h / 2) * info.height)];
    assert.ok(!red(at(cx, cy)), 'the box is an outline');
  });
});
