import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/logger.js';
import { driveLayout } from '../../../src/library/layout.js';
import { DEFAULT_MOTION_CONFIG } from '../../../src/recorder/motion/config.js';
import type { SegmentItemDeps } from '../../../src/recorder/segment-item.js';
import { LibrarySink } from '../../../src/recorder/sinks/library-sink.js';
import { RingSink } from '../../../src/recorder/sinks/ring-sink.js';
import type { ClosedSegment, SinkOutput } from '../../../src/recorder/sinks/sink.js';

/** Records what a sink reports. */
function output(listened = false): SinkOutput & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    segment: (e) => void calls.push(`segment ${e.path}`),
    ringSegment: (e) => void calls.push(`ring ${e.path} ${e.startMs}-${e.endMs}`),
    motionEvent: (e) => void calls.push(`event ${e.id}`),
    failed: (f) => void calls.push(`failed ${f.code}`),
    spaceUsed: async () => void calls.push('space'),
    ringListened: () => listened,
  };
}

// The sinks reach the catalogue, media tools and clock only when placing; these tests never do.
const deps = { log: createLogger('silent') } as unknown as SegmentItemDeps & {
  log: ReturnType<typeof createLogger>;
};

function closed(path: string): ClosedSegment {
  return { camera: 'cam', run: 'r-001', index: 0, path, startS: 0, endS: 1, startMs: 5000, endMs: 6000 };
}

describe('LibrarySink (continuous)', () => {
  const root = mkdtempSync(join(tmpdir(), 'libsink-'));
  const sink = (out: SinkOutput): LibrarySink =>
    new LibrarySink({
      camera: 'cam',
      seconds: 6,
      root: join(root, 'rec', 'cam'),
      layout: driveLayout(root),
      grey: undefined,
      catalog: () => undefined,
      deps,
      out,
    });

  it('asks ffmpeg for MP4 segments of the camera length and places a killed run’s segments later', () => {
    const s = sink(output());
    assert.deepEqual(s.segments, { kind: 'continuous', seconds: 6 });
    assert.equal(s.recoversRuns, true);
    assert.equal(s.needsSourceSize, false);
    assert.equal(s.holdsListed(), false);
    assert.equal(s.grey(), undefined);
  });

  it('keeps the segment (and its run directory) while the catalogue is closed', async () => {
    const out = output();
    const file = join(root, 'seg.mp4');
    writeFileSync(file, 'x');
    assert.equal(await sink(out).accept(closed(file)), 'kept');
    assert.deepEqual(out.calls, []);
    assert.ok(existsSync(file));
  });
});

describe('RingSink (motion)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ringsink-'));
  const sink = (out: SinkOutput, grey?: { fps: number; width: number; height: number }): RingSink =>
    new RingSink({
      camera: 'cam',
      root: join(root, 'ring'),
      config: DEFAULT_MOTION_CONFIG,
      grey,
      layout: driveLayout(root),
      catalog: () => undefined,
      deps,
      out,
    });

  it('asks for 1 s ring segments; a stale ring is never placed', () => {
    const s = sink(output());
    assert.deepEqual(s.segments, { kind: 'ring', seconds: 1 });
    assert.equal(s.recoversRuns, false);
    assert.equal(s.needsSourceSize, true);
    assert.equal(sink(output(), { fps: 5, width: 80, height: 60 }).needsSourceSize, false);
  });

  it('without a ring or a listener the second is reported and not kept', async () => {
    const out = output();
    const file = join(root, 'a.ts');
    writeFileSync(file, 'x');
    assert.equal(await sink(out).accept(closed(file)), 'ok');
    assert.deepEqual(out.calls, [`ring ${file} 5000-6000`]);
    assert.equal(existsSync(file), false);
  });

  it('a ring-segment listener holds the files', async () => {
    const out = output(true);
    const s = sink(out);
    const file = join(root, 'b.ts');
    writeFileSync(file, 'x');
    assert.equal(await s.accept(closed(file)), 'ok');
    assert.ok(existsSync(file));
    assert.equal(s.holdsListed(), true);
  });

  it('after start the grey output is sized from the source (detector height, source aspect)', async () => {
    const s = sink(output());
    await s.start({ width: 1920, height: 1080 });
    const g = s.grey();
    assert.ok(g);
    assert.equal(g.fps, DEFAULT_MOTION_CONFIG.fps);
    assert.equal(g.height, DEFAULT_MOTION_CONFIG.height);
    assert.ok(Math.abs(g.width / g.height - 16 / 9) < 0.1, `${g.width}x${g.height}`);
    assert.equal(s.holdsListed(), true, 'the ring owns the files');
    await s.stop();
    assert.equal(s.holdsListed(), false);
  });
});
