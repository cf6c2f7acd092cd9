import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportJobs, type RunExport, type VideoJobOutcome } from '../../../src/video/export-jobs.js';

/** A job runner the test finishes by hand: which jobs started, and a way to end each. */
function manualRunner(): {
  run: RunExport;
  started: string[];
  finish(camera: string): void;
} {
  const started: string[] = [];
  const waiting = new Map<string, () => void>();
  const run: RunExport = (req, signal) => {
    const camera = req.kind === 'range' ? req.range.camera : req.monitor;
    started.push(camera);
    return new Promise<VideoJobOutcome>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
      waiting.set(camera, () =>
        resolve({
          item: { id: `item-${camera}` } as VideoJobOutcome['item'],
          created: true,
          join: {
            mode: 'smart',
            frames: 25,
            expectedFrames: 25,
            durationS: 1,
            audioDurationS: null,
            reencodedPerCut: [],
            widened: { start: 0, end: 0 },
            chapters: [],
            bytes: 1,
            fps: 25,
            gopFrames: 25,
            encoder: null,
          },
        }),
      );
    });
  };
  return { run, started, finish: (camera) => waiting.get(camera)?.() };
}

const range = (camera: string) => ({
  kind: 'range' as const,
  range: { camera, fromMs: 0, toMs: 1000, mode: 'smart' as const },
});
const tick = () => new Promise((r) => setImmediate(r));

describe('export jobs', () => {
  it('two exports at once: the second waits (queued) until the first is done, then runs', async () => {
    const r = manualRunner();
    const jobs = new ExportJobs(r.run, { now: () => new Date(0) });
    const a = jobs.start(range('gate'));
    const b = jobs.start(range('yard'));
    await tick();
    assert.deepEqual(r.started, ['gate']);
    const state = () => Object.fromEntries(jobs.list().map((j) => [j.camera, j.state]));
    assert.deepEqual(state(), { gate: 'running', yard: 'queued' });
    r.finish('gate');
    await tick();
    await tick();
    assert.deepEqual(r.started, ['gate', 'yard']);
    assert.deepEqual(state(), { gate: 'done', yard: 'running' });
    r.finish('yard');
    await tick();
    assert.deepEqual(state(), { gate: 'done', yard: 'done' });
    assert.equal(jobs.list().find((j) => j.id === b.id)?.itemId, 'item-yard');
    assert.ok(a.id !== b.id);
  });

  it('a queued export cancelled never runs; the running one cancelled stops', async () => {
    const r = manualRunner();
    const jobs = new ExportJobs(r.run, { now: () => new Date(0) });
    const a = jobs.start(range('gate'));
    const b = jobs.start(range('yard'));
    await tick();
    assert.equal(jobs.cancel(b.id), true);
    assert.equal(jobs.cancel(a.id), true);
    await jobs.close();
    assert.deepEqual(r.started, ['gate']);
    const state = Object.fromEntries(jobs.list().map((j) => [j.camera, j.state]));
    assert.deepEqual(state, { gate: 'cancelled', yard: 'cancelled' });
    assert.equal(jobs.cancel(a.id), false, 'over: nothing to cancel');
  });
});
