/**
 * TTL synchronisation with the real Recorder and ffmpeg against a fake GPIO device (fake libgpiod
 * tools on PATH, test/kit/fake-gpiod): per-frame output pulses (libgpiod 2, gpioset --interactive)
 * counted by the device ≈ the frames recorded; input edges raised at known instants land on the
 * right frame (± 1) of the right recording; libgpiod 1 refuses per-frame pulses with a config
 * error and pulses segment starts with one-shot gpioset runs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { isOutpostError } from '../../../../src/core/errors.js';
import { initDrive } from '../../../../src/library/drive.js';
import { Recorder, type CameraSettings } from '../../../../src/recorder/recorder.js';
import type { SegmentEvent } from '../../../../src/recorder/sinks/sink.js';
import { TTL_HEADER } from '../../../../src/recorder/timing/sidecar-csv.js';
import type { TtlConfig } from '../../../../src/recorder/timing/ttl-args.js';
import { installFakeGpiod, type FakeGpiod } from '../../../kit/fake-gpiod/index.js';
import { realRecorderDeps } from '../../../kit/recorder.js';
import { abs, readCsv, recordSegments } from './kit.js';

const FPS = 15;
let base: string;
let gpio: FakeGpiod | undefined;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'outpost-ttl-'));
});
afterEach(() => {
  gpio?.restore();
  gpio = undefined;
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

function camera(name: string, ttl: TtlConfig): CameraSettings {
  return {
    name,
    source: `testsrc:?size=320x240&rate=${FPS}`,
    mode: 'continuous',
    segmentSeconds: 1,
    copy: 'auto',
    stallSeconds: 10,
    timing: { ttl },
  };
}

/** Raises `n` edges on `line`, spread over the recording, and returns their instants. */
function edgesDuring(g: FakeGpiod, line: number, n: number): { raised: number[]; done: Promise<void> } {
  const raised: number[] = [];
  const done = (async () => {
    await new Promise((r) => setTimeout(r, 1200));
    for (let i = 0; i < n; i++) {
      const at = Date.now();
      raised.push(at);
      await g.edge(line, i % 2 ? 'falling' : 'rising', at);
      await new Promise((r) => setTimeout(r, 170 + 37 * i));
    }
  })();
  return { raised, done };
}

/**
 * Each raised edge is in the ttl.csv of exactly one recording, the one it fell in (by the
 * segment's own span, the recorder's anchor; at a boundary the neighbour, as the anchor and the
 * frames' clock differ by up to a frame), on the frame the recording shows at that instant: judged
 * by that span and the frame rate, not by the timing rows the implementation used.
 */
async function checkEdges(
  drive: { layout: { root: string } },
  events: SegmentEvent[],
  raised: number[],
  line: number,
): Promise<number> {
  const tables = await Promise.all(events.map((e) => readCsv(`${abs(drive as never, e)}.ttl.csv`)));
  for (const t of tables) assert.equal(t.header.join(','), TTL_HEADER);
  let found = 0;
  for (const at of raised) {
    const k = events.findIndex((s) => Date.parse(s.start) <= at && at < Date.parse(s.end));
    if (k < 0) continue; // raised after the last closed segment
    const hits = tables.flatMap((t, i) =>
      t.rows
        .filter((r) => r[0] === 'in' && Number(r[2]) === line && Math.abs(Number(r[5]) - at) < 1)
        .map((r) => ({ i, r })),
    );
    assert.equal(hits.length, 1, `edge at ${at}: in one recording (${JSON.stringify(hits)})`);
    const { i, r: row } = hits[0]!;
    const near =
      Math.abs(at - Date.parse(events[i]!.start)) < 100 || Math.abs(at - Date.parse(events[i]!.end)) < 100;
    assert.ok(i === k || (Math.abs(i - k) === 1 && near), `edge at ${at} in segment ${i}, expected ${k}`);
    const expected = Math.floor(((at - Date.parse(events[i]!.start)) / 1000) * FPS);
    const frame = Number(row[6]);
    assert.ok(Math.abs(frame - expected) <= 1, `edge at ${at}: frame ${frame}, expected ${expected} ± 1`);
    assert.ok(Math.abs(Number(row[7]) - frame / FPS) < 0.01, 'pts of that frame');
    assert.ok(/^\d+$/.test(row[4]!), 'kernel timestamp kept');
    found++;
  }
  return found;
}

