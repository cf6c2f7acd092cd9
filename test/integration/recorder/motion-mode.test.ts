/**
 * Motion mode end to end with real ffmpeg: the recorder plays a generated clip with ground truth
 * (three crossings, a brightness step and a darkening with nothing moving) as a `file:` camera
 * in real time; every saved event must be a library item that matches a crossing, with the
 * pre/post-roll, the motion-box thumbnail and the camera's card id. The last crossing is still
 * open when the recorder stops: it is flushed and saved.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { listItems } from '../../../src/library/catalog/items.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import type { ItemRow } from '../../../src/library/catalog/schema.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { derivedRelPath } from '../../../src/library/layout.js';
import { probeAv } from '../../../src/media/ffprobe.js';
import { motionWorkDir, type MotionBox, type MotionEventSaved } from '../../../src/recorder/motion-mode.js';
import { DEFAULT_MOTION_CONFIG } from '../../../src/recorder/motion/config.js';
import type { Box } from '../../../src/recorder/motion/detector.js';
import { Recorder, type ClosedSegment } from '../../../src/recorder/recorder.js';
import type { MotionRecordingFacts } from '../../../src/recorder/segment-item.js';
import {
  makeMotionClip,
  scoreEvents,
  type ClipSpec,
  type GroundTruth,
  type Interval,
} from '../../kit/motion-clips.js';
import { realRecorderDeps } from '../../kit/recorder.js';

/**
 * 70 s: crossings at least 5 s (the rolls) plus a margin away from the lighting changes, and
 * more than the merge gap apart. Recording stops at 67 s, inside the last event's post-roll.
 */
const CLIP: ClipSpec = {
  durationS: 70,
  motion: [
    { from: 6, to: 11 },
    { from: 31, to: 36 },
    { from: 56, to: 60 },
  ],
  lighting: [
    { from: 19, to: 25, kind: 'brighter' },
    { from: 45, to: 50, kind: 'darker' },
  ],
  preset: 'ultrafast',
};
const STOP_AFTER_S = 67;
const PRE = DEFAULT_MOTION_CONFIG.preRollSeconds;
const POST = DEFAULT_MOTION_CONFIG.postRollSeconds;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let base: string;
let drive: Drive;
let truth: GroundTruth;

interface Saved {
  row: ItemRow;
  rec: MotionRecordingFacts;
  /** Seconds of clip time (the file source's time 0 is the run's anchor). */
  window: Interval;
  motion: Interval;
  probeS: number;
}