describe('TTL over GPIO (fake libgpiod device, real ffmpeg)', { timeout: 120_000 }, () => {
  it('libgpiod 2: a pulse per frame, and input edges on the right frame', async (t) => {
    gpio = await installFakeGpiod(join(base, 'v2'), { version: 2 });
    const drive = await initDrive(join(base, 'v2', 'drive'), { now: new Date() });
    const g = gpio;
    let edges: { raised: number[]; done: Promise<void> } | undefined;
    const { events } = await recordSegments(
      drive,
      camera('v2', {
        output: { chip: 'gpiochip0', line: 17, on: 'frame', pulseMs: 2 },
        input: { chip: 'gpiochip0', lines: [22] },
      }),
      3,
      join(base, 'v2', 'ring'),
      20_000,
      () => (edges = edgesDuring(g, 22, 8)),
    );
    await edges!.done;
    assert.ok(events.length >= 3, `segments: ${events.length}`);

    // Pulses: the device saw one rise (and fall, ~2 ms later) per recorded frame.
    let frames = 0;
    let outRows = 0;
    const lags: number[] = [];
    for (const e of events) {
      const rows = (await readCsv(`${abs(drive, e)}.frames.csv`)).rows;
      frames += rows.length;
      const ttl = await readCsv(`${abs(drive, e)}.ttl.csv`);
      const outs = ttl.rows.filter((r) => r[0] === 'out');
      outRows += outs.length;
      for (const r of outs) lags.push(Number(r[5]) - Number(rows[Number(r[6])]![3]));
      assert.ok(
        outs.every((r) => r[6] !== ''),
        'every pulse row names its frame',
      );
    }
    const levels = (await g.levels()).filter((l) => l.line === 17);
    const rises = levels.filter((l, i) => l.value === 1 && levels[i + 1]?.value === 0);
    const widths = rises.map((l) => levels[levels.indexOf(l) + 1]!.atMs - l.atMs);
    lags.sort((a, b) => a - b);
    t.diagnostic(
      `pulse written after its frame passed ffmpeg's filters: median ${lags[lags.length >> 1]!.toFixed(1)} ms, p95 ${lags[Math.floor(lags.length * 0.95)]!.toFixed(1)} ms (${lags.length} pulses)`,
    );
    assert.ok(Math.abs(rises.length - frames) <= 3, `pulses ${rises.length} vs frames recorded ${frames}`);
    assert.ok(Math.abs(outRows - frames) <= 1, `pulse rows ${outRows} vs frames ${frames}`);
    widths.sort((a, b) => a - b);
    assert.ok(
      widths[widths.length >> 1]! >= 1.9 && widths[widths.length >> 1]! < 10,
      `pulse width ${widths[widths.length >> 1]} ms`,
    );
    assert.ok((await g.argv()).some((a) => a === 'gpioset -c gpiochip0 -i 17=0'));
    assert.equal(levels.at(-1)?.value, 0, 'the line is left inactive');

    const found = await checkEdges(drive, events, edges!.raised, 22);
    assert.ok(found >= 4, `edges placed: ${found} of ${edges!.raised.length}`);
  });

  it('libgpiod 1: per-frame pulses are a config error naming libgpiod 2', async () => {
    gpio = await installFakeGpiod(join(base, 'v1a'), { version: 1 });
    const drive = await initDrive(join(base, 'v1a', 'drive'), { now: new Date() });
    const r = new Recorder(
      camera('v1a', { output: { chip: 'gpiochip0', line: 17, on: 'frame', pulseMs: 2 } }),
      { minFreeBytes: 0, deleteUnsent: false, ringRoot: join(base, 'v1a', 'ring') },
      drive,
      realRecorderDeps(),
    );
    await assert.rejects(r.start(), (e: unknown) => {
      assert.ok(isOutpostError(e) && e.code === 'CONFIG_INVALID');
      assert.match((e as Error).message, /libgpiod 2/);
      return true;
    });
    await r.stop();
  });

  it('libgpiod 1: a pulse at each segment start, and edges (monotonic clock) on the right frame', async () => {
    gpio = await installFakeGpiod(join(base, 'v1'), { version: 1 });
    const drive = await initDrive(join(base, 'v1', 'drive'), { now: new Date() });
    const g = gpio;
    let edges: { raised: number[]; done: Promise<void> } | undefined;
    const { events } = await recordSegments(
      drive,
      camera('v1', {
        output: { chip: 'gpiochip0', line: 5, on: 'segment', pulseMs: 20 },
        input: { chip: 'gpiochip0', lines: [6], edges: 'both' },
      }),
      3,
      join(base, 'v1', 'ring'),
      20_000,
      () => (edges = edgesDuring(g, 6, 8)),
    );
    await edges!.done;
    assert.ok(events.length >= 3, `segments: ${events.length}`);
    for (const e of events) {
      const outs = (await readCsv(`${abs(drive, e)}.ttl.csv`)).rows.filter((r) => r[0] === 'out');
      assert.equal(outs.length, 1, `${e.path}: one segment pulse`);
      assert.equal(outs[0]![6], '0', 'on the segment’s first frame');
    }
    const levels = (await g.levels()).filter((l) => l.line === 5);
    const rises = levels.filter((l) => l.value === 1);
    assert.ok(rises.length >= events.length && rises.length <= events.length + 1, `rises ${rises.length}`);
    assert.equal(levels.at(-1)?.value, 0);
    const argv = await g.argv();
    assert.ok(argv.includes('gpioset --mode=time --usec=20000 gpiochip0 5=1'), argv.join('\n'));
    assert.ok(argv.includes('gpiomon --line-buffered --format=%o %e %s %n gpiochip0 6'));
    const found = await checkEdges(drive, events, edges!.raised, 6);
    assert.ok(found >= 4, `edges placed: ${found}`);
  });
});