describe('recorder: motion mode (real ffmpeg, ground-truth clip)', { timeout: 180_000 }, () => {
  const saved: Saved[] = [];
  const emitted: MotionEventSaved[] = [];
  const boxes: MotionBox[] = [];
  const failed: unknown[] = [];
  let ringRoot = '';

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'outpost-motion-mode-'));
    ringRoot = join(base, 'shm');
    drive = await initDrive(join(base, 'drive'), { now: new Date() });
    const clip = join(base, 'clip.mp4');
    truth = await makeMotionClip(clip, CLIP);

    const rec = new Recorder(
      {
        name: 'gate',
        source: `file:${clip}`,
        mode: 'motion',
        segmentSeconds: 10,
        copy: 'auto',
        stallSeconds: 15,
      },
      { minFreeBytes: 0, deleteUnsent: false, ringRoot },
      drive,
      realRecorderDeps({ thumbnailSize: 320 }),
    );
    let first: ClosedSegment | undefined;
    rec.on('ring-segment', (s) => {
      if (s.run.endsWith('-001')) first ??= s;
    });
    rec.on('motion-event', (e) => emitted.push(e));
    rec.on('motion-box', (b) => boxes.push(b));
    rec.on('segment-failed', (f) => failed.push(f));
    let startedAt = 0;
    rec.on('outputs', (o) => {
      if (o.run === 1) startedAt = Date.now();
    });
    await rec.start();
    assert.equal(rec.status().copy, true, 'the H.264 clip is stream-copied into the ring');
    while (!startedAt) await sleep(50);
    await sleep(Math.max(0, startedAt + STOP_AFTER_S * 1000 - Date.now()));
    await rec.stop();
    assert.equal(rec.status().restarts, 0, rec.status().lastExit ?? '');
    assert.equal(rec.status().events, emitted.length);
    assert.ok(first, 'ring segments were announced');
    // Clip time 0 on the wall clock: the first segment's start minus its offset in the run.
    const anchorS = (first.startMs - first.startS * 1000) / 1000;

    const cat = await openCatalog(drive.layout.catalog);
    try {
      for (const row of await listItems(cat, { monitor: 'gate' })) {
        const rec = (JSON.parse(row.facts) as { recording: MotionRecordingFacts }).recording;
        const rel = (iso: string): number => Date.parse(iso) / 1000 - anchorS;
        const p = await probeAv(nodeProcessRunner, join(drive.layout.root, row.path), 'UTC');
        saved.push({
          row,
          rec,
          window: { from: rel(rec.start), to: rel(rec.end) },
          motion: { from: rel(rec.motionStart), to: rel(rec.motionEnd) },
          probeS: p.facts.durationS ?? 0,
        });
      }
    } finally {
      await cat.close();
    }
    saved.sort((a, b) => a.window.from - b.window.from);
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const detail = (): string =>
    JSON.stringify({
      saved: saved.map((s) => ({ window: s.window, motion: s.motion, probeS: s.probeS })),
      truth: truth.motion,
      failed,
    });

  it('saves one item per crossing (recall, precision ≥ 0.9) and none for the lighting changes', () => {
    const windows = scoreEvents(
      saved.map((s) => s.window),
      truth,
    );
    assert.ok(windows.recall >= 0.9, `recall ${windows.recall}: ${detail()}`);
    assert.ok(windows.precision >= 0.9, `precision ${windows.precision}: ${detail()}`);
    // The motion the detector saw lies in the crossings, never in a lighting change.
    const spans = scoreEvents(
      saved.map((s) => s.motion),
      truth,
    );
    assert.ok(spans.precision >= 0.9, `motion spans: ${detail()}`);
    assert.deepEqual(spans.duringLighting, [], detail());
    assert.equal(saved.length, truth.motion.length, detail());
    assert.equal(emitted.length, saved.length, 'a motion-event for each item');
    assert.deepEqual(failed, []);
  });

  it('tells where motion is while it lasts (the live view highlight), and when it ends', () => {
    const shown = boxes.filter((b) => b.box);
    assert.ok(
      shown.length >= truth.motion.length,
      `${shown.length} boxes for ${truth.motion.length} crossings`,
    );
    for (const b of shown) {
      const { x, y, w, h } = b.box!;
      assert.ok(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 1.0001 && y + h <= 1.0001, JSON.stringify(b));
    }
    // Every crossing ends: the box goes (null) at least once per crossing, and each box is inside a saved window.
    assert.ok(boxes.filter((b) => !b.box).length >= truth.motion.length - 1);
    const inSaved = shown.filter((b) =>
      emitted.some((e) => b.atMs >= Date.parse(e.start) - 1000 && b.atMs <= Date.parse(e.end) + 1000),
    );
    assert.ok(
      inSaved.length >= 0.9 * shown.length,
      `${inSaved.length} of ${shown.length} boxes in saved events`,
    );
  });

  it('each clip is pre-roll + motion + post-roll (± 1.5 s), the last one flushed at stop', () => {
    for (const [i, m] of truth.motion.entries()) {
      const s = saved.find((x) => x.window.from < m.to && m.from < x.window.to);
      assert.ok(s, `no item for ${JSON.stringify(m)}: ${detail()}`);
      const from = Math.max(0, m.from - PRE);
      // The last crossing's post-roll is cut by the stop (flushed at the last frame).
      const to = Math.min(m.to + POST, i === truth.motion.length - 1 ? STOP_AFTER_S : Infinity);
      assert.ok(
        Math.abs(s.probeS - (to - from)) <= 1.5,
        `item ${i}: ${s.probeS} s vs ${to - from} s: ${detail()}`,
      );
      assert.ok(Math.abs(s.window.from - from) <= 1.5, `item ${i} starts at ${s.window.from}: ${detail()}`);
      assert.ok(Math.abs(s.window.to - to) <= 1.5, `item ${i} ends at ${s.window.to}: ${detail()}`);
      // facts.recording.start/end are the clip's real bounds.
      assert.ok(Math.abs(s.probeS - (s.window.to - s.window.from)) <= 0.25, `item ${i}: ${detail()}`);
    }
  });

  it('items are camera items: card cam:<name>, monitor, captured_at = clip start, motion facts', () => {
    for (const s of saved) {
      assert.equal(s.row.card_id, 'cam:gate');
      assert.equal(s.row.monitor, 'gate');
      assert.equal(s.row.type, 'video');
      assert.match(s.row.path, /^library\/gate\/\d{4}-\d{2}-\d{2}\/\d{8}-\d{6}_[0-9a-f]{16}\.mp4$/);
      assert.equal(s.rec.mode, 'motion');
      assert.equal(s.rec.camera, 'gate');
      assert.equal(s.row.captured_at?.slice(0, 19), s.rec.start.slice(0, 19));
      assert.ok(s.rec.peakScore >= 1);
      assert.ok(s.rec.box && s.rec.box.w > 0.5, 'the object crosses most of the frame');
      assert.equal(s.row.has_poster, 1);
      assert.equal(s.row.has_preview, 1);
      assert.equal(s.row.has_thumb, 1);
    }
  });

  it('each thumbnail is the peak frame with the red motion box', async () => {
    for (const s of saved) {
      const file = join(drive.layout.root, derivedRelPath(s.row.id, 'thumb'));
      const meta = await sharp(file).metadata();
      assert.equal(meta.format, 'webp');
      const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.width, 320);
      const b: Box = s.rec.peakBox!;
      assert.ok(b, 'a peak box');
      const at = (x: number, y: number): [number, number, number] => {
        const i = (Math.min(info.height - 1, y) * info.width + Math.min(info.width - 1, x)) * info.channels;
        return [data[i]!, data[i + 1]!, data[i + 2]!];
      };
      const sw = Math.max(2, Math.round(info.width / 100));
      const x0 = Math.round(b.x * info.width) + Math.floor(sw / 2);
      const x1 = Math.round((b.x + b.w) * info.width) - Math.ceil(sw / 2);
      const y0 = Math.round(b.y * info.height) + Math.floor(sw / 2);
      const y1 = Math.round((b.y + b.h) * info.height) - Math.ceil(sw / 2);
      const red = ([r, g, bl]: [number, number, number]): boolean => r > 170 && g < 100 && bl < 100;
      let onEdge = 0;
      let probes = 0;
      for (let x = x0; x <= x1; x += 3) {
        probes += 2;
        onEdge += (red(at(x, y0)) ? 1 : 0) + (red(at(x, y1)) ? 1 : 0);
      }
      for (let y = y0; y <= y1; y += 3) {
        probes += 2;
        onEdge += (red(at(x0, y)) ? 1 : 0) + (red(at(x1, y)) ? 1 : 0);
      }
      assert.ok(onEdge / probes > 0.85, `${s.row.id}: ${onEdge}/${probes} edge pixels are red`);
      const [cx, cy] = [Math.round((b.x + b.w / 2) * info.width), Math.round((b.y + b.h / 2) * info.height)];
      assert.ok(!red(at(cx, cy)), 'the box is an outline');
    }
  });

  it('leaves nothing behind in the RAM ring or the work directory', async () => {
    const left = async (d: string): Promise<string[]> => {
      const out: string[] = [];
      for (const e of await readdir(d, { withFileTypes: true, recursive: true }).catch(() => []))
        if (e.isFile()) out.push(join(e.parentPath, e.name));
      return out;
    };
    assert.deepEqual(await left(ringRoot), []);
    assert.deepEqual(await left(motionWorkDir(drive.layout, 'gate')), []);
  });
});
